package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// RenewedExpiry is the expiry a renewal of l under offer would give at the
// current height, or ErrRenewalTooEarly (see renewedExpiry), or
// ErrInvalidOffer for an offer longer than max_term_blocks (termWithinCap).
func (k Keeper) RenewedExpiry(ctx context.Context, l types.License, offer types.LicenseOffer) (int64, error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return 0, err
	}
	if err := termWithinCap(offer, params.MaxTermBlocks); err != nil {
		return 0, err
	}
	return renewedExpiry(l, offer.Term(), params.MaxTermBlocks, sdk.UnwrapSDKContext(ctx).BlockHeight())
}

// renewedExpiry is a renewal's new expiry: one term from the old expiry, or
// from h if it has passed, and never beyond h + maxTerm. A licence that still
// runs and whose renewal would pass that cap is refused (ErrRenewalTooEarly:
// renewing cannot stack terms at today's price; it pays for a whole term or
// nothing).
func renewedExpiry(l types.License, term, maxTerm uint64, h int64) (int64, error) {
	from := max(l.ExpiresHeight, h)
	limit := h + int64(maxTerm)
	t := int64(min(term, maxTerm))
	// from + t > limit, compared without adding to from: an imported
	// licence's expiry may be any height, and the sum would wrap negative.
	if from > h && from > limit-t {
		return 0, errorsmod.Wrapf(types.ErrRenewalTooEarly,
			"licence %d runs to height %d; a renewal of %d blocks may end at most max_term_blocks (%d) ahead: renew at height %d or later",
			l.Id, l.ExpiresHeight, term, maxTerm, from-(int64(maxTerm)-t))
	}
	return min(from+t, limit), nil
}

// RenewLicense extends licensee's RENTAL or SUBSCRIPTION licence under the
// dataset's current offer of its kind (types.RenewalOffer), whose price must be
// within msg.MaxPrice: one term from its expiry, or from now if it has
// passed, never beyond now + max_term_blocks (renewedExpiry); an offer
// longer than max_term_blocks is refused (termWithinCap). The licence
// takes the offer's price, term and transferability; a SUBSCRIPTION also
// moves to the current version. The dataset must still be listed (msg has
// passed ValidateBasic).
func (k Keeper) RenewLicense(ctx context.Context, licensee sdk.AccAddress, msg *types.MsgRenewLicense) (types.License, error) {
	l, err := k.GetLicense(ctx, msg.LicenseId)
	if err != nil {
		return l, err
	}
	if !k.isAddress(l.Licensee, licensee) {
		return l, errorsmod.Wrapf(types.ErrUnauthorized, "licence %d belongs to %s", l.Id, l.Licensee)
	}
	if l.Kind != types.LICENSE_KIND_RENTAL && l.Kind != types.LICENSE_KIND_SUBSCRIPTION {
		return l, errorsmod.Wrapf(types.ErrNotRenewable, "a %s licence does not expire", l.Kind.Short())
	}
	d, err := k.GetDataset(ctx, l.DatasetId)
	if err != nil {
		return l, err
	}
	if !d.Active {
		return l, errorsmod.Wrapf(types.ErrDatasetInactive, "dataset %d sells no renewals", d.Id)
	}
	index, offer, err := types.RenewalOffer(d, l)
	if err != nil {
		return l, err
	}
	if err := types.CheckMaxPrice(offer.Price, msg.MaxPrice); err != nil {
		return l, errorsmod.Wrapf(err, "renewal of licence %d under dataset %d offer %d", l.Id, d.Id, index)
	}
	if err := types.CheckRenewalTerms(offer, msg); err != nil {
		return l, errorsmod.Wrapf(err, "renewal of licence %d under dataset %d offer %d", l.Id, d.Id, index)
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return l, err
	}
	if err := termWithinCap(offer, params.MaxTermBlocks); err != nil {
		return l, errorsmod.Wrapf(err, "renewal of licence %d under dataset %d offer %d", l.Id, d.Id, index)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	expires, err := renewedExpiry(l, offer.Term(), params.MaxTermBlocks, sdkCtx.BlockHeight())
	if err != nil {
		return l, err
	}
	if _, err := k.pay(ctx, licensee, offer.Price, d.Shares); err != nil {
		return l, err
	}
	if err := k.ExpiryQueue.Remove(ctx, collections.Join(l.ExpiresHeight, l.Id)); err != nil {
		return l, err
	}
	// Its LiveLicenses entry is under the old expiry (none once marked
	// expired); setLicense files it under the new one.
	if err := k.unfileLive(ctx, l); err != nil {
		return l, err
	}
	l.ExpiresHeight, l.Expired = expires, false
	l.OfferIndex, l.Price, l.TermBlocks, l.Transferable = index, offer.Price, offer.Term(), offer.Transferable
	if l.Kind == types.LICENSE_KIND_SUBSCRIPTION {
		l.Version = d.Version
	}
	if err := k.setLicense(ctx, l, false); err != nil {
		return l, err
	}
	return l, modkit.EmitTypedEvent(sdkCtx, &types.EventLicenseRenewed{
		LicenseId: l.Id, Price: l.Price, ExpiresHeight: l.ExpiresHeight, OfferIndex: index, TermBlocks: l.TermBlocks,
	})
}

package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
)

// GetLicense returns a licence or ErrLicenseNotFound.
func (k Keeper) GetLicense(ctx context.Context, id uint64) (types.License, error) {
	l, err := k.Licenses.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return l, errorsmod.Wrapf(types.ErrLicenseNotFound, "%d", id)
	}
	return l, err
}

// LicenseValidAt reports whether a licence grants access at height h.
func LicenseValidAt(l types.License, h int64) bool {
	return l.ExpiresHeight == 0 || h < l.ExpiresHeight
}

// LicenseCovers reports whether a licence covers a dataset version: a
// SUBSCRIPTION covers every version, other licences the versions up to the
// one they were bought for.
func LicenseCovers(l types.License, version uint64) bool {
	return l.Kind == types.LICENSE_KIND_SUBSCRIPTION || version <= l.Version
}

// bestLicense returns the licensee's licence for the dataset that is valid at
// height h and covers version, preferring one that never expires, then the
// latest expiry; found is false when there is none.
func (k Keeper) bestLicense(ctx context.Context, datasetID uint64, licensee string, version uint64, h int64) (best types.License, found bool, err error) {
	iter, err := k.Licenses.Indexes.ByDatasetLicensee.MatchExact(ctx, collections.Join(datasetID, licensee))
	if err != nil {
		return best, false, err
	}
	defer iter.Close()
	for ; iter.Valid(); iter.Next() {
		id, err := iter.PrimaryKey()
		if err != nil {
			return best, false, err
		}
		l, err := k.Licenses.Get(ctx, id)
		if err != nil {
			return best, false, err
		}
		if !LicenseValidAt(l, h) || !LicenseCovers(l, version) {
			continue
		}
		if !found || (best.ExpiresHeight != 0 && (l.ExpiresHeight == 0 || l.ExpiresHeight > best.ExpiresHeight)) {
			best, found = l, true
		}
	}
	return best, found, nil
}

// PurchaseLicense sells buyer (msg.Buyer, decoded) a licence under offer
// msg.OfferIndex of a listed dataset and returns it (msg has passed
// ValidateBasic).
func (k Keeper) PurchaseLicense(ctx context.Context, buyer sdk.AccAddress, msg *types.MsgPurchaseLicense) (types.License, error) {
	d, err := k.GetDataset(ctx, msg.DatasetId)
	if err != nil {
		return types.License{}, err
	}
	if !d.Active {
		return types.License{}, errorsmod.Wrapf(types.ErrDatasetInactive, "dataset %d sells no new licences", d.Id)
	}
	if int(msg.OfferIndex) >= len(d.Offers) {
		return types.License{}, errorsmod.Wrapf(types.ErrInvalidOffer, "dataset %d has %d offers, no index %d", d.Id, len(d.Offers), msg.OfferIndex)
	}
	offer := d.Offers[msg.OfferIndex]
	if offer.Kind == types.LICENSE_KIND_PER_JOB {
		return types.License{}, errorsmod.Wrap(types.ErrInvalidOffer, "a PER_JOB offer is paid by a compute job's escrow, not purchased")
	}
	if msg.Buyer == d.Owner {
		return types.License{}, errorsmod.Wrapf(types.ErrInvalidRequest, "the owner of dataset %d already has access", d.Id)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	if held, found, err := k.bestLicense(ctx, d.Id, msg.Buyer, d.Version, h); err != nil {
		return types.License{}, err
	} else if found && held.Kind == offer.Kind {
		return types.License{}, errorsmod.Wrapf(types.ErrAlreadyLicensed, "licence %d already covers dataset %d version %d (renew it instead)", held.Id, d.Id, d.Version)
	}
	fee, err := k.pay(ctx, buyer, offer.Price, d.Shares)
	if err != nil {
		return types.License{}, err
	}
	id, err := k.LicenseSeq.Next(ctx)
	if err != nil {
		return types.License{}, err
	}
	if id == 0 {
		if id, err = k.LicenseSeq.Next(ctx); err != nil {
			return types.License{}, err
		}
	}
	l := types.License{
		Id: id, DatasetId: d.Id, Licensee: msg.Buyer, Kind: offer.Kind, Version: d.Version,
		OfferIndex: msg.OfferIndex, Price: offer.Price, TermBlocks: offer.Term(), Transferable: offer.Transferable,
		PurchasedHeight: h,
	}
	if l.TermBlocks > 0 {
		l.ExpiresHeight = h + int64(l.TermBlocks)
	}
	if err := k.setLicense(ctx, l); err != nil {
		return types.License{}, err
	}
	return l, sdkCtx.EventManager().EmitTypedEvent(&types.EventLicensePurchased{
		LicenseId: id, DatasetId: d.Id, Licensee: l.Licensee, Kind: l.Kind, Price: l.Price,
		MarketFee: fee, ExpiresHeight: l.ExpiresHeight,
	})
}

// setLicense stores a licence and queues its expiry.
func (k Keeper) setLicense(ctx context.Context, l types.License) error {
	if err := k.Licenses.Set(ctx, l.Id, l); err != nil {
		return err
	}
	if l.ExpiresHeight > 0 && !l.Expired {
		return k.ExpiryQueue.Set(ctx, collections.Join(l.ExpiresHeight, l.Id))
	}
	return nil
}

// RenewLicense extends a RENTAL or SUBSCRIPTION licence by its term, from its
// expiry or from now if it has already expired, at the price it was bought
// for. A SUBSCRIPTION also moves to the current version. The dataset must
// still be listed (msg has passed ValidateBasic).
func (k Keeper) RenewLicense(ctx context.Context, msg *types.MsgRenewLicense) (types.License, error) {
	l, err := k.GetLicense(ctx, msg.LicenseId)
	if err != nil {
		return l, err
	}
	if l.Licensee != msg.Licensee {
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
	licensee, err := k.addressCodec.StringToBytes(l.Licensee)
	if err != nil {
		return l, err
	}
	if _, err := k.pay(ctx, licensee, l.Price, d.Shares); err != nil {
		return l, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	if err := k.ExpiryQueue.Remove(ctx, collections.Join(l.ExpiresHeight, l.Id)); err != nil {
		return l, err
	}
	from := l.ExpiresHeight
	if from < h {
		from = h
	}
	l.ExpiresHeight = from + int64(l.TermBlocks)
	l.Expired = false
	if l.Kind == types.LICENSE_KIND_SUBSCRIPTION {
		l.Version = d.Version
	}
	if err := k.setLicense(ctx, l); err != nil {
		return l, err
	}
	return l, sdkCtx.EventManager().EmitTypedEvent(&types.EventLicenseRenewed{
		LicenseId: l.Id, Price: l.Price, ExpiresHeight: l.ExpiresHeight,
	})
}

// TransferLicense gives a transferable, unexpired licence to msg.Recipient
// (msg has passed ValidateBasic).
func (k Keeper) TransferLicense(ctx context.Context, msg *types.MsgTransferLicense) error {
	l, err := k.GetLicense(ctx, msg.LicenseId)
	if err != nil {
		return err
	}
	if l.Licensee != msg.Licensee {
		return errorsmod.Wrapf(types.ErrUnauthorized, "licence %d belongs to %s", l.Id, l.Licensee)
	}
	if !l.Transferable {
		return errorsmod.Wrapf(types.ErrNotTransferable, "licence %d", l.Id)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if !LicenseValidAt(l, sdkCtx.BlockHeight()) {
		return errorsmod.Wrapf(types.ErrLicenseExpired, "licence %d expired at height %d", l.Id, l.ExpiresHeight)
	}
	from := l.Licensee
	l.Licensee = msg.Recipient
	if err := k.Licenses.Set(ctx, l.Id, l); err != nil {
		return err
	}
	return sdkCtx.EventManager().EmitTypedEvent(&types.EventLicenseTransferred{LicenseId: l.Id, From: from, To: l.Licensee})
}

// HasAccess answers the HasAccess query: the owner, an unexpired licensee
// whose licence covers the version (0 = current), or the provider of a live
// job that uses the dataset may read it.
func (k Keeper) HasAccess(ctx context.Context, datasetID uint64, address string, version uint64) (*types.QueryHasAccessResponse, error) {
	d, err := k.GetDataset(ctx, datasetID)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		version = d.Version
	}
	if version > d.Version {
		return nil, errorsmod.Wrapf(types.ErrVersionNotFound, "dataset %d has %d versions", datasetID, d.Version)
	}
	res := &types.QueryHasAccessResponse{Version: version, Reason: "none"}
	if address == d.Owner {
		res.HasAccess, res.Reason = true, "owner"
		return res, nil
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	l, found, err := k.bestLicense(ctx, datasetID, address, version, h)
	if err != nil {
		return nil, err
	}
	if found {
		res.HasAccess, res.Reason, res.LicenseId, res.ExpiresHeight = true, "license", l.Id, l.ExpiresHeight
		return res, nil
	}
	iter, err := k.JobAccess.Indexes.ByProvider.MatchExact(ctx, collections.Join(datasetID, address))
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	if iter.Valid() {
		pk, err := iter.PrimaryKey()
		if err != nil {
			return nil, err
		}
		res.HasAccess, res.Reason, res.JobId = true, "job", pk.K2()
	}
	return res, nil
}

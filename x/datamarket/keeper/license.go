package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/internal/modkit"
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

// walkLicenses calls fn for each of licensee's licences of a dataset that
// is valid at height h (the pair's LiveLicenses range from h + 1 up: only
// those entries are read, never an expired licence, however many others
// have given the licensee), until fn returns true. A pair that holds no
// licence (LicenseHolders) costs one point read: an iterator inside a
// transaction scans every write the block has made so far to the module's
// store (testutil/storeiter), and every first purchase would open one.
func (k Keeper) walkLicenses(ctx context.Context, datasetID uint64, licensee string, h int64, fn func(types.License) bool) error {
	if held, err := k.LicenseHolders.Has(ctx, collections.Join(datasetID, licensee)); err != nil || !held {
		return err
	}
	iter, err := k.LiveLicenses.Iterate(ctx, liveFrom(datasetID, licensee, h))
	if err != nil {
		return err
	}
	defer iter.Close()
	for ; iter.Valid(); iter.Next() {
		key, err := iter.Key()
		if err != nil {
			return err
		}
		l, err := k.Licenses.Get(ctx, key.K2().K2())
		if err != nil {
			return err
		}
		if fn(l) {
			return nil
		}
	}
	return nil
}

// bestLicense returns the licensee's licence for the dataset that is valid at
// height h and covers version, preferring one that never expires, then the
// latest expiry; found is false when there is none.
func (k Keeper) bestLicense(ctx context.Context, datasetID uint64, licensee string, version uint64, h int64) (best types.License, found bool, err error) {
	err = k.walkLicenses(ctx, datasetID, licensee, h, func(l types.License) bool {
		if !LicenseValidAt(l, h) || !LicenseCovers(l, version) {
			return false
		}
		if !found || (best.ExpiresHeight != 0 && (l.ExpiresHeight == 0 || l.ExpiresHeight > best.ExpiresHeight)) {
			best, found = l, true
		}
		return false
	})
	return best, found, err
}

// heldBlocking returns a licence the licensee holds for the dataset, valid
// at h and covering version, that makes a purchase under offer (index
// offerIndex, kind kind) pointless: a perpetual one, for a perpetual offer;
// one bought under the same offer, for a rental (renew it instead). Every
// such licence is compared, not only the best one, so that licences of one
// offer never stack. A rental of another offer does not block: a transfer
// needs no consent of its recipient, and a free 5-block trial given to a
// buyer refused its purchase of the 1,000-block rental, again each time the
// trial ran out (TestAttackFreeTrialGiftBlocksPurchase).
func (k Keeper) heldBlocking(ctx context.Context, datasetID uint64, licensee string, kind types.LicenseKind, offerIndex uint32, version uint64, h int64) (held types.License, found bool, err error) {
	err = k.walkLicenses(ctx, datasetID, licensee, h, func(l types.License) bool {
		same := l.Kind == kind && (kind == types.LICENSE_KIND_PERPETUAL || l.OfferIndex == offerIndex)
		if same && LicenseValidAt(l, h) && LicenseCovers(l, version) {
			held, found = l, true
		}
		return found
	})
	return held, found, err
}

// HoldsBlockingLicense reports whether licensee (canonical) holds a licence
// that refuses its purchase under offer offerIndex of the dataset
// (ErrAlreadyLicensed; heldBlocking).
func (k Keeper) HoldsBlockingLicense(ctx context.Context, d types.Dataset, licensee string, offerIndex uint32) (bool, error) {
	if int(offerIndex) >= len(d.Offers) {
		return false, nil
	}
	kind := d.Offers[offerIndex].Kind
	_, found, err := k.heldBlocking(ctx, d.Id, licensee, kind, offerIndex, d.Version, sdk.UnwrapSDKContext(ctx).BlockHeight())
	return found, err
}

// sellableOffer returns offer index of a listed dataset, refusing PER_JOB
// offers (a compute job's escrow pays those).
func sellableOffer(d types.Dataset, index uint32) (types.LicenseOffer, error) {
	if !d.Active {
		return types.LicenseOffer{}, errorsmod.Wrapf(types.ErrDatasetInactive, "dataset %d sells no new licences", d.Id)
	}
	if int(index) >= len(d.Offers) {
		return types.LicenseOffer{}, errorsmod.Wrapf(types.ErrInvalidOffer, "dataset %d has %d offers, no index %d", d.Id, len(d.Offers), index)
	}
	offer := d.Offers[index]
	if offer.Kind == types.LICENSE_KIND_PER_JOB {
		return offer, errorsmod.Wrap(types.ErrInvalidOffer, "a PER_JOB offer is paid by a compute job's escrow, not purchased")
	}
	return offer, nil
}

// PurchaseLicense sells buyer (the decoded msg.Buyer) a licence under offer
// msg.OfferIndex of a listed dataset and returns it (msg has passed
// ValidateBasic). The offer's price at execution must be within
// msg.MaxPrice, and its kind, term and transferability those of
// msg.ExpectedOffer if set; a buyer who holds a valid licence covering the
// current version, perpetual for a perpetual offer or of the same offer for
// a rental, is refused (heldBlocking); an offer whose term exceeds
// max_term_blocks is refused (termWithinCap).
func (k Keeper) PurchaseLicense(ctx context.Context, buyer sdk.AccAddress, msg *types.MsgPurchaseLicense) (types.License, error) {
	buyerStr, err := k.addrString(buyer)
	if err != nil {
		return types.License{}, err
	}
	d, err := k.GetDataset(ctx, msg.DatasetId)
	if err != nil {
		return types.License{}, err
	}
	offer, err := sellableOffer(d, msg.OfferIndex)
	if err != nil {
		return types.License{}, err
	}
	if k.isAddress(d.Owner, buyer) {
		return types.License{}, errorsmod.Wrapf(types.ErrInvalidRequest, "the owner of dataset %d already has access", d.Id)
	}
	if err := types.CheckMaxPrice(offer.Price, msg.MaxPrice); err != nil {
		return types.License{}, errorsmod.Wrapf(err, "dataset %d offer %d", d.Id, msg.OfferIndex)
	}
	if err := types.CheckExpectedOffer(offer, msg.ExpectedOffer); err != nil {
		return types.License{}, errorsmod.Wrapf(err, "dataset %d offer %d", d.Id, msg.OfferIndex)
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return types.License{}, err
	}
	if err := termWithinCap(offer, params.MaxTermBlocks); err != nil {
		return types.License{}, errorsmod.Wrapf(err, "dataset %d offer %d", d.Id, msg.OfferIndex)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	if held, found, err := k.heldBlocking(ctx, d.Id, buyerStr, offer.Kind, msg.OfferIndex, d.Version, h); err != nil {
		return types.License{}, err
	} else if found {
		return types.License{}, errorsmod.Wrapf(types.ErrAlreadyLicensed, "licence %d already covers dataset %d version %d (renew it instead)", held.Id, d.Id, d.Version)
	}
	fee, err := k.pay(ctx, buyer, offer.Price, d.Shares)
	if err != nil {
		return types.License{}, err
	}
	id, err := k.nextLicenseID(ctx)
	if err != nil {
		return types.License{}, err
	}
	l := types.License{
		Id: id, DatasetId: d.Id, Licensee: buyerStr, Kind: offer.Kind, Version: d.Version,
		OfferIndex: msg.OfferIndex, Price: offer.Price, TermBlocks: offer.Term(), Transferable: offer.Transferable,
		PurchasedHeight: h,
	}
	if l.TermBlocks > 0 {
		l.ExpiresHeight = h + int64(min(l.TermBlocks, params.MaxTermBlocks))
	}
	if err := k.setLicense(ctx, l, true); err != nil {
		return types.License{}, err
	}
	return l, modkit.EmitTypedEvent(sdkCtx, &types.EventLicensePurchased{
		LicenseId: id, DatasetId: d.Id, Licensee: l.Licensee, Kind: l.Kind, Price: l.Price,
		MarketFee: fee, ExpiresHeight: l.ExpiresHeight,
	})
}

// termWithinCap refuses an offer whose term is longer than max_term_blocks
// (ErrInvalidOffer): listing checks it, but governance may have lowered the
// cap since. A licence never runs past the cap, so selling or renewing under
// such an offer would take the whole price for part of the term, and the
// term the buyer signed for (expected_offer, min_term_blocks) would pass its
// check unmet (TestAttackOwnerSellsTermBeyondCap). The owner republishes the
// offer within the cap (MsgUpdateDataset).
func termWithinCap(offer types.LicenseOffer, maxTerm uint64) error {
	if offer.Term() > maxTerm {
		return errorsmod.Wrapf(types.ErrInvalidOffer, "the offer's term of %d blocks exceeds max_term_blocks %d: it sells only once the owner republishes it within the cap",
			offer.Term(), maxTerm)
	}
	return nil
}

// nextLicenseID returns a fresh licence id; ids start at 1 (modkit.NextID).
func (k Keeper) nextLicenseID(ctx context.Context) (uint64, error) {
	return modkit.NextID(ctx, k.LicenseSeq, types.ErrIDsExhausted, "licence")
}

// setLicense stores a licence, files it in LiveLicenses unless it is marked
// expired (fileLive; a renewal removes its old entry first) and queues its
// expiry; fresh says it is new (no old index entries to drop:
// modkit.InsertIndexed).
func (k Keeper) setLicense(ctx context.Context, l types.License, fresh bool) error {
	set := k.Licenses.Set
	if fresh {
		set = func(ctx context.Context, id uint64, l types.License) error {
			return modkit.InsertIndexed(ctx, k.Licenses, k.licensesRaw, id, l)
		}
	}
	if err := set(ctx, l.Id, l); err != nil {
		return err
	}
	if err := k.fileLive(ctx, l); err != nil {
		return err
	}
	if l.ExpiresHeight > 0 && !l.Expired {
		return k.ExpiryQueue.Set(ctx, collections.Join(l.ExpiresHeight, l.Id))
	}
	return nil
}

// TransferLicense gives licensee's transferable, unexpired licence to
// recipient, unless recipient already holds maxTransferredLive running
// licences of the dataset (AcceptsTransfer): a transfer needs no consent of
// its recipient, and every running licence is read by each purchase and job
// creation of the recipient on the dataset (TestAttackDatamarketGiftsStackLiveLicences).
// A gift of the same kind as one the recipient holds, or of another
// version, goes through below the cap: an honest resale is never refused
// because of what the recipient, or someone else, gave it before
// (TestAttackOldVersionLicenceBarsResaleForever, TestAttackFreeTrialGiftBlocksPaidTransfer).
func (k Keeper) TransferLicense(ctx context.Context, licensee sdk.AccAddress, id uint64, recipient sdk.AccAddress) error {
	l, err := k.GetLicense(ctx, id)
	if err != nil {
		return err
	}
	if !k.isAddress(l.Licensee, licensee) {
		return errorsmod.Wrapf(types.ErrUnauthorized, "licence %d belongs to %s", l.Id, l.Licensee)
	}
	if licensee.Equals(recipient) {
		return errorsmod.Wrap(types.ErrInvalidRequest, "recipient is the licensee")
	}
	if !l.Transferable {
		return errorsmod.Wrapf(types.ErrNotTransferable, "licence %d", l.Id)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	if !LicenseValidAt(l, h) {
		return errorsmod.Wrapf(types.ErrLicenseExpired, "licence %d expired at height %d", l.Id, l.ExpiresHeight)
	}
	to, err := k.addrString(recipient)
	if err != nil {
		return err
	}
	if err := k.AcceptsTransfer(ctx, l.DatasetId, to); err != nil {
		return err
	}
	if err := k.unfileLive(ctx, l); err != nil {
		return err
	}
	from := l.Licensee
	l.Licensee = to
	if err := k.Licenses.Set(ctx, l.Id, l); err != nil {
		return err
	}
	if err := k.fileLive(ctx, l); err != nil {
		return err
	}
	if err := k.moveHolder(ctx, l.DatasetId, from, l.Licensee); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(sdkCtx, &types.EventLicenseTransferred{LicenseId: l.Id, From: from, To: l.Licensee})
}

// moveHolder keeps LicenseHolders exact after a licence of the dataset
// moved from one licensee to another (the licence stored already): the
// recipient holds one, and the sender leaves the set if it holds no other
// (one index iterator: transfers are rare, purchases are not).
func (k Keeper) moveHolder(ctx context.Context, datasetID uint64, from, to string) error {
	if err := k.addHolder(ctx, datasetID, to); err != nil {
		return err
	}
	iter, err := k.Licenses.Indexes.ByDatasetLicensee.MatchExact(ctx, collections.Join(datasetID, from))
	if err != nil {
		return err
	}
	holds := iter.Valid()
	if err := iter.Close(); err != nil || holds {
		return err
	}
	return k.LicenseHolders.Remove(ctx, collections.Join(datasetID, from))
}

// addHolder files licensee as holding a licence of the dataset.
func (k Keeper) addHolder(ctx context.Context, datasetID uint64, licensee string) error {
	return k.LicenseHolders.Set(ctx, collections.Join(datasetID, licensee))
}

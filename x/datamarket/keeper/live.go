package keeper

import (
	"context"
	"math"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
)

// liveKey is a LiveLicenses key: ((dataset id, licensee), (expiry, licence id)).
type liveKey = collections.Pair[collections.Pair[uint64, string], collections.Pair[int64, uint64]]

// newLiveLicenses is the LiveLicenses key set of the schema.
func newLiveLicenses(sb *collections.SchemaBuilder) collections.KeySet[liveKey] {
	return collections.NewKeySet(sb, types.LiveLicensesKey, "live_licenses",
		collections.PairKeyCodec(collections.PairKeyCodec(collections.Uint64Key, collections.StringKey),
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)))
}

// liveExpiry is the expiry a licence is filed under in LiveLicenses: its
// expires_height, or the largest height for one that never expires (0), so
// that the range of a pair from height h + 1 up holds exactly its licences
// valid at h.
func liveExpiry(l types.License) int64 {
	if l.ExpiresHeight == 0 {
		return math.MaxInt64
	}
	return l.ExpiresHeight
}

// liveKeyOf is a licence's LiveLicenses key as the licence stands.
func liveKeyOf(l types.License) liveKey {
	return collections.Join(collections.Join(l.DatasetId, l.Licensee), collections.Join(liveExpiry(l), l.Id))
}

// fileLive files a licence not marked expired in LiveLicenses, and its pair
// in LicenseHolders (walkLicenses reads the range only for a pair in it).
func (k Keeper) fileLive(ctx context.Context, l types.License) error {
	if l.Expired {
		return nil
	}
	if err := k.LiveLicenses.Set(ctx, liveKeyOf(l)); err != nil {
		return err
	}
	return k.addHolder(ctx, l.DatasetId, l.Licensee)
}

// unfileLive removes a licence's LiveLicenses entry; l is the licence as
// stored, before its licensee or expiry changes (removing an absent entry
// is a no-op).
func (k Keeper) unfileLive(ctx context.Context, l types.License) error {
	return k.LiveLicenses.Remove(ctx, liveKeyOf(l))
}

// liveFrom is the range of the pair's LiveLicenses entries that expire after
// height h: its licences valid at h (entries the EndBlocker has not removed
// yet, expired at or before h, are skipped by the seek, never read).
func liveFrom(datasetID uint64, licensee string, h int64) collections.Ranger[liveKey] {
	return collections.NewPrefixedPairRange[collections.Pair[uint64, string], collections.Pair[int64, uint64]](
		collections.Join(datasetID, licensee)).StartExclusive(collections.Join(h, uint64(math.MaxUint64)))
}

// maxTransferredLive is how many running licences of a dataset an address
// may hold and still receive another by transfer. A transfer needs no
// consent of its recipient, and every running licence of the pair is read
// by each purchase, job creation and access check of the recipient on the
// dataset (walkLicenses), so the cap bounds what others can add to that
// walk: each running licence costs it about 1,450 gas (one LiveLicenses
// entry and one licence read), 16 about 23,000, less than half of what a
// purchase costs without any (TestAttackDatamarketGiftsStackLiveLicences
// measures it), while 16 running licences of one dataset are more than
// an honest holder collects (one per kind and version it still uses). The
// recipient's own purchases are never capped: an attacker who filled it up
// must not be able to stop it buying.
const maxTransferredLive = 16

// AcceptsTransfer returns ErrTooManyLicenses when recipient (canonical)
// holds maxTransferredLive licences of the dataset valid now, of any kind
// and version: TransferLicense refuses to give it another. It reads at most
// maxTransferredLive + 1 LiveLicenses entries of the pair (the iterator
// stands on the next one), never the whole range.
func (k Keeper) AcceptsTransfer(ctx context.Context, datasetID uint64, recipient string) error {
	if held, err := k.LicenseHolders.Has(ctx, collections.Join(datasetID, recipient)); err != nil || !held {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	iter, err := k.LiveLicenses.Iterate(ctx, liveFrom(datasetID, recipient, h))
	if err != nil {
		return err
	}
	defer iter.Close()
	n := 0
	for ; iter.Valid() && n < maxTransferredLive; iter.Next() {
		n++
	}
	if n < maxTransferredLive {
		return nil
	}
	return errorsmod.Wrapf(types.ErrTooManyLicenses, "%s already holds %d running licences of dataset %d, the most others may give it: it may receive another once one has expired or been given away",
		recipient, maxTransferredLive, datasetID)
}

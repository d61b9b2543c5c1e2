package keeper

import (
	"context"
	"math"

	"cosmossdk.io/collections"

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

package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
)

// HasAccess answers the HasAccess query: the owner, an unexpired licensee
// whose licence covers the version (0 = current), or the provider of a live
// job that pinned that very version may read it. The address is compared in
// its canonical form, whatever its spelling.
func (k Keeper) HasAccess(ctx context.Context, datasetID uint64, address string, version uint64) (*types.QueryHasAccessResponse, error) {
	addr, canonical, err := k.canonical("address", address)
	if err != nil {
		return nil, err
	}
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
	if k.isAddress(d.Owner, addr) {
		res.HasAccess, res.Reason = true, "owner"
		return res, nil
	}
	// job_id is set whenever the address is the assigned provider of a live
	// job on this version, a licence granting access too: a dataset server
	// keeps download slots for job winners by it, and a licence sent to a
	// winner (a transfer needs no consent) took them away
	// (TestAttackGiftedLicenceTakesTheWinnersReservedSlots in dataserver).
	jobID, byJob, err := k.jobAccessFor(ctx, datasetID, canonical, version)
	if err != nil {
		return nil, err
	}
	if byJob {
		res.JobId = jobID
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	l, found, err := k.bestLicense(ctx, datasetID, canonical, version, h)
	if err != nil {
		return nil, err
	}
	switch {
	case found:
		res.HasAccess, res.Reason, res.LicenseId, res.ExpiresHeight = true, "license", l.Id, l.ExpiresHeight
	case byJob:
		res.HasAccess, res.Reason = true, "job"
	}
	return res, nil
}

// jobAccessFor returns a live job of provider on the dataset that pinned
// version (through the ByProvider index: only that provider's jobs on that
// dataset are read).
func (k Keeper) jobAccessFor(ctx context.Context, datasetID uint64, provider string, version uint64) (uint64, bool, error) {
	iter, err := k.JobAccess.Indexes.ByProvider.MatchExact(ctx, collections.Join(datasetID, provider))
	if err != nil {
		return 0, false, err
	}
	defer iter.Close()
	for ; iter.Valid(); iter.Next() {
		pk, err := iter.PrimaryKey()
		if err != nil {
			return 0, false, err
		}
		ja, err := k.JobAccess.Get(ctx, pk)
		if err != nil {
			return 0, false, err
		}
		if ja.Version == version || ja.Version == 0 { // 0: granted before versions were pinned (Migrate1to2)
			return ja.JobId, true, nil
		}
	}
	return 0, false, nil
}

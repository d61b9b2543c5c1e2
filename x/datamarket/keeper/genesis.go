package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/aichain/aichain/x/datamarket/types"
)

// InitGenesis writes the genesis state; the expiry queue and the indexes
// (content, owner, licensee, provider) are rebuilt from the records, each
// file filed as the first dataset's that holds it (setContent). Beyond
// gs.Validate, it checks what needs state: no dataset's share is a module
// account.
//
// A module account may own a dataset here, though ListDataset and
// TransferDataset refuse one: a passed gov proposal could list a dataset as
// the gov module account before that rule, and such a chain's own export
// must import (TestAttackGovDatasetFromBeforeTheUpgradeStillBreaksReimport).
// The owner holds no coin of the dataset (sales and fees go to the shares,
// and a share that is a module account stays refused), and a module account
// signs nothing but what gov passes, so the live refusal protects users from
// a dataset no one can act for, not the state.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	for _, d := range gs.Datasets {
		if _, err := k.payout().CheckShares(ctx, d.Shares); err != nil {
			return errorsmod.Wrapf(types.ErrInvalidGenesis, "dataset %d: %v", d.Id, err)
		}
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	if err := k.DatasetSeq.Set(ctx, gs.NextDatasetId); err != nil {
		return err
	}
	if err := k.LicenseSeq.Set(ctx, gs.NextLicenseId); err != nil {
		return err
	}
	for _, d := range gs.Datasets {
		if err := k.Datasets.Set(ctx, d.Id, d); err != nil {
			return err
		}
	}
	for _, v := range gs.DatasetVersions {
		if err := k.DatasetVersions.Set(ctx, collections.Join(v.DatasetId, v.Version), v); err != nil {
			return err
		}
	}
	if err := k.setContent(ctx, gs.DatasetVersions); err != nil {
		return err
	}
	for _, l := range gs.Licenses {
		if err := k.setLicense(ctx, l, false); err != nil {
			return err
		}
		if err := k.addHolder(ctx, l.DatasetId, l.Licensee); err != nil {
			return err
		}
	}
	for _, j := range gs.JobAccesses {
		if err := k.JobAccess.Set(ctx, collections.Join(j.DatasetId, j.JobId), j); err != nil {
			return err
		}
	}
	return k.ContentCommits.Import(ctx, gs.ContentCommits)
}

// ExportGenesis reads the whole state.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	gs := types.DefaultGenesis()
	var err error
	if gs.Params, err = k.Params.Get(ctx); err != nil {
		return nil, err
	}
	if gs.NextDatasetId, err = k.DatasetSeq.Peek(ctx); err != nil {
		return nil, err
	}
	if gs.NextLicenseId, err = k.LicenseSeq.Peek(ctx); err != nil {
		return nil, err
	}
	// A chain that never ran InitGenesis for this module has sequences at 0.
	gs.NextDatasetId, gs.NextLicenseId = max(gs.NextDatasetId, 1), max(gs.NextLicenseId, 1)
	if err := k.Datasets.Walk(ctx, nil, func(_ uint64, d types.Dataset) (bool, error) {
		gs.Datasets = append(gs.Datasets, d)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.DatasetVersions.Walk(ctx, nil, func(_ collections.Pair[uint64, uint64], v types.DatasetVersion) (bool, error) {
		gs.DatasetVersions = append(gs.DatasetVersions, v)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Licenses.Walk(ctx, nil, func(_ uint64, l types.License) (bool, error) {
		gs.Licenses = append(gs.Licenses, l)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.JobAccess.Walk(ctx, nil, func(_ collections.Pair[uint64, uint64], j types.JobAccess) (bool, error) {
		gs.JobAccesses = append(gs.JobAccesses, j)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if gs.ContentCommits, err = k.ContentCommits.Export(ctx); err != nil {
		return nil, err
	}
	return gs, nil
}

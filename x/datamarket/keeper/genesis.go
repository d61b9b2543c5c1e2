package keeper

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/aichain/aichain/x/datamarket/types"
)

// InitGenesis writes the genesis state; the expiry queue is rebuilt from the
// licences.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
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
	for _, l := range gs.Licenses {
		if err := k.setLicense(ctx, l); err != nil {
			return err
		}
	}
	for _, j := range gs.JobAccesses {
		if err := k.JobAccess.Set(ctx, collections.Join(j.DatasetId, j.JobId), j); err != nil {
			return err
		}
	}
	return nil
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
	return gs, nil
}

package keeper

import (
	"context"
	"maps"
	"slices"

	errorsmod "cosmossdk.io/errors"

	"github.com/aichain/aichain/x/modelregistry/types"
)

// InitGenesis loads the module state from a validated genesis; the indexes,
// Latest, Weights and Skeletons are rebuilt from the models. Beyond gs.Validate, it checks what needs
// state: no model's share is a module account.
//
// A module account may own a model here, though newModel and
// TransferOwnership refuse one: a passed gov proposal could register a
// model as the gov module account before that rule, and such a chain's
// own export must import (TestAttackGovModelFromBeforeTheUpgradeStillBreaksReimport).
// The owner holds no coin of the model (fees go to the shares, and a share
// that is a module account stays refused), and a module account signs
// nothing but what gov passes, so the live refusal protects users from a
// model no one can act for, not the state.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	for _, m := range gs.Models {
		if _, err := k.checkShares(ctx, m.Shares); err != nil {
			return errorsmod.Wrapf(types.ErrInvalidGenesis, "model %d: %v", m.Id, err)
		}
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, m := range gs.Models {
		if err := k.Models.Set(ctx, m.Id, m); err != nil {
			return errorsmod.Wrapf(err, "model %d", m.Id)
		}
	}
	if err := k.setLatest(ctx, gs.Models); err != nil {
		return err
	}
	if err := k.setWeights(ctx, gs.Models); err != nil {
		return err
	}
	if err := k.setSkeletons(ctx, gs.Models); err != nil {
		return err
	}
	if err := k.WeightsCommits.Import(ctx, gs.WeightsCommits); err != nil {
		return err
	}
	return k.ModelSeq.Set(ctx, gs.NextModelId)
}

// ExportGenesis returns the module state.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	next, err := k.ModelSeq.Peek(ctx)
	if err != nil {
		return nil, err
	}
	if next == 0 {
		next = 1
	}
	models, err := k.allModels(ctx)
	if err != nil {
		return nil, err
	}
	if models == nil {
		models = []types.Model{}
	}
	commits, err := k.WeightsCommits.Export(ctx)
	if err != nil {
		return nil, err
	}
	return &types.GenesisState{Params: params, Models: models, NextModelId: next, WeightsCommits: commits}, nil
}

// setLatest files each name's latest version (highest id) of models, in any
// order, in Latest.
func (k Keeper) setLatest(ctx context.Context, models []types.Model) error {
	latest := make(map[string]uint64, len(models))
	for _, m := range models {
		f := types.FoldName(m.Name)
		latest[f] = max(latest[f], m.Id)
	}
	for _, f := range slices.Sorted(maps.Keys(latest)) {
		if err := k.Latest.Set(ctx, f, latest[f]); err != nil {
			return errorsmod.Wrapf(err, "latest version of %q", f)
		}
	}
	return nil
}

// setWeights files the weights of models, in any order, as the first
// model's (lowest id) that holds them. Models of two names that hold the
// same weights (registered before the rule, Migrate2to3) stay as they are;
// only new ones are refused.
func (k Keeper) setWeights(ctx context.Context, models []types.Model) error {
	first := make(map[string]uint64, len(models))
	for _, m := range models {
		if id, ok := first[m.Sha256]; !ok || m.Id < id {
			first[m.Sha256] = m.Id
		}
	}
	for _, sha := range slices.Sorted(maps.Keys(first)) {
		if err := k.Weights.Set(ctx, sha, first[sha]); err != nil {
			return errorsmod.Wrapf(err, "weights %s", sha)
		}
	}
	return nil
}

// setSkeletons files the name skeleton of models, in any order, as the
// first model's (lowest id) that has it. Names that share a skeleton
// (registered before the rule, Migrate3to4, or in a genesis: Validate
// refuses only names equal up to case) stay as they are, each reached by
// its own name; only new look-alikes are refused.
func (k Keeper) setSkeletons(ctx context.Context, models []types.Model) error {
	first := make(map[string]uint64, len(models))
	for _, m := range models {
		s := types.NameSkeleton(m.Name)
		if id, ok := first[s]; !ok || m.Id < id {
			first[s] = m.Id
		}
	}
	for _, s := range slices.Sorted(maps.Keys(first)) {
		if err := k.Skeletons.Set(ctx, s, first[s]); err != nil {
			return errorsmod.Wrapf(err, "name skeleton %q", s)
		}
	}
	return nil
}

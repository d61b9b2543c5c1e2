package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/internal/modkit"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// Migrator runs the module's store migrations.
type Migrator struct{ k Keeper }

// NewMigrator returns the module's migrator.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// Migrate1to2 replaces the folded-name index of version 1 (an entry (folded
// name, id) for every model, which registration read with an iterator) by
// Latest (folded name → id of the name's latest version, read by point). It
// reads every model once; no model or coin changes.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	if err := m.k.foldedNameV1().Clear(ctx, nil); err != nil {
		return errorsmod.Wrap(err, "migrate modelregistry 1→2: folded-name index")
	}
	models, err := m.k.allModels(ctx)
	if err == nil {
		err = m.k.setLatest(ctx, models)
	}
	return errorsmod.Wrap(err, "migrate modelregistry 1→2: latest versions")
}

// foldedNameV1 is version 1's folded-name index (entries (folded name, id)).
func (k Keeper) foldedNameV1() collections.KeySet[collections.Pair[string, uint64]] {
	return modkit.IndexView(k.storeService, types.ModelsByFoldedNameKey, "models_by_folded_name",
		collections.StringKey, collections.Uint64Key)
}

// Migrate2to3 files every model's weights (Weights: sha256 → the id of the
// first model holding them), so that a name may no longer register weights
// another name registered first. It reads every model once; no model or
// coin changes.
func (m Migrator) Migrate2to3(ctx sdk.Context) error {
	models, err := m.k.allModels(ctx)
	if err == nil {
		err = m.k.setWeights(ctx, models)
	}
	return errorsmod.Wrap(err, "migrate modelregistry 2→3: weights")
}

// Migrate3to4 files every model name's skeleton (Skeletons:
// types.NameSkeleton(name) → the id of the first model having it), so that
// a new name may no longer look like a registered one ("Ilama" beside
// "llama"). Names that already share a skeleton keep their models and
// their Latest entries. It reads every model once; no model or coin
// changes.
func (m Migrator) Migrate3to4(ctx sdk.Context) error {
	models, err := m.k.allModels(ctx)
	if err == nil {
		err = m.k.setSkeletons(ctx, models)
	}
	return errorsmod.Wrap(err, "migrate modelregistry 3→4: name skeletons")
}

// Migrate4to5 turns on commit-then-register at the upgrade height: the
// params gain weights_commit_delay_blocks and weights_commit_ttl_blocks at
// their defaults (stored as 0, the delay would register new weights without
// a commitment, and the ttl would fail the params' validation). The
// commitments and their expiry queue start empty.
func (m Migrator) Migrate4to5(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate modelregistry 4→5: params")
	}
	d := types.DefaultParams()
	params.WeightsCommitDelayBlocks, params.WeightsCommitTtlBlocks = d.WeightsCommitDelayBlocks, d.WeightsCommitTtlBlocks
	if err := params.Validate(); err != nil {
		return errorsmod.Wrap(err, "migrate modelregistry 4→5: params")
	}
	return m.k.Params.Set(ctx, params)
}

// allModels reads every model, in id order (genesis export and migrations
// only: it reads the whole store).
func (k Keeper) allModels(ctx context.Context) ([]types.Model, error) {
	var models []types.Model
	err := k.Models.Walk(ctx, nil, func(_ uint64, model types.Model) (bool, error) {
		models = append(models, model)
		return false, nil
	})
	return models, err
}

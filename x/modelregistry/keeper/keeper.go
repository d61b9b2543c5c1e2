// Package keeper holds the modelregistry state and its Msg and Query servers.
package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/address"
	corestore "cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/internal/modkit"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// ModelIndexes are the secondary indexes of Keeper.Models.
type ModelIndexes struct {
	// Owner indexes models by (owner, id).
	Owner *indexes.Multi[sdk.AccAddress, uint64, types.Model]
	// Name indexes models by (name, id): a name's versions in publication order.
	Name *indexes.Multi[string, uint64, types.Model]
	// NameVersion maps (name, version) to the model id and keeps it unique.
	NameVersion *indexes.Unique[collections.Pair[string, string], uint64, types.Model]
}

// IndexesList implements collections.Indexes.
func (i ModelIndexes) IndexesList() []collections.Index[uint64, types.Model] {
	return []collections.Index[uint64, types.Model]{i.Owner, i.Name, i.NameVersion}
}

// NewModelIndexes builds the model indexes on a schema.
func NewModelIndexes(sb *collections.SchemaBuilder, ac address.Codec) ModelIndexes {
	return ModelIndexes{
		Owner: indexes.NewMulti(sb, types.ModelsByOwnerKey, "models_by_owner",
			sdk.AccAddressKey, collections.Uint64Key,
			func(_ uint64, m types.Model) (sdk.AccAddress, error) {
				bz, err := ac.StringToBytes(m.Owner)
				if err != nil {
					return nil, fmt.Errorf("model %d owner %q: %w", m.Id, m.Owner, err)
				}
				return bz, nil
			}),
		Name: indexes.NewMulti(sb, types.ModelsByNameKey, "models_by_name",
			collections.StringKey, collections.Uint64Key,
			func(_ uint64, m types.Model) (string, error) { return m.Name, nil }),
		NameVersion: indexes.NewUnique(sb, types.ModelsByNameVersionKey, "models_by_name_version",
			collections.PairKeyCodec(collections.StringKey, collections.StringKey), collections.Uint64Key,
			func(_ uint64, m types.Model) (collections.Pair[string, string], error) {
				return collections.Join(m.Name, m.Version), nil
			}),
	}
}

// Keeper keeps the model registry.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService corestore.KVStoreService
	addressCodec address.Codec
	bankKeeper   types.BankKeeper
	modules      modkit.ModuleAccounts
	// authority may change the params (the gov module account).
	authority string

	Schema collections.Schema
	Params collections.Item[types.Params]
	// ModelSeq gives model ids, starting at 1.
	ModelSeq collections.Sequence
	Models   *collections.IndexedMap[uint64, types.Model, ModelIndexes]
	// Latest maps types.FoldName(name) to the id of the name's latest
	// version. Every version under one folded name has one exact name
	// (RegisterModel refuses a look-alike), so one point read answers both
	// whether a name is taken up to case and what its latest version is
	// (an iterator on an index, there, cost a scan of the block's writes to
	// the module's store at every registration).
	Latest collections.Map[string, uint64]
	// Weights maps a weights file's sha256 to the id of the first model
	// that registered it. The weights belong to that model's name: another
	// name may not register them (ErrWeightsTaken), so no one passes off
	// another owner's weights as a model of their own, at their own fees.
	Weights collections.Map[string, uint64]
	// Skeletons maps types.NameSkeleton(name) to the id of the first model
	// registered under a name of that skeleton. Latest tells names apart
	// by case only; a new name whose skeleton is taken ("Ilama-7b" beside
	// "llama-7b") would pass for the other owner's model in a list, so
	// RegisterModel refuses it (ErrNameTaken) with one more point read.
	// Names that shared a skeleton before version 4 keep their models and
	// their own Latest entries: this map only refuses new names.
	Skeletons collections.Map[string, uint64]
	// WeightsCommits holds the commitments not yet used nor expired
	// (commit.go), and their expiries for the EndBlocker to prune.
	WeightsCommits modkit.Commitments

	// Read-only views of the owner and name indexes, for paginated queries.
	modelsByOwner collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	modelsByName  collections.KeySet[collections.Pair[string, uint64]]
	// modelsRaw is Models' storage without its indexes (newModel inserts
	// through it with modkit.InsertIndexed).
	modelsRaw collections.Map[uint64, types.Model]
}

// NewKeeper returns a Keeper; the address codec is ak's. authority is the
// address allowed to change params.
func NewKeeper(cdc codec.BinaryCodec, storeService corestore.KVStoreService, ak types.AccountKeeper,
	bk types.BankKeeper, authority string,
) Keeper {
	addressCodec := ak.AddressCodec()
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Errorf("modelregistry: invalid authority %q: %w", authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc:          cdc,
		storeService: storeService,
		addressCodec: addressCodec,
		bankKeeper:   bk,
		modules:      modkit.NewModuleAccounts(ak),
		authority:    authority,
		Params:       collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		ModelSeq:     collections.NewSequence(sb, types.ModelSeqKey, "model_seq"),
		Models: collections.NewIndexedMap(sb, types.ModelsKey, "models", collections.Uint64Key,
			codec.CollValue[types.Model](cdc), NewModelIndexes(sb, addressCodec)),
		Latest: collections.NewMap(sb, types.LatestByFoldedNameKey, "latest_by_folded_name",
			collections.StringKey, collections.Uint64Value),
		Weights: collections.NewMap(sb, types.WeightsKey, "first_model_by_sha256",
			collections.StringKey, collections.Uint64Value),
		Skeletons: collections.NewMap(sb, types.SkeletonKey, "first_model_by_name_skeleton",
			collections.StringKey, collections.Uint64Value),
		WeightsCommits: modkit.NewCommitments(sb, cdc, types.ModuleName, "weights_commits", modkit.CommitmentPrefixes{
			Map: types.WeightsCommitsKey, Index: types.WeightsCommitsByContentKey, Holders: types.WeightsCommitHoldersKey,
			Queue: types.CommitExpiryQueueKey}, modkit.NewQueueHeads(sb, types.QueueHeadsKey)),
		modelsByOwner: modkit.IndexView(storeService, types.ModelsByOwnerKey, "models_by_owner",
			sdk.AccAddressKey, collections.Uint64Key),
		modelsByName: modkit.IndexView(storeService, types.ModelsByNameKey, "models_by_name",
			collections.StringKey, collections.Uint64Key),
		modelsRaw: modkit.MapView(storeService, types.ModelsKey, "models", collections.Uint64Key,
			codec.CollValue[types.Model](cdc)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// GetAuthority returns the address allowed to change params.
func (k Keeper) GetAuthority() string { return k.authority }

// UpdateParams sets the params (the caller has checked the authority and
// validated them).
func (k Keeper) UpdateParams(ctx context.Context, params types.Params) error {
	if err := k.Params.Set(ctx, params); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventParamsUpdated{Params: params})
}

// Logger returns the module's logger.
func (k Keeper) Logger(ctx context.Context) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName)
}

// GetModel returns a model by id, or ErrModelNotFound.
func (k Keeper) GetModel(ctx context.Context, id uint64) (types.Model, error) {
	m, err := k.Models.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Model{}, errorsmod.Wrapf(types.ErrModelNotFound, "model %d", id)
	}
	if err != nil {
		return types.Model{}, errorsmod.Wrapf(err, "read model %d", id)
	}
	return m, nil
}

// LatestVersion returns the most recently published version of a name, or
// ErrNameNotFound (also when only a name equal up to case is registered).
func (k Keeper) LatestVersion(ctx context.Context, name string) (types.Model, error) {
	m, found, err := k.latestOf(ctx, name)
	if err != nil {
		return types.Model{}, err
	}
	if !found || m.Name != name {
		return types.Model{}, errorsmod.Wrapf(types.ErrNameNotFound, "model name %q", name)
	}
	return m, nil
}

// latestOf returns the latest version of the name equal up to case to name
// (found false: there is none): two point reads, Latest and the model.
func (k Keeper) latestOf(ctx context.Context, name string) (m types.Model, found bool, err error) {
	id, err := k.Latest.Get(ctx, types.FoldName(name))
	if errors.Is(err, collections.ErrNotFound) {
		return types.Model{}, false, nil
	}
	if err != nil {
		return types.Model{}, false, err
	}
	m, err = k.GetModel(ctx, id)
	return m, err == nil, err
}

// nextID returns a fresh model id; ids start at 1 (0 means "no model") and
// never wrap (modkit.NextID).
func (k Keeper) nextID(ctx context.Context) (uint64, error) {
	return modkit.NextID(ctx, k.ModelSeq, types.ErrIDsExhausted, "model")
}

// payout pays model fees over revenue shares; its errors are this module's.
func (k Keeper) payout() modkit.Payout {
	return modkit.Payout{
		Bank: k.bankKeeper, Accounts: k.modules, Addresses: k.addressCodec,
		ErrShares: types.ErrInvalidShares, ErrFunds: types.ErrFeePayment,
	}
}

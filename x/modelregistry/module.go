// Package modelregistry is the x/modelregistry module: AI models (immutable
// versions of a name, mlp-f32 weights by sha256 and uri), their per-use fees
// and revenue shares, and usage metering. x/compute reads a model's terms when
// a job is created (Keeper.ModelTermsForJob) and pays its fee at settlement
// (Keeper.PayModelFee).
package modelregistry

import (
	"context"
	"encoding/json"
	"fmt"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"

	"cosmossdk.io/core/appmodule"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/aichain/aichain/x/modelregistry/keeper"
	"github.com/aichain/aichain/x/modelregistry/simulation"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// ConsensusVersion is the module's consensus version: 2 since a name's
// latest version is kept by folded name, read by point where version 1 read
// an index by iterator (keeper.Migrator.Migrate1to2); 3 since a weights
// file belongs to the first model name that registers it (Weights,
// keeper.Migrator.Migrate2to3); 4 since a new name may not look like a
// registered one (Skeletons, keeper.Migrator.Migrate3to4); 5 since new
// weights are registered only on their creator's commitment
// (WeightsCommits, keeper.Migrator.Migrate4to5).
const ConsensusVersion = 5

var (
	_ module.HasGenesis          = AppModule{}
	_ module.HasGenesisBasics    = AppModule{}
	_ module.HasServices         = AppModule{}
	_ module.HasName             = AppModule{}
	_ module.HasConsensusVersion = AppModule{}
	_ module.AppModuleBasic      = AppModule{}
	_ module.AppModuleSimulation = AppModule{}
	_ appmodule.AppModule        = AppModule{}
	_ appmodule.HasEndBlocker    = AppModule{}
)

// AppModule is the modelregistry module.
type AppModule struct {
	cdc    codec.Codec
	keeper keeper.Keeper
}

// NewAppModule returns the module.
func NewAppModule(cdc codec.Codec, k keeper.Keeper) AppModule {
	return AppModule{cdc: cdc, keeper: k}
}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// IsOnePerModuleType implements depinject.OnePerModuleType.
func (AppModule) IsOnePerModuleType() {}

// Name returns the module's name.
func (AppModule) Name() string { return types.ModuleName }

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }

// RegisterLegacyAminoCodec registers the module's amino names.
func (AppModule) RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	types.RegisterLegacyAminoCodec(cdc)
}

// RegisterInterfaces registers the module's Msgs.
func (AppModule) RegisterInterfaces(ir codectypes.InterfaceRegistry) {
	types.RegisterInterfaces(ir)
}

// RegisterGRPCGatewayRoutes registers the REST routes of the Query service.
func (AppModule) RegisterGRPCGatewayRoutes(clientCtx client.Context, mux *gwruntime.ServeMux) {
	if err := types.RegisterQueryHandlerClient(context.Background(), mux, types.NewQueryClient(clientCtx)); err != nil {
		panic(err)
	}
}

// RegisterServices registers the Msg and Query services.
func (am AppModule) RegisterServices(cfg module.Configurator) {
	types.RegisterMsgServer(cfg.MsgServer(), keeper.NewMsgServerImpl(am.keeper))
	types.RegisterQueryServer(cfg.QueryServer(), keeper.NewQueryServerImpl(am.keeper))
	if err := cfg.RegisterMigration(types.ModuleName, 1, keeper.NewMigrator(am.keeper).Migrate1to2); err != nil {
		panic(fmt.Errorf("register the %s 1→2 migration: %w", types.ModuleName, err))
	}
	if err := cfg.RegisterMigration(types.ModuleName, 2, keeper.NewMigrator(am.keeper).Migrate2to3); err != nil {
		panic(fmt.Errorf("register the %s 2→3 migration: %w", types.ModuleName, err))
	}
	if err := cfg.RegisterMigration(types.ModuleName, 3, keeper.NewMigrator(am.keeper).Migrate3to4); err != nil {
		panic(fmt.Errorf("register the %s 3→4 migration: %w", types.ModuleName, err))
	}
	if err := cfg.RegisterMigration(types.ModuleName, 4, keeper.NewMigrator(am.keeper).Migrate4to5); err != nil {
		panic(fmt.Errorf("register the %s 4→5 migration: %w", types.ModuleName, err))
	}
}

// EndBlock prunes expired weights commitments (capped per block).
func (am AppModule) EndBlock(ctx context.Context) error {
	return am.keeper.EndBlocker(ctx)
}

// DefaultGenesis returns the default genesis state.
func (AppModule) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(types.DefaultGenesis())
}

// ValidateGenesis validates a genesis state.
func (AppModule) ValidateGenesis(cdc codec.JSONCodec, _ client.TxEncodingConfig, bz json.RawMessage) error {
	var gs types.GenesisState
	if err := cdc.UnmarshalJSON(bz, &gs); err != nil {
		return fmt.Errorf("decode %s genesis: %w", types.ModuleName, err)
	}
	return gs.Validate()
}

// InitGenesis loads the genesis state.
func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, bz json.RawMessage) {
	var gs types.GenesisState
	cdc.MustUnmarshalJSON(bz, &gs)
	if err := am.keeper.InitGenesis(ctx, &gs); err != nil {
		panic(fmt.Errorf("%s init genesis: %w", types.ModuleName, err))
	}
}

// ExportGenesis exports the module state.
func (am AppModule) ExportGenesis(ctx sdk.Context, cdc codec.JSONCodec) json.RawMessage {
	gs, err := am.keeper.ExportGenesis(ctx)
	if err != nil {
		panic(fmt.Errorf("%s export genesis: %w", types.ModuleName, err))
	}
	return cdc.MustMarshalJSON(gs)
}

// GenerateGenesisState creates a random genesis state for simulations.
func (AppModule) GenerateGenesisState(simState *module.SimulationState) {
	simulation.RandomizedGenState(simState)
}

// RegisterStoreDecoder decodes the module's store entries from its collections schema.
func (am AppModule) RegisterStoreDecoder(sdr simtypes.StoreDecoderRegistry) {
	sdr[types.StoreKey] = simtypes.NewStoreDecoderFuncFromCollectionsSchema(am.keeper.Schema)
}

// WeightedOperations is the legacy entry point; the simulation uses WeightedOperationsX.
func (AppModule) WeightedOperations(module.SimulationState) []simtypes.WeightedOperation {
	return nil
}

// WeightedOperationsX registers a message factory for every Msg but MsgUpdateParams.
func (am AppModule) WeightedOperationsX(weight simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weight.Get("msg_commit_weights", 20), simulation.MsgCommitWeightsFactory())
	reg.Add(weight.Get("msg_register_model", 100), simulation.MsgRegisterModelFactory(am.keeper))
	reg.Add(weight.Get("msg_publish_version", 50), simulation.MsgPublishVersionFactory(am.keeper))
	reg.Add(weight.Get("msg_update_fees", 40), simulation.MsgUpdateFeesFactory(am.keeper))
	reg.Add(weight.Get("msg_update_shares", 40), simulation.MsgUpdateSharesFactory(am.keeper))
	reg.Add(weight.Get("msg_update_uri", 20), simulation.MsgUpdateUriFactory(am.keeper))
	reg.Add(weight.Get("msg_deprecate_model", 10), simulation.MsgDeprecateModelFactory(am.keeper))
	reg.Add(weight.Get("msg_transfer_ownership", 20), simulation.MsgTransferOwnershipFactory(am.keeper))
	reg.Add(weight.Get("msg_accept_ownership", 40), simulation.MsgAcceptOwnershipFactory(am.keeper))
	reg.Add(weight.Get("msg_cancel_ownership_transfer", 10), simulation.MsgCancelOwnershipTransferFactory(am.keeper))
}

// ProposalMsgsX registers MsgUpdateParams as a governance proposal message.
func (AppModule) ProposalMsgsX(weight simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weight.Get("msg_update_params", 20), simulation.MsgUpdateParamsFactory())
}

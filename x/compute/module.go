// Package compute is the x/compute module: GPU job auctions, escrow,
// results, verification state, settlement and slashing.
package compute

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

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/simulation"
	"github.com/aichain/aichain/x/compute/types"
)

// ConsensusVersion is the module's state-machine version: 2 since the
// economics of issue 14 (keeper.Migrator.Migrate1to2), 3 since the
// verification rules of issue 15 (keeper.Migrator.Migrate2to3), 4 since the
// per-denom payments of issue 19 (keeper.Migrator.Migrate3to4), 5 since
// buyer-chosen assurance and the sampling beacon of issue 15 items 5 and 1
// (keeper.Migrator.Migrate4to5), 6 since the provider index keeps no entry
// for a job without a winner (keeper.Migrator.Migrate5to6), 7 since
// submissions learn whether the beacon is active from a stored count of
// beacon keys (keeper.Migrator.Migrate6to7), 8 since a verification with a
// fee is decided verdict_grace_blocks after its quorum
// (keeper.Migrator.Migrate7to8), 9 since a job's tally is summed from each
// voter's verdict at its power in one commit (keeper.Migrator.Migrate8to9),
// 10 since a job records the params it is created under and keeps them to
// its end (types.JobParamTerms, keeper.Migrator.Migrate9to10), 11 since a
// job's counted verdicts are entries of their own while it is under check,
// not a list in its record (keeper.Migrator.Migrate10to11).
const ConsensusVersion = 11

var (
	_ module.AppModuleBasic      = AppModule{}
	_ module.HasGenesis          = AppModule{}
	_ module.HasGenesisBasics    = AppModule{}
	_ module.HasServices         = AppModule{}
	_ module.HasConsensusVersion = AppModule{}
	_ appmodule.AppModule        = AppModule{}
	_ appmodule.HasBeginBlocker  = AppModule{}
	_ appmodule.HasEndBlocker    = AppModule{}

	_ module.AppModuleSimulation = AppModule{}
)

// AppModule is the compute module.
type AppModule struct {
	cdc    codec.Codec
	keeper keeper.Keeper
}

// NewAppModule returns the compute module over its keeper.
func NewAppModule(cdc codec.Codec, k keeper.Keeper) AppModule {
	return AppModule{cdc: cdc, keeper: k}
}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// IsOnePerModuleType implements depinject.OnePerModuleType.
func (AppModule) IsOnePerModuleType() {}

// Name returns the module's name.
func (AppModule) Name() string { return types.ModuleName }

// RegisterLegacyAminoCodec registers the module's amino names.
func (AppModule) RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	types.RegisterLegacyAminoCodec(cdc)
}

// RegisterInterfaces registers the module's Msgs.
func (AppModule) RegisterInterfaces(ir codectypes.InterfaceRegistry) {
	types.RegisterInterfaces(ir)
}

// RegisterGRPCGatewayRoutes registers the REST routes under /aichain/compute/v1.
func (AppModule) RegisterGRPCGatewayRoutes(clientCtx client.Context, mux *gwruntime.ServeMux) {
	if err := types.RegisterQueryHandlerClient(context.Background(), mux, types.NewQueryClient(clientCtx)); err != nil {
		panic(err)
	}
}

// RegisterServices registers the Msg and Query services and the store
// migrations.
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
	if err := cfg.RegisterMigration(types.ModuleName, 5, keeper.NewMigrator(am.keeper).Migrate5to6); err != nil {
		panic(fmt.Errorf("register the %s 5→6 migration: %w", types.ModuleName, err))
	}
	if err := cfg.RegisterMigration(types.ModuleName, 6, keeper.NewMigrator(am.keeper).Migrate6to7); err != nil {
		panic(fmt.Errorf("register the %s 6→7 migration: %w", types.ModuleName, err))
	}
	if err := cfg.RegisterMigration(types.ModuleName, 7, keeper.NewMigrator(am.keeper).Migrate7to8); err != nil {
		panic(fmt.Errorf("register the %s 7→8 migration: %w", types.ModuleName, err))
	}
	if err := cfg.RegisterMigration(types.ModuleName, 8, keeper.NewMigrator(am.keeper).Migrate8to9); err != nil {
		panic(fmt.Errorf("register the %s 8→9 migration: %w", types.ModuleName, err))
	}
	if err := cfg.RegisterMigration(types.ModuleName, 9, keeper.NewMigrator(am.keeper).Migrate9to10); err != nil {
		panic(fmt.Errorf("register the %s 9→10 migration: %w", types.ModuleName, err))
	}
	if err := cfg.RegisterMigration(types.ModuleName, 10, keeper.NewMigrator(am.keeper).Migrate10to11); err != nil {
		panic(fmt.Errorf("register the %s 10→11 migration: %w", types.ModuleName, err))
	}
}

// DefaultGenesis returns the default genesis state.
func (AppModule) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(types.DefaultGenesis())
}

// ValidateGenesis checks a genesis state.
func (AppModule) ValidateGenesis(cdc codec.JSONCodec, _ client.TxEncodingConfig, bz json.RawMessage) error {
	var gs types.GenesisState
	if err := cdc.UnmarshalJSON(bz, &gs); err != nil {
		return fmt.Errorf("decode %s genesis: %w", types.ModuleName, err)
	}
	return gs.Validate()
}

// InitGenesis loads the genesis state.
func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, data json.RawMessage) {
	var gs types.GenesisState
	cdc.MustUnmarshalJSON(data, &gs)
	if err := am.keeper.InitGenesis(ctx, &gs); err != nil {
		panic(fmt.Errorf("init %s genesis: %w", types.ModuleName, err))
	}
}

// ExportGenesis exports the state.
func (am AppModule) ExportGenesis(ctx sdk.Context, cdc codec.JSONCodec) json.RawMessage {
	gs, err := am.keeper.ExportGenesis(ctx)
	if err != nil {
		panic(fmt.Errorf("export %s genesis: %w", types.ModuleName, err))
	}
	return cdc.MustMarshalJSON(gs)
}

// BeginBlock runs the sampling draws of the previous block's results.
func (am AppModule) BeginBlock(ctx context.Context) error {
	return am.keeper.BeginBlocker(ctx)
}

// EndBlock drains the due queue entries.
func (am AppModule) EndBlock(ctx context.Context) error {
	return am.keeper.EndBlocker(ctx)
}

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }

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

// WeightedOperationsX registers a message factory for every Msg but
// MsgUpdateParams, MsgRegisterBeaconKey and MsgSetVerifierEndpoint (the
// validators' own). Verdicts come from vote extensions, which the simulation
// does not produce: sampled jobs settle as inconclusive.
func (am AppModule) WeightedOperationsX(weight simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weight.Get("msg_register_provider", 60), simulation.MsgRegisterProviderFactory(am.keeper))
	reg.Add(weight.Get("msg_update_provider", 20), simulation.MsgUpdateProviderFactory(am.keeper))
	reg.Add(weight.Get("msg_unbond_provider", 5), simulation.MsgUnbondProviderFactory(am.keeper))
	reg.Add(weight.Get("msg_create_job", 100), simulation.MsgCreateJobFactory(am.keeper))
	reg.Add(weight.Get("msg_cancel_job", 10), simulation.MsgCancelJobFactory(am.keeper))
	reg.Add(weight.Get("msg_commit_bid", 100), simulation.MsgCommitBidFactory(am.keeper))
	reg.Add(weight.Get("msg_reveal_bid", 100), simulation.MsgRevealBidFactory(am.keeper))
	reg.Add(weight.Get("msg_submit_result", 80), simulation.MsgSubmitResultFactory(am.keeper))
	reg.Add(weight.Get("msg_dispute_result", 20), simulation.MsgDisputeResultFactory(am.keeper))
	reg.Add(weight.Get("msg_reveal_sample_secret", 40), simulation.MsgRevealSampleSecretFactory(am.keeper))
	reg.Add(weight.Get("msg_abort_job", 10), simulation.MsgAbortJobFactory(am.keeper))
	reg.Add(weight.Get("msg_post_model_bond", 10), simulation.MsgPostModelBondFactory(am.keeper))
	reg.Add(weight.Get("msg_withdraw_model_bond", 5), simulation.MsgWithdrawModelBondFactory(am.keeper))
}

// ProposalMsgsX registers MsgUpdateParams as a governance proposal message.
func (AppModule) ProposalMsgsX(weight simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weight.Get("msg_update_params", 20), simulation.MsgUpdateParamsFactory())
}

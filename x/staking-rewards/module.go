// Package stakingrewards is the x/staking-rewards module: token lockups with
// duration tiers, a share of every protocol, market and platform fee paid to
// lockers by weight, and lock weight counted in governance tallies.
package stakingrewards

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

	"github.com/aichain/aichain/x/staking-rewards/keeper"
	"github.com/aichain/aichain/x/staking-rewards/simulation"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// ConsensusVersion is the module's consensus version: 2 since rewards are
// settled per owner instead of per lock (keeper.Migrator.Migrate1to2), 3
// since only the rewarded denoms are distributed (params.reward_denoms,
// keeper.Migrator.Migrate2to3), 4 since only locks of at least
// min_vote_lock_duration vote (keeper.Migrator.Migrate3to4).
const ConsensusVersion = 4

var (
	_ module.HasGenesis          = AppModule{}
	_ module.HasGenesisBasics    = AppModule{}
	_ module.HasServices         = AppModule{}
	_ module.HasConsensusVersion = AppModule{}
	_ module.AppModuleBasic      = AppModule{}
	_ appmodule.AppModule        = AppModule{}
	_ appmodule.HasEndBlocker    = AppModule{}
)

// AppModule is the staking-rewards module.
type AppModule struct {
	cdc       codec.Codec
	keeper    keeper.Keeper
	feeDenoms keeper.FeeDenoms
}

// NewAppModule returns the module over its keeper.
func NewAppModule(cdc codec.Codec, k keeper.Keeper) AppModule {
	return AppModule{cdc: cdc, keeper: k}
}

// WithFeeDenoms returns the module whose 2→3 migration lists, of the denoms
// version 2 distributed, those feeDenoms returns (keeper.FeeDenoms; the app
// gives the denoms its modules have paid fees in).
func (am AppModule) WithFeeDenoms(feeDenoms keeper.FeeDenoms) AppModule {
	am.feeDenoms = feeDenoms
	return am
}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// IsOnePerModuleType implements depinject.OnePerModuleType.
func (AppModule) IsOnePerModuleType() {}

// Name returns the module's name.
func (AppModule) Name() string { return types.ModuleName }

// RegisterLegacyAminoCodec registers the Msgs' amino names.
func (AppModule) RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	types.RegisterLegacyAminoCodec(cdc)
}

// RegisterInterfaces registers the Msgs.
func (AppModule) RegisterInterfaces(ir codectypes.InterfaceRegistry) {
	types.RegisterInterfaces(ir)
}

// RegisterGRPCGatewayRoutes registers the REST routes.
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
	if err := cfg.RegisterMigration(types.ModuleName, 2, keeper.NewMigrator(am.keeper).WithFeeDenoms(am.feeDenoms).Migrate2to3); err != nil {
		panic(fmt.Errorf("register the %s 2→3 migration: %w", types.ModuleName, err))
	}
	if err := cfg.RegisterMigration(types.ModuleName, 3, keeper.NewMigrator(am.keeper).Migrate3to4); err != nil {
		panic(fmt.Errorf("register the %s 3→4 migration: %w", types.ModuleName, err))
	}
}

// DefaultGenesis returns the default genesis.
func (AppModule) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(types.DefaultGenesis())
}

// ValidateGenesis checks a genesis.
func (AppModule) ValidateGenesis(cdc codec.JSONCodec, _ client.TxEncodingConfig, bz json.RawMessage) error {
	var gs types.GenesisState
	if err := cdc.UnmarshalJSON(bz, &gs); err != nil {
		return fmt.Errorf("decode %s genesis: %w", types.ModuleName, err)
	}
	return gs.Validate()
}

// InitGenesis writes the genesis state.
func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, data json.RawMessage) {
	var gs types.GenesisState
	cdc.MustUnmarshalJSON(data, &gs)
	if err := am.keeper.InitGenesis(ctx, &gs); err != nil {
		panic(fmt.Errorf("%s genesis: %w", types.ModuleName, err))
	}
}

// ExportGenesis exports the state.
func (am AppModule) ExportGenesis(ctx sdk.Context, cdc codec.JSONCodec) json.RawMessage {
	gs, err := am.keeper.ExportGenesis(ctx)
	if err != nil {
		panic(fmt.Errorf("%s export: %w", types.ModuleName, err))
	}
	return cdc.MustMarshalJSON(gs)
}

// EndBlock distributes new reward-pool coins and pays back matured locks.
func (am AppModule) EndBlock(ctx context.Context) error {
	return am.keeper.EndBlocker(ctx)
}

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }

// ---- simulation

var _ module.AppModuleSimulation = AppModule{}

// GenerateGenesisState writes a random genesis for the simulation.
func (AppModule) GenerateGenesisState(simState *module.SimulationState) {
	simulation.RandomizedGenState(simState)
}

// RegisterStoreDecoder decodes the module's store from its collections schema.
func (am AppModule) RegisterStoreDecoder(sdr simtypes.StoreDecoderRegistry) {
	sdr[types.StoreKey] = simtypes.NewStoreDecoderFuncFromCollectionsSchema(am.keeper.Schema)
}

// WeightedOperations is the legacy entry point; the simulation uses WeightedOperationsX.
func (AppModule) WeightedOperations(module.SimulationState) []simtypes.WeightedOperation {
	return nil
}

// WeightedOperationsX registers a message factory for every Msg but MsgUpdateParams.
func (am AppModule) WeightedOperationsX(weight simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weight.Get("msg_lock", 100), simulation.MsgLockFactory(am.keeper))
	reg.Add(weight.Get("msg_extend_lock", 30), simulation.MsgExtendLockFactory(am.keeper))
	reg.Add(weight.Get("msg_begin_unlock", 40), simulation.MsgBeginUnlockFactory(am.keeper))
	reg.Add(weight.Get("msg_withdraw", 40), simulation.MsgWithdrawFactory(am.keeper))
	reg.Add(weight.Get("msg_claim_rewards", 50), simulation.MsgClaimRewardsFactory(am.keeper))
}

// ProposalMsgsX registers MsgUpdateParams as a governance proposal message.
func (AppModule) ProposalMsgsX(weight simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weight.Get("msg_update_params", 20), simulation.MsgUpdateParamsFactory())
}

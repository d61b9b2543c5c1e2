// Package datamarket is the x/datamarket module: datasets (npy-f32 files
// committed by a Merkle root over row chunks), licence offers, licences, and
// the access checks that aichain-dataserver and x/compute rely on.
package datamarket

import (
	"context"
	"encoding/json"
	"fmt"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"
	"github.com/spf13/cobra"

	"cosmossdk.io/core/appmodule"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/aichain/aichain/x/datamarket/client/cli"
	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/simulation"
	"github.com/aichain/aichain/x/datamarket/types"
)

// ConsensusVersion is the module's consensus version: 2 since the indexes
// of issue 17 (keeper.Migrator.Migrate1to2), 3 since LicenseHolders
// (keeper.Migrator.Migrate2to3), 4 since LiveLicenses
// (keeper.Migrator.Migrate3to4), 5 since ContentRoots and ContentShas
// (keeper.Migrator.Migrate4to5), 6 since content commitments
// (keeper.Migrator.Migrate5to6).
const ConsensusVersion = 6

var (
	_ module.HasGenesis          = AppModule{}
	_ module.HasGenesisBasics    = AppModule{}
	_ module.HasServices         = AppModule{}
	_ module.HasName             = AppModule{}
	_ module.HasConsensusVersion = AppModule{}
	_ module.AppModuleBasic      = AppModule{}
	_ module.AppModuleSimulation = AppModule{}

	_ appmodule.AppModule     = AppModule{}
	_ appmodule.HasEndBlocker = AppModule{}
)

// AppModule is the datamarket module.
type AppModule struct {
	cdc    codec.Codec
	keeper keeper.Keeper
}

// NewAppModule returns the datamarket module.
func NewAppModule(cdc codec.Codec, k keeper.Keeper) AppModule {
	return AppModule{cdc: cdc, keeper: k}
}

// IsAppModule implements appmodule.AppModule.
func (AppModule) IsAppModule() {}

// IsOnePerModuleType implements depinject.OnePerModuleType.
func (AppModule) IsOnePerModuleType() {}

// Name returns the module's name.
func (AppModule) Name() string { return types.ModuleName }

// RegisterLegacyAminoCodec registers the amino names of the Msgs.
func (AppModule) RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	types.RegisterLegacyAminoCodec(cdc)
}

// RegisterInterfaces registers the Msgs.
func (AppModule) RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	types.RegisterInterfaces(registry)
}

// RegisterGRPCGatewayRoutes registers the REST routes.
func (AppModule) RegisterGRPCGatewayRoutes(clientCtx client.Context, mux *gwruntime.ServeMux) {
	if err := types.RegisterQueryHandlerClient(context.Background(), mux, types.NewQueryClient(clientCtx)); err != nil {
		panic(err)
	}
}

// GetTxCmd returns the module's tx command; autocli adds the generated
// commands (EnhanceCustomCommand) and the node binary list-dataset and
// update-dataset, which read the .npy file.
func (AppModule) GetTxCmd() *cobra.Command { return cli.GetTxCmd() }

// GetQueryCmd returns the module's query command; autocli adds the generated
// commands (EnhanceCustomCommand) and the node binary download, which talks
// to a dataset server.
func (AppModule) GetQueryCmd() *cobra.Command { return cli.GetQueryCmd() }

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
	if err := cfg.RegisterMigration(types.ModuleName, 5, keeper.NewMigrator(am.keeper).Migrate5to6); err != nil {
		panic(fmt.Errorf("register the %s 5→6 migration: %w", types.ModuleName, err))
	}
}

// DefaultGenesis returns the default genesis.
func (AppModule) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(types.DefaultGenesis())
}

// ValidateGenesis validates a genesis.
func (AppModule) ValidateGenesis(cdc codec.JSONCodec, _ client.TxEncodingConfig, bz json.RawMessage) error {
	var gs types.GenesisState
	if err := cdc.UnmarshalJSON(bz, &gs); err != nil {
		return fmt.Errorf("decode %s genesis: %w", types.ModuleName, err)
	}
	return gs.Validate()
}

// InitGenesis imports the genesis.
func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, bz json.RawMessage) {
	var gs types.GenesisState
	cdc.MustUnmarshalJSON(bz, &gs)
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

// EndBlock marks due licences expired (capped per block).
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

// WeightedOperationsX registers a message factory for every Msg but MsgUpdateParams.
func (am AppModule) WeightedOperationsX(weight simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weight.Get("msg_commit_content", 20), simulation.MsgCommitContentFactory())
	reg.Add(weight.Get("msg_list_dataset", 100), simulation.MsgListDatasetFactory(am.keeper))
	reg.Add(weight.Get("msg_update_dataset", 30), simulation.MsgUpdateDatasetFactory(am.keeper))
	reg.Add(weight.Get("msg_delist_dataset", 5), simulation.MsgDelistDatasetFactory(am.keeper))
	reg.Add(weight.Get("msg_purchase_license", 100), simulation.MsgPurchaseLicenseFactory(am.keeper))
	reg.Add(weight.Get("msg_renew_license", 40), simulation.MsgRenewLicenseFactory(am.keeper))
	reg.Add(weight.Get("msg_transfer_license", 20), simulation.MsgTransferLicenseFactory(am.keeper))
	reg.Add(weight.Get("msg_update_dataset_shares", 15), simulation.MsgUpdateDatasetSharesFactory(am.keeper))
	reg.Add(weight.Get("msg_transfer_dataset", 20), simulation.MsgTransferDatasetFactory(am.keeper))
	reg.Add(weight.Get("msg_accept_dataset", 40), simulation.MsgAcceptDatasetFactory(am.keeper))
	reg.Add(weight.Get("msg_cancel_dataset_transfer", 10), simulation.MsgCancelDatasetTransferFactory(am.keeper))
}

// ProposalMsgsX registers MsgUpdateParams as a governance proposal message.
func (AppModule) ProposalMsgsX(weight simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weight.Get("msg_update_params", 20), simulation.MsgUpdateParamsFactory())
}

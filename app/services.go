package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aichain/aichain/app/openapi"

	"github.com/cosmos/cosmos-sdk/telemetry"
	"github.com/hashicorp/go-metrics"

	computetypes "github.com/aichain/aichain/x/compute/types"

	abci "github.com/cometbft/cometbft/abci/types"

	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/core/appmodule"
	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
	nodeservice "github.com/cosmos/cosmos-sdk/client/grpc/node"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/types"
	runtimeservices "github.com/cosmos/cosmos-sdk/runtime/services"
	"github.com/cosmos/cosmos-sdk/server/api"
	"github.com/cosmos/cosmos-sdk/server/config"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	authcodec "github.com/cosmos/cosmos-sdk/x/auth/codec"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	// aichain module imports (each module adds its own lines below).
)

// Name returns the application's name.
func (app *App) Name() string { return app.BaseApp.Name() }

// PreBlocker runs the modules' pre-blockers (upgrades first).
func (app *App) PreBlocker(ctx sdk.Context, _ *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
	return app.ModuleManager.PreBlock(ctx)
}

// BeginBlocker runs the modules' begin-blockers; the block's transactions
// run after it (the proposer's pace times them).
func (app *App) BeginBlocker(ctx sdk.Context) (sdk.BeginBlock, error) {
	res, err := app.ModuleManager.BeginBlock(ctx)
	now := time.Now()
	app.pace.txsBegin(now)
	app.blocks.mark(func(h *heightTimes) { h.txsBegan = now })
	return res, err
}

// EndBlocker runs the modules' end-blockers, after the block's
// transactions.
func (app *App) EndBlocker(ctx sdk.Context) (sdk.EndBlock, error) {
	now := time.Now()
	app.pace.txsEnd(now)
	app.blocks.mark(func(h *heightTimes) { h.txsEnded = now })
	res, err := app.ModuleManager.EndBlock(ctx)
	if err == nil {
		app.reportComputeGauges(ctx)
	}
	return res, err
}

// reportComputeGauges sets the telemetry gauges of x/compute's counters
// (aichain_compute_jobs{state}, aichain_compute_active_providers,
// aichain_compute_gpus_online): one read of the stats, when telemetry is on.
func (app *App) reportComputeGauges(ctx sdk.Context) {
	if !telemetry.IsTelemetryEnabled() {
		return
	}
	s, err := app.ComputeKeeper.Stats.Get(ctx)
	if err != nil {
		return // no jobs yet
	}
	counts := map[computetypes.JobState]uint64{}
	for _, c := range s.JobsPerState {
		counts[c.State] = c.Count
	}
	for state, name := range computetypes.JobState_name {
		if computetypes.JobState(state) == computetypes.JobState_JOB_STATE_UNSPECIFIED {
			continue
		}
		telemetry.SetGaugeWithLabels([]string{"aichain", "compute", "jobs"}, float32(counts[computetypes.JobState(state)]),
			[]metrics.Label{telemetry.NewLabel("state", strings.TrimPrefix(name, "JOB_STATE_"))})
	}
	telemetry.SetGauge(float32(s.ActiveProviders), "aichain", "compute", "active_providers")
	telemetry.SetGauge(float32(s.GpusOnline), "aichain", "compute", "gpus_online")
}

// InitChainer initialises every module from the genesis app state.
func (app *App) InitChainer(ctx sdk.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	var genesisState GenesisState
	if err := json.Unmarshal(req.AppStateBytes, &genesisState); err != nil {
		return nil, fmt.Errorf("decode genesis app state: %w", err)
	}
	if err := app.UpgradeKeeper.SetModuleVersionMap(ctx, app.ModuleManager.GetVersionMap()); err != nil {
		return nil, err
	}
	res, err := app.ModuleManager.InitGenesis(ctx, app.appCodec, genesisState)
	if err != nil {
		return nil, err
	}
	if _, err := app.ensureModuleAccounts(ctx); err != nil {
		return nil, err
	}
	// x/compute's bonds and escrows must be in its account (x/bank's genesis).
	if err := app.ComputeKeeper.CheckHoldings(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

// LoadHeight loads the state at a given height.
func (app *App) LoadHeight(height int64) error {
	return app.LoadVersion(height)
}

// LegacyAmino returns the amino codec (for amino JSON signing and legacy REST).
func (app *App) LegacyAmino() *codec.LegacyAmino { return app.legacyAmino }

// AppCodec returns the application's proto codec.
func (app *App) AppCodec() codec.Codec { return app.appCodec }

// InterfaceRegistry returns the application's interface registry.
func (app *App) InterfaceRegistry() types.InterfaceRegistry { return app.interfaceRegistry }

// TxConfig returns the application's tx config.
func (app *App) TxConfig() client.TxConfig { return app.txConfig }

// GetKey returns the KV store key of a module (tests only).
func (app *App) GetKey(storeKey string) *storetypes.KVStoreKey { return app.keys[storeKey] }

// SimulationManager implements runtime.AppI.
func (app *App) SimulationManager() *module.SimulationManager { return app.sm }

// DefaultGenesis returns the default genesis of every module, in uaic.
func (app *App) DefaultGenesis() map[string]json.RawMessage {
	return app.BasicModuleManager.DefaultGenesis(app.appCodec)
}

// AutoCliOpts returns the autocli options built from the app's modules.
func (app *App) AutoCliOpts() autocli.AppOptions {
	modules := make(map[string]appmodule.AppModule)
	for _, m := range app.ModuleManager.Modules {
		if moduleWithName, ok := m.(module.HasName); ok {
			if appModule, ok := moduleWithName.(appmodule.AppModule); ok {
				modules[moduleWithName.Name()] = appModule
			}
		}
	}
	return autocli.AppOptions{
		Modules:               modules,
		ModuleOptions:         runtimeservices.ExtractAutoCLIOptions(app.ModuleManager.Modules),
		AddressCodec:          authcodec.NewBech32Codec(Bech32Prefix),
		ValidatorAddressCodec: authcodec.NewBech32Codec(Bech32PrefixValAddr),
		ConsensusAddressCodec: authcodec.NewBech32Codec(Bech32PrefixConsAddr),
	}
}

// RegisterAPIRoutes registers the REST gateway routes of every module.
func (app *App) RegisterAPIRoutes(apiSvr *api.Server, apiConfig config.APIConfig) {
	clientCtx := apiSvr.ClientCtx
	authtx.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	cmtservice.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	nodeservice.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	app.BasicModuleManager.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	if err := openapi.Register(apiSvr.Router, apiConfig.Swagger); err != nil {
		panic(err)
	}
}

// RegisterTxService registers the gRPC tx service (simulate, broadcast,
// get), with at most broadcastSlots broadcasts and simulateSlots
// simulations running at once (simulations the smallest first, a few open
// per client), none of a transaction over the mempool's max_tx_bytes, each
// broadcast verifying its signatures before CheckTx where it may (see
// limitedTxService and sigPrecheck). An in-process node's client also lets
// CheckTx read its mempool (mempoolRoom).
func (app *App) RegisterTxService(clientCtx client.Context) {
	svc := newLimitedTxService(authtx.NewTxServer(clientCtx, app.BaseApp.Simulate, app.interfaceRegistry), broadcastSlots, app.precheck)
	svc.maxTxBytes = app.maxTxBytes
	app.room.watch(clientCtx)
	txtypes.RegisterServiceServer(app.BaseApp.GRPCQueryRouter(), svc)
}

// RegisterTendermintService registers the CometBFT query service.
func (app *App) RegisterTendermintService(clientCtx client.Context) {
	cmtservice.RegisterTendermintService(clientCtx, app.BaseApp.GRPCQueryRouter(), app.interfaceRegistry, app.Query)
}

// RegisterNodeService registers the node's config and status gRPC service.
func (app *App) RegisterNodeService(clientCtx client.Context, cfg config.Config) {
	nodeservice.RegisterNodeService(clientCtx, app.GRPCQueryRouter(), cfg)
}

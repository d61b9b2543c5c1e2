// Package app wires the aichain application: the SDK modules every sovereign
// chain needs and aichain's own modules, each keeper built explicitly so that
// a reader can follow every dependency from this one file.
package app

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	icacontrollerkeeper "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/controller/keeper"
	icahostkeeper "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/host/keeper"
	icatypes "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/types"
	ibctransferkeeper "github.com/cosmos/ibc-go/v10/modules/apps/transfer/keeper"
	ibctransfertypes "github.com/cosmos/ibc-go/v10/modules/apps/transfer/types"
	ibcexported "github.com/cosmos/ibc-go/v10/modules/core/exported"
	ibckeeper "github.com/cosmos/ibc-go/v10/modules/core/keeper"

	txmodule "github.com/cosmos/cosmos-sdk/x/auth/tx/config"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/spf13/cast"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	reflectionv1 "cosmossdk.io/api/cosmos/reflection/v1"
	"cosmossdk.io/log"
	storetypes "cosmossdk.io/store/types"
	evidencekeeper "cosmossdk.io/x/evidence/keeper"
	evidencetypes "cosmossdk.io/x/evidence/types"
	"cosmossdk.io/x/feegrant"
	feegrantkeeper "cosmossdk.io/x/feegrant/keeper"
	upgradekeeper "cosmossdk.io/x/upgrade/keeper"
	upgradetypes "cosmossdk.io/x/upgrade/types"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	runtimeservices "github.com/cosmos/cosmos-sdk/runtime/services"
	"github.com/cosmos/cosmos-sdk/server"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/version"
	"github.com/cosmos/cosmos-sdk/x/auth"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authsims "github.com/cosmos/cosmos-sdk/x/auth/simulation"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	vestingtypes "github.com/cosmos/cosmos-sdk/x/auth/vesting/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
	authzkeeper "github.com/cosmos/cosmos-sdk/x/authz/keeper"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	consensusparamkeeper "github.com/cosmos/cosmos-sdk/x/consensus/keeper"
	consensusparamtypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	distrkeeper "github.com/cosmos/cosmos-sdk/x/distribution/keeper"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	govkeeper "github.com/cosmos/cosmos-sdk/x/gov/keeper"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1beta1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1beta1"
	mintkeeper "github.com/cosmos/cosmos-sdk/x/mint/keeper"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	slashingkeeper "github.com/cosmos/cosmos-sdk/x/slashing/keeper"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	// aichain module imports (each module adds its own lines below).
	computekeeper "github.com/aichain/aichain/x/compute/keeper"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarketkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrykeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
	stakingrewardskeeper "github.com/aichain/aichain/x/staking-rewards/keeper"
	stakingrewardstypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// DefaultNodeHome is where aichaind keeps its config and data: ~/.aichain.
var DefaultNodeHome string

func init() {
	userHomeDir, err := os.UserHomeDir()
	if err != nil {
		userHomeDir = "."
	}
	DefaultNodeHome = filepath.Join(userHomeDir, ".aichain")
}

var (
	_ runtime.AppI            = (*App)(nil)
	_ servertypes.Application = (*App)(nil)
)

// App is the aichain application.
type App struct {
	*baseapp.BaseApp

	legacyAmino       *codec.LegacyAmino
	appCodec          codec.Codec
	txConfig          client.TxConfig
	interfaceRegistry types.InterfaceRegistry

	keys map[string]*storetypes.KVStoreKey

	// SDK keepers
	AccountKeeper         authkeeper.AccountKeeper
	BankKeeper            bankkeeper.BaseKeeper
	StakingKeeper         *stakingkeeper.Keeper
	SlashingKeeper        slashingkeeper.Keeper
	MintKeeper            mintkeeper.Keeper
	DistrKeeper           distrkeeper.Keeper
	GovKeeper             govkeeper.Keeper
	UpgradeKeeper         *upgradekeeper.Keeper
	AuthzKeeper           authzkeeper.Keeper
	EvidenceKeeper        evidencekeeper.Keeper
	FeeGrantKeeper        feegrantkeeper.Keeper
	ConsensusParamsKeeper consensusparamkeeper.Keeper

	// IBC keepers (ibc.go). IBCKeeper is a pointer: its routers are set on it.
	IBCKeeper           *ibckeeper.Keeper
	TransferKeeper      ibctransferkeeper.Keeper
	ICAControllerKeeper icacontrollerkeeper.Keeper
	ICAHostKeeper       icahostkeeper.Keeper

	// aichain keepers (each module adds its own field below).
	ComputeKeeper computekeeper.Keeper

	DataMarketKeeper    datamarketkeeper.Keeper
	ModelRegistryKeeper modelregistrykeeper.Keeper

	// staking-rewards: gov's tally uses it.
	StakingRewardsKeeper stakingrewardskeeper.Keeper
	planFeeDenoms        []string // the fee denoms the v3-verification plan names (upgrades.go)

	ModuleManager      *module.Manager
	BasicModuleManager module.BasicManager
	sm                 *module.SimulationManager
	configurator       module.Configurator
	precheck           *sigPrecheck // the memo of verified signatures, shared by the ante and the tx service
	maxTxBytes         int          // config.toml [mempool] max_tx_bytes: the largest transaction the tx service takes
	room               *mempoolRoom // what the node's mempool holds and has admitted, so CheckTx admits no transaction CometBFT drops

	proposer    ProposerConfig // app.toml [proposer]: what the blocks this validator proposes hold
	pace        *execPace      // how fast this node executes transactions (for [proposer] max-exec-time)
	blocks      *blockLog      // the line per block saying where its time went
	proposalTxs *proposalTxs   // what proposals read of the transactions CheckTx admitted (not decoded again)
}

// New returns a fully wired aichain application.
func New(
	logger log.Logger,
	db dbm.DB,
	traceStore io.Writer,
	loadLatest bool,
	appOpts servertypes.AppOptions,
	baseAppOptions ...func(*baseapp.BaseApp),
) *App {
	interfaceRegistry, appCodec, legacyAmino := newCodecs()
	txConfig := authtx.NewTxConfig(appCodec, authtx.DefaultSignModes)

	bApp := baseapp.NewBaseApp(AppName, logger, db, txConfig.TxDecoder(), baseAppOptions...)
	bApp.SetCommitMultiStoreTracer(traceStore)
	bApp.SetVersion(version.Version)
	bApp.SetInterfaceRegistry(interfaceRegistry)
	bApp.SetTxEncoder(txConfig.TxEncoder())

	keys := storetypes.NewKVStoreKeys(
		authtypes.StoreKey, banktypes.StoreKey, stakingtypes.StoreKey,
		minttypes.StoreKey, distrtypes.StoreKey, slashingtypes.StoreKey,
		govtypes.StoreKey, consensusparamtypes.StoreKey, upgradetypes.StoreKey,
		feegrant.StoreKey, evidencetypes.StoreKey, authzkeeper.StoreKey,
		// aichain store keys (each module adds its own line below).
		computetypes.StoreKey,
		datamarkettypes.StoreKey,
		stakingrewardstypes.StoreKey,
		modelregistrytypes.StoreKey,
	)
	for _, name := range ibcStoreKeys {
		keys[name] = storetypes.NewKVStoreKey(name)
	}
	// Stores that named upgrades add (see upgrades.go).
	for _, name := range upgradeStoreKeys() {
		keys[name] = storetypes.NewKVStoreKey(name)
	}

	app := &App{
		BaseApp:           bApp,
		legacyAmino:       legacyAmino,
		appCodec:          appCodec,
		txConfig:          txConfig,
		interfaceRegistry: interfaceRegistry,
		keys:              keys,
	}

	authority := authtypes.NewModuleAddress(govtypes.ModuleName).String()

	app.ConsensusParamsKeeper = consensusparamkeeper.NewKeeper(
		appCodec, runtime.NewKVStoreService(keys[consensusparamtypes.StoreKey]), authority, runtime.EventService{},
	)
	bApp.SetParamStore(app.ConsensusParamsKeeper.ParamsStore)

	app.AccountKeeper = authkeeper.NewAccountKeeper(
		appCodec, runtime.NewKVStoreService(keys[authtypes.StoreKey]), authtypes.ProtoBaseAccount,
		maccPerms, address.NewBech32Codec(Bech32Prefix), Bech32Prefix, authority,
	)
	app.BankKeeper = bankkeeper.NewBaseKeeper(
		appCodec, runtime.NewKVStoreService(keys[banktypes.StoreKey]), app.AccountKeeper,
		BlockedAddresses(), authority, logger,
	)
	// SIGN_MODE_TEXTUAL (what a Ledger shows and signs) renders coins with
	// the bank's denom metadata, so its tx config comes after the bank keeper.
	txConfig = newTxConfig(appCodec, txmodule.NewBankKeeperCoinMetadataQueryFn(app.BankKeeper))
	app.txConfig = txConfig
	app.StakingKeeper = stakingkeeper.NewKeeper(
		appCodec, runtime.NewKVStoreService(keys[stakingtypes.StoreKey]), app.AccountKeeper, app.BankKeeper,
		authority, address.NewBech32Codec(Bech32PrefixValAddr), address.NewBech32Codec(Bech32PrefixConsAddr),
	)
	app.MintKeeper = mintkeeper.NewKeeper(
		appCodec, runtime.NewKVStoreService(keys[minttypes.StoreKey]), app.StakingKeeper,
		app.AccountKeeper, app.BankKeeper, authtypes.FeeCollectorName, authority,
	)
	app.DistrKeeper = distrkeeper.NewKeeper(
		appCodec, runtime.NewKVStoreService(keys[distrtypes.StoreKey]), app.AccountKeeper, app.BankKeeper,
		app.StakingKeeper, authtypes.FeeCollectorName, authority,
	)
	app.SlashingKeeper = slashingkeeper.NewKeeper(
		appCodec, legacyAmino, runtime.NewKVStoreService(keys[slashingtypes.StoreKey]), app.StakingKeeper, authority,
	)
	app.FeeGrantKeeper = feegrantkeeper.NewKeeper(
		appCodec, runtime.NewKVStoreService(keys[feegrant.StoreKey]), app.AccountKeeper,
	)

	// Staking hooks must be set before anything reads them: distribution tracks
	// rewards per delegation, slashing tracks signing info per validator.
	app.StakingKeeper.SetHooks(
		stakingtypes.NewMultiStakingHooks(app.DistrKeeper.Hooks(), app.SlashingKeeper.Hooks()),
	)

	app.AuthzKeeper = authzkeeper.NewKeeper(
		runtime.NewKVStoreService(keys[authzkeeper.StoreKey]), appCodec, app.MsgServiceRouter(), app.AccountKeeper,
	)

	skipUpgradeHeights := map[int64]bool{}
	for _, h := range cast.ToIntSlice(appOpts.Get(server.FlagUnsafeSkipUpgrades)) {
		skipUpgradeHeights[int64(h)] = true
	}
	homePath := cast.ToString(appOpts.Get(flags.FlagHome))
	app.UpgradeKeeper = upgradekeeper.NewKeeper(
		skipUpgradeHeights, runtime.NewKVStoreService(keys[upgradetypes.StoreKey]), appCodec, homePath,
		app.BaseApp, authority,
	)

	// staking-rewards is built before gov: gov tallies lock weight through it
	// (voter power += lock weight; quorum over bonded stake + total lock weight).
	// Reward-pool coins that arrive while no lock has weight go to the
	// community pool (x/distribution) rather than to the first locker.
	app.StakingRewardsKeeper = stakingrewardskeeper.NewKeeper(
		appCodec, runtime.NewKVStoreService(keys[stakingrewardstypes.StoreKey]), app.AccountKeeper,
		app.BankKeeper, app.StakingKeeper, app.DistrKeeper, authority,
	)

	govConfig := govtypes.DefaultConfig()
	govKeeper := govkeeper.NewKeeper(
		appCodec, runtime.NewKVStoreService(keys[govtypes.StoreKey]), app.AccountKeeper, app.BankKeeper,
		stakingrewardskeeper.NewGovStakingKeeper(app.StakingKeeper, app.StakingRewardsKeeper),
		app.DistrKeeper, app.MsgServiceRouter(), govConfig, authority,
		govkeeper.WithCustomCalculateVoteResultsAndVotingPowerFn(app.StakingRewardsKeeper.CalculateVoteResultsAndVotingPowerFn()),
	)
	// Legacy (v1beta1) text proposals still route through gov's own handler.
	legacyGovRouter := govv1beta1.NewRouter()
	legacyGovRouter.AddRoute(govtypes.RouterKey, govv1beta1.ProposalHandler)
	govKeeper.SetLegacyRouter(legacyGovRouter)
	app.GovKeeper = *govKeeper.SetHooks(govtypes.NewMultiGovHooks(app.StakingRewardsKeeper.GovHooks()))

	evidenceKeeper := evidencekeeper.NewKeeper(
		appCodec, runtime.NewKVStoreService(keys[evidencetypes.StoreKey]), app.StakingKeeper,
		app.SlashingKeeper, app.AccountKeeper.AddressCodec(), runtime.ProvideCometInfoService(),
	)
	app.EvidenceKeeper = *evidenceKeeper

	// ---- aichain keepers, in dependency order: modelregistry and datamarket
	// first, then compute (which uses both), then staking-rewards (which gov's
	// tally uses: see the gov keeper above). Each module adds its block here.

	// modelregistry: models, per-use fees and shares; pays model fees out of
	// the caller's module account (x/compute's), so it needs no account of its own.
	app.ModelRegistryKeeper = modelregistrykeeper.NewKeeper(
		appCodec, runtime.NewKVStoreService(keys[modelregistrytypes.StoreKey]),
		app.AccountKeeper, app.BankKeeper, authority,
	)

	// datamarket: datasets, licences, access checks; licence payments go from
	// the buyer straight to the shares and the reward pool, per-job fees out of
	// x/compute's account, so it needs no account of its own.
	app.DataMarketKeeper = datamarketkeeper.NewKeeper(
		appCodec, runtime.NewKVStoreService(keys[datamarkettypes.StoreKey]), app.AccountKeeper,
		app.BankKeeper, authority,
	)

	// compute: GPU job auctions, escrow, settlement and slashing; holds bonds
	// and escrows in its module account.
	app.ComputeKeeper = computekeeper.NewKeeper(
		appCodec, runtime.NewKVStoreService(keys[computetypes.StoreKey]),
		app.AccountKeeper, app.BankKeeper,
		app.ModelRegistryKeeper, app.DataMarketKeeper, app.StakingKeeper, authority,
	)
	ibcModules := app.newIBC(appCodec, keys, authority)

	app.setModules(ibcModules)

	// Upgrades run first, before any other module sees a block.
	app.ModuleManager.SetOrderPreBlockers(upgradetypes.ModuleName, authtypes.ModuleName)
	app.ModuleManager.SetOrderBeginBlockers(
		minttypes.ModuleName, distrtypes.ModuleName, slashingtypes.ModuleName,
		evidencetypes.ModuleName, stakingtypes.ModuleName, authz.ModuleName,
		ibcexported.ModuleName, ibctransfertypes.ModuleName, icatypes.ModuleName,
		// aichain begin blockers (each module adds its name below).
		computetypes.ModuleName,
	)
	app.ModuleManager.SetOrderEndBlockers(
		govtypes.ModuleName, stakingtypes.ModuleName, feegrant.ModuleName,
		ibcexported.ModuleName, ibctransfertypes.ModuleName, icatypes.ModuleName,
		// aichain end blockers (each module adds its name below).
		computetypes.ModuleName,
		datamarkettypes.ModuleName,
		modelregistrytypes.ModuleName,
		stakingrewardstypes.ModuleName,
	)
	// genutil runs after staking (it needs the pools) and after bank (it needs balances).
	genesisOrder := []string{
		authtypes.ModuleName, banktypes.ModuleName, distrtypes.ModuleName, stakingtypes.ModuleName,
		slashingtypes.ModuleName, govtypes.ModuleName, minttypes.ModuleName, genutiltypes.ModuleName,
		evidencetypes.ModuleName, authz.ModuleName, feegrant.ModuleName, upgradetypes.ModuleName,
		vestingtypes.ModuleName, consensusparamtypes.ModuleName,
		ibcexported.ModuleName, ibctransfertypes.ModuleName, icatypes.ModuleName,
		// aichain modules, after bank (each module adds its name below).
		computetypes.ModuleName,
		datamarkettypes.ModuleName,
		stakingrewardstypes.ModuleName,
		modelregistrytypes.ModuleName,
	}
	app.ModuleManager.SetOrderInitGenesis(genesisOrder...)
	app.ModuleManager.SetOrderExportGenesis(genesisOrder...)

	app.configurator = module.NewConfigurator(app.appCodec, app.MsgServiceRouter(), app.GRPCQueryRouter())
	if err := app.ModuleManager.RegisterServices(app.configurator); err != nil {
		panic(err)
	}

	app.setUpgradeHandlers()

	autocliv1.RegisterQueryServer(app.GRPCQueryRouter(), runtimeservices.NewAutoCLIQueryService(app.ModuleManager.Modules))
	reflectionSvc, err := runtimeservices.NewReflectionService()
	if err != nil {
		panic(err)
	}
	reflectionv1.RegisterReflectionServiceServer(app.GRPCQueryRouter(), reflectionSvc)

	app.sm = module.NewSimulationManagerFromAppModules(app.ModuleManager.Modules, map[string]module.AppModuleSimulation{
		authtypes.ModuleName: auth.NewAppModule(app.appCodec, app.AccountKeeper, authsims.RandomGenesisAccounts, nil),
	})
	app.sm.RegisterStoreDecoders()

	app.MountKVStores(keys)

	app.SetInitChainer(app.InitChainer)
	app.SetPreBlocker(app.PreBlocker)
	app.SetBeginBlocker(app.BeginBlocker)
	app.SetEndBlocker(app.EndBlocker)
	proposer, perr := ReadProposerConfig(appOpts)
	if perr != nil {
		panic(perr)
	}
	app.proposer, app.pace, app.blocks = proposer, &execPace{}, &blockLog{logger: logger}
	app.proposalTxs = &proposalTxs{ProposalTxVerifier: app, checked: newCheckedTxs(maxCheckedTxs, maxCheckedBytes)}
	// ABCI++: vote extensions carry the sidecars' verdicts (app/ve).
	app.setVoteExtensions(logger, appOpts)

	app.precheck = newSigPrecheck(newSigMemo(sigMemoSize), txConfig.TxDecoder(), txConfig.SignModeHandler())
	app.maxTxBytes = mempoolMaxTxBytes(appOpts)
	app.room = newMempoolRoom(appOpts)
	anteHandler, err := NewAnteHandler(HandlerOptions{
		HandlerOptions: ante.HandlerOptions{
			AccountKeeper:   app.AccountKeeper,
			BankKeeper:      app.BankKeeper,
			SignModeHandler: txConfig.SignModeHandler(),
			FeegrantKeeper:  app.FeeGrantKeeper,
			SigGasConsumer:  ante.DefaultSigVerificationGasConsumer,
		},
		IBCKeeper: app.IBCKeeper,
		Precheck:  app.precheck,
	})
	if err != nil {
		panic(fmt.Errorf("ante handler: %w", err))
	}
	// The pace times each kind of transaction; checked remembers what CheckTx admitted.
	app.SetAnteHandler(app.proposalTxs.checked.remember(app.pace.timed(anteHandler)))

	// That every Msg says who signs it is a test (TestEveryMsgNamesItsSigner):
	// NewBaseApp already merges the registry and logs the SDK's own known
	// warnings, and a second merge here would cost every node start and
	// every test app ~30 ms (the CLI builds no App: NewClient).

	if loadLatest {
		if err := app.LoadLatestVersion(); err != nil {
			panic(fmt.Errorf("load latest version: %w", err))
		}
	}
	return app
}

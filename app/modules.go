package app

import (
	"context"
	"errors"

	bankv1beta1 "cosmossdk.io/api/cosmos/bank/v1beta1"
	"cosmossdk.io/client/v2/autocli"
	storetypes "cosmossdk.io/store/types"
	"cosmossdk.io/x/evidence"
	feegrantmodule "cosmossdk.io/x/feegrant/module"
	"cosmossdk.io/x/tx/signing/textual"
	"cosmossdk.io/x/upgrade"
	"github.com/cosmos/gogoproto/proto"
	ibckeeper "github.com/cosmos/ibc-go/v10/modules/core/keeper"
	ibctm "github.com/cosmos/ibc-go/v10/modules/light-clients/07-tendermint"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/std"
	"github.com/cosmos/cosmos-sdk/types/module"
	signingtypes "github.com/cosmos/cosmos-sdk/types/tx/signing"
	"github.com/cosmos/cosmos-sdk/x/auth"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authsims "github.com/cosmos/cosmos-sdk/x/auth/simulation"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/auth/vesting"
	authzmodule "github.com/cosmos/cosmos-sdk/x/authz/module"
	"github.com/cosmos/cosmos-sdk/x/bank"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/consensus"
	distr "github.com/cosmos/cosmos-sdk/x/distribution"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/cosmos/cosmos-sdk/x/gov"
	govclient "github.com/cosmos/cosmos-sdk/x/gov/client"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	"github.com/cosmos/cosmos-sdk/x/mint"
	"github.com/cosmos/cosmos-sdk/x/slashing"
	"github.com/cosmos/cosmos-sdk/x/staking"

	"github.com/aichain/aichain/app/params"
	vetypes "github.com/aichain/aichain/app/ve/types"
	"github.com/aichain/aichain/x/compute"
	"github.com/aichain/aichain/x/datamarket"
	"github.com/aichain/aichain/x/modelregistry"
	stakingrewards "github.com/aichain/aichain/x/staking-rewards"
)

// newCodecs returns the app's interface registry (aichain's address codecs
// and signing options), its proto codec and legacy amino, with the SDK's std
// types and the vote-extension types registered; setModules registers the
// modules' types.
func newCodecs() (types.InterfaceRegistry, codec.Codec, *codec.LegacyAmino) {
	registry, err := types.NewInterfaceRegistryWithOptions(types.InterfaceRegistryOptions{
		ProtoFiles:     proto.HybridResolver,
		SigningOptions: params.SigningOptions(),
	})
	if err != nil {
		panic(err)
	}
	if err := registry.SigningContext().Validate(); err != nil {
		panic(err)
	}
	amino := codec.NewLegacyAmino()
	std.RegisterLegacyAminoCodec(amino)
	std.RegisterInterfaces(registry)
	vetypes.RegisterInterfaces(registry)
	vetypes.RegisterLegacyAminoCodec(amino)
	return registry, codec.NewProtoCodec(registry), amino
}

// newTxConfig is the app's tx config: the default sign modes and
// SIGN_MODE_TEXTUAL (what a Ledger shows and signs), which renders coins
// with the denom metadata that metadata returns.
func newTxConfig(cdc codec.Codec, metadata textual.CoinMetadataQueryFn) client.TxConfig {
	txConfig, err := authtx.NewTxConfigWithOptions(cdc, authtx.ConfigOptions{
		EnabledSignModes:           append(append([]signingtypes.SignMode{}, authtx.DefaultSignModes...), signingtypes.SignMode_SIGN_MODE_TEXTUAL),
		TextualCoinMetadataQueryFn: metadata,
	})
	if err != nil {
		panic(err)
	}
	return txConfig
}

// setModules builds the module manager over the app's keepers (ibcModules:
// the IBC modules, ibc.go) and the basic manager the CLI and genesis use,
// and registers every module's types in the app's codecs.
func (app *App) setModules(ibcModules []module.AppModule) {
	appCodec := app.appCodec
	app.ModuleManager = module.NewManager(append([]module.AppModule{
		genutil.NewAppModule(app.AccountKeeper, app.StakingKeeper, app, app.txConfig),
		auth.NewAppModule(appCodec, app.AccountKeeper, authsims.RandomGenesisAccounts, nil),
		vesting.NewAppModule(app.AccountKeeper, app.BankKeeper),
		bank.NewAppModule(appCodec, app.BankKeeper, app.AccountKeeper, nil),
		feegrantmodule.NewAppModule(appCodec, app.AccountKeeper, app.BankKeeper, app.FeeGrantKeeper, app.interfaceRegistry),
		gov.NewAppModule(appCodec, &app.GovKeeper, app.AccountKeeper, app.BankKeeper, nil),
		guardedMint{mint.NewAppModule(appCodec, app.MintKeeper, app.AccountKeeper, nil, nil)}, // mint_denom fixed: denom_guard.go
		slashing.NewAppModule(appCodec, app.SlashingKeeper, app.AccountKeeper, app.BankKeeper, app.StakingKeeper, nil, app.interfaceRegistry),
		guardedDistr{ // funding only in rewarded denoms: see denom_guard.go
			AppModule: distr.NewAppModule(appCodec, app.DistrKeeper, app.AccountKeeper, app.BankKeeper, app.StakingKeeper, nil),
			rewards:   app.StakingRewardsKeeper,
		},
		guardedStaking{ // bond_denom fixed: denom_guard.go
			AppModule: staking.NewAppModule(appCodec, app.StakingKeeper, app.AccountKeeper, app.BankKeeper, nil),
			keeper:    app.StakingKeeper,
		},
		upgrade.NewAppModule(app.UpgradeKeeper, app.AccountKeeper.AddressCodec()),
		evidence.NewAppModule(app.EvidenceKeeper),
		authzmodule.NewAppModule(appCodec, app.AuthzKeeper, app.AccountKeeper, app.BankKeeper, app.interfaceRegistry),
		consensus.NewAppModule(appCodec, app.ConsensusParamsKeeper),
		// aichain modules (each module adds its own line below).
		compute.NewAppModule(appCodec, app.ComputeKeeper),
		datamarket.NewAppModule(appCodec, app.DataMarketKeeper),
		stakingrewards.NewAppModule(appCodec, app.StakingRewardsKeeper).WithFeeDenoms(app.RewardFeeDenoms),
		modelregistry.NewAppModule(appCodec, app.ModelRegistryKeeper),
	}, ibcModules...)...)

	// BasicModuleManager serves the CLI and genesis: it must know each module,
	// with genutil and gov given what they need to validate and to render.
	app.BasicModuleManager = module.NewBasicManagerFromManager(
		app.ModuleManager,
		map[string]module.AppModuleBasic{
			genutiltypes.ModuleName: genutil.NewAppModuleBasic(genutiltypes.DefaultMessageValidator),
			govtypes.ModuleName:     gov.NewAppModuleBasic([]govclient.ProposalHandler{}),
			banktypes.ModuleName:    bankBasic{app.ModuleManager.Modules[banktypes.ModuleName].(bank.AppModule)},
		},
	)
	app.BasicModuleManager.RegisterLegacyAminoCodec(app.legacyAmino)
	app.BasicModuleManager.RegisterInterfaces(app.interfaceRegistry)
}

// ErrTextualNeedsNode: SIGN_MODE_TEXTUAL renders coins with the chain's denom
// metadata, which a Client, having no node, cannot read.
var ErrTextualNeedsNode = errors.New("SIGN_MODE_TEXTUAL renders coins with the chain's denom metadata: sign online (with --node), not offline")

// Client is the app as a command line or a test needs it without a node:
// its codecs and tx config, its modules' genesis (BasicModuleManager) and
// autocli options. It has no BaseApp, stores or keepers (but the account
// keeper, whose address codec the modules' commands take): building a whole
// app for these cost every aichaind command about 0.3 s of CPU, NewBaseApp
// and the reflection service each merging every proto descriptor again.
type Client struct{ app *App }

// NewClient returns the Client: the same modules, in the same order, as New
// wires, and the same types registered.
func NewClient() Client {
	registry, cdc, amino := newCodecs()
	a := &App{legacyAmino: amino, appCodec: cdc, interfaceRegistry: registry}
	a.AccountKeeper = authkeeper.NewAccountKeeper(cdc, runtime.NewKVStoreService(storetypes.NewKVStoreKey(authtypes.StoreKey)),
		authtypes.ProtoBaseAccount, maccPerms, address.NewBech32Codec(Bech32Prefix), Bech32Prefix,
		authtypes.NewModuleAddress(govtypes.ModuleName).String())
	a.txConfig = newTxConfig(cdc, func(context.Context, string) (*bankv1beta1.Metadata, error) {
		return nil, ErrTextualNeedsNode
	})
	// Core IBC has no autocli options: autocli finds its services by
	// registering them, which reads the keeper's sub-keepers (nil here).
	a.IBCKeeper = &ibckeeper.Keeper{}
	a.setModules(a.ibcModules(ibctm.LightClientModule{}))
	return Client{app: a}
}

// AppCodec is the app's proto codec.
func (c Client) AppCodec() codec.Codec { return c.app.appCodec }

// InterfaceRegistry is the app's interface registry.
func (c Client) InterfaceRegistry() types.InterfaceRegistry { return c.app.interfaceRegistry }

// TxConfig is the app's tx config; SIGN_MODE_TEXTUAL fails with
// ErrTextualNeedsNode (the CLI gives it a node's metadata when online).
func (c Client) TxConfig() client.TxConfig { return c.app.txConfig }

// LegacyAmino is the app's legacy amino codec.
func (c Client) LegacyAmino() *codec.LegacyAmino { return c.app.legacyAmino }

// BasicModuleManager is the app's basic manager: genesis defaults and
// validation, the modules' legacy commands.
func (c Client) BasicModuleManager() module.BasicManager { return c.app.BasicModuleManager }

// AutoCliOpts are the app's autocli options.
func (c Client) AutoCliOpts() autocli.AppOptions { return c.app.AutoCliOpts() }

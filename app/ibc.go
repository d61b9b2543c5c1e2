package app

import (
	corestore "cosmossdk.io/core/store"
	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/types/module"

	ica "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts"
	icacontroller "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/controller"
	icacontrollerkeeper "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/controller/keeper"
	icacontrollertypes "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/controller/types"
	icahost "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/host"
	icahostkeeper "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/host/keeper"
	icahosttypes "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/host/types"
	icatypes "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/types"
	"github.com/cosmos/ibc-go/v10/modules/apps/transfer"
	ibctransferkeeper "github.com/cosmos/ibc-go/v10/modules/apps/transfer/keeper"
	ibctransfertypes "github.com/cosmos/ibc-go/v10/modules/apps/transfer/types"
	transferv2 "github.com/cosmos/ibc-go/v10/modules/apps/transfer/v2"
	ibc "github.com/cosmos/ibc-go/v10/modules/core"
	porttypes "github.com/cosmos/ibc-go/v10/modules/core/05-port/types"
	ibcapi "github.com/cosmos/ibc-go/v10/modules/core/api"
	ibcexported "github.com/cosmos/ibc-go/v10/modules/core/exported"
	ibckeeper "github.com/cosmos/ibc-go/v10/modules/core/keeper"
	ibctm "github.com/cosmos/ibc-go/v10/modules/light-clients/07-tendermint"
)

// ibcStoreKeys are the stores of core IBC, ICS-20 transfer and interchain
// accounts (host and controller).
var ibcStoreKeys = []string{
	ibcexported.StoreKey, ibctransfertypes.StoreKey, icacontrollertypes.StoreKey, icahosttypes.StoreKey,
}

// ibcModuleNames are the IBC modules, in the order they begin and end blocks
// and load genesis (after the SDK's modules, before aichain's).
var ibcModuleNames = []string{ibcexported.ModuleName, ibctransfertypes.ModuleName, icatypes.ModuleName, ibctm.ModuleName}

// newIBC builds the IBC keepers (ibc-go v10, as its own simapp wires them,
// without x/params: the legacy subspaces are nil, there being no earlier IBC
// params to migrate), the routers of the ICS-20 transfer and interchain
// account stacks, and the 07-tendermint light client, and returns their app
// modules.
func (app *App) newIBC(cdc codec.Codec, keys map[string]*storetypes.KVStoreKey, authority string) []module.AppModule {
	store := func(name string) corestore.KVStoreService { return runtime.NewKVStoreService(keys[name]) }
	app.IBCKeeper = ibckeeper.NewKeeper(cdc, store(ibcexported.StoreKey), nil, app.UpgradeKeeper, authority)
	channels := app.IBCKeeper.ChannelKeeper
	app.ICAControllerKeeper = icacontrollerkeeper.NewKeeper(cdc, store(icacontrollertypes.StoreKey), nil,
		channels, channels, app.MsgServiceRouter(), authority)
	app.ICAHostKeeper = icahostkeeper.NewKeeper(cdc, store(icahosttypes.StoreKey), nil,
		channels, channels, app.AccountKeeper, icaHostRouter{app.MsgServiceRouter()}, app.GRPCQueryRouter(), authority)
	app.TransferKeeper = ibctransferkeeper.NewKeeper(cdc, store(ibctransfertypes.StoreKey), nil,
		channels, channels, app.MsgServiceRouter(), app.AccountKeeper, app.BankKeeper, authority)

	router := porttypes.NewRouter()
	router.AddRoute(ibctransfertypes.ModuleName, transfer.NewIBCModule(app.TransferKeeper))
	// Interchain accounts controlled from here are driven by their owners'
	// own MsgSendTx (no authentication module on top of the middleware).
	router.AddRoute(icacontrollertypes.SubModuleName, icacontroller.NewIBCMiddleware(app.ICAControllerKeeper))
	router.AddRoute(icahosttypes.SubModuleName, icahost.NewIBCModule(app.ICAHostKeeper))
	routerV2 := ibcapi.NewRouter()
	routerV2.AddRoute(ibctransfertypes.PortID, transferv2.NewIBCModule(app.TransferKeeper))
	app.IBCKeeper.SetRouter(router)
	app.IBCKeeper.SetRouterV2(routerV2)

	tendermint := ibctm.NewLightClientModule(cdc, app.IBCKeeper.ClientKeeper.GetStoreProvider())
	app.IBCKeeper.ClientKeeper.AddRoute(ibctm.ModuleName, &tendermint)

	return app.ibcModules(tendermint)
}

// ibcModules are the IBC app modules over the app's IBC keepers and the
// 07-tendermint light client.
func (app *App) ibcModules(tendermint ibctm.LightClientModule) []module.AppModule {
	return []module.AppModule{
		ibc.NewAppModule(app.IBCKeeper),
		transfer.NewAppModule(app.TransferKeeper),
		icaModule{ica.NewAppModule(&app.ICAControllerKeeper, &app.ICAHostKeeper)}, // the host's allow list: ica_host.go
		ibctm.NewAppModule(tendermint),
	}
}

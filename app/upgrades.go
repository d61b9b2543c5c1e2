package app

import (
	"context"
	"fmt"

	storetypes "cosmossdk.io/store/types"
	upgradetypes "cosmossdk.io/x/upgrade/types"

	"github.com/cosmos/cosmos-sdk/types/module"
)

// Upgrade is a named software upgrade: the name a gov upgrade plan uses (and
// cosmovisor's upgrades/<name>/ folder), the migrations it runs, and the
// stores it adds or removes.
type Upgrade struct {
	Name          string
	CreateHandler func(mm *module.Manager, cfg module.Configurator) upgradetypes.UpgradeHandler
	StoreUpgrades storetypes.StoreUpgrades
}

// Upgrades lists every named upgrade this binary can apply. To add one: append
// an Upgrade here, name it in a MsgSoftwareUpgrade proposal, and ship the
// binary under cosmovisor's upgrades/<name>/bin.
var Upgrades = []Upgrade{}

// defaultUpgradeHandler runs the module migrations that module version bumps ask for.
func defaultUpgradeHandler(mm *module.Manager, cfg module.Configurator) upgradetypes.UpgradeHandler {
	return func(ctx context.Context, _ upgradetypes.Plan, fromVM module.VersionMap) (module.VersionMap, error) {
		return mm.RunMigrations(ctx, cfg, fromVM)
	}
}

func (app *App) setUpgradeHandlers() {
	for _, u := range Upgrades {
		create := u.CreateHandler
		if create == nil {
			create = defaultUpgradeHandler
		}
		app.UpgradeKeeper.SetUpgradeHandler(u.Name, create(app.ModuleManager, app.configurator))
	}

	upgradeInfo, err := app.UpgradeKeeper.ReadUpgradeInfoFromDisk()
	if err != nil {
		panic(fmt.Errorf("read upgrade info from disk: %w", err))
	}
	if upgradeInfo.Name == "" || app.UpgradeKeeper.IsSkipHeight(upgradeInfo.Height) {
		return
	}
	for _, u := range Upgrades {
		if u.Name == upgradeInfo.Name {
			storeUpgrades := u.StoreUpgrades
			app.SetStoreLoader(upgradetypes.UpgradeStoreLoader(upgradeInfo.Height, &storeUpgrades))
		}
	}
}

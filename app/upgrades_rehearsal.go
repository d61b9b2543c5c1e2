//go:build upgrade_rehearsal

package app

import (
	"context"
	"strconv"

	storetypes "cosmossdk.io/store/types"
	upgradetypes "cosmossdk.io/x/upgrade/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
)

// The rehearsal upgrade exists only in binaries built with -tags
// upgrade_rehearsal, the "new version" that e2e/upgrade_test.go switches a
// halted chain to, as cosmovisor would. It does what a real upgrade does: it
// adds a store (and writes to it) and migrates a param.
const (
	RehearsalUpgrade  = "rehearsal"
	rehearsalStoreKey = "rehearsal"
)

func init() {
	Upgrades = append(Upgrades, Upgrade{
		Name:          RehearsalUpgrade,
		StoreUpgrades: storetypes.StoreUpgrades{Added: []string{rehearsalStoreKey}},
		CreateHandler: func(app *App) upgradetypes.UpgradeHandler {
			return func(ctx context.Context, plan upgradetypes.Plan, fromVM module.VersionMap) (module.VersionMap, error) {
				vm, err := app.ModuleManager.RunMigrations(ctx, app.configurator, fromVM)
				if err != nil {
					return nil, err
				}
				// The added store records the height the upgrade ran at.
				store := sdk.UnwrapSDKContext(ctx).KVStore(app.keys[rehearsalStoreKey])
				store.Set([]byte("upgraded_at"), []byte(strconv.FormatInt(plan.Height, 10)))
				// A param migration: x/compute's challenge window doubles.
				p, err := app.ComputeKeeper.Params.Get(ctx)
				if err != nil {
					return nil, err
				}
				p.ChallengeBlocks *= 2
				return vm, app.ComputeKeeper.Params.Set(ctx, p)
			}
		},
	})
}

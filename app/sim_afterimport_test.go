package app

import (
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"
)

// TestAppSimulationAfterImport simulates, exports the state, starts a fresh
// chain from the export and simulates on it with every module's factories (a
// new seed, the same accounts): the imported state must keep working, with
// the invariants checked after every block and the final checks on both runs.
func TestAppSimulationAfterImport(t *testing.T) {
	forSeeds(t, true, func(t *testing.T, cfg simtypes.Config, seed int64) {
		h := newSimHook()
		h.simulate(t, cfg, setupStateFactory, seed, func(tb testing.TB, ti simsx.TestInstance[*App], accs []simtypes.Account) {
			// A new chain starts at height 1: export for zero height, as a
			// chain restarted from its export does.
			exported, err := ti.App.ExportAppStateAndValidators(true, nil, nil)
			if err != nil {
				tb.Fatalf("export: %v", err)
			}
			genesisTime := time.Unix(0, h.lastTime.Load()).UTC()
			importState := func(app *App) simsx.SimStateFactory {
				sf := setupStateFactory(app)
				sf.AppStateFn = func(_ *rand.Rand, _ []simtypes.Account, c simtypes.Config) (json.RawMessage, []simtypes.Account, string, time.Time) {
					return exported.AppState, accs, c.ChainID, genesisTime
				}
				return sf
			}
			// x/staking's MsgCancelUnbondingDelegation factory copies an
			// entry's creation height, which a zero-height export resets to 0
			// and the Msg refuses ("invalid height"): switch it off.
			afterCfg := cfg
			afterCfg.ParamsFile = filepath.Join(tb.TempDir(), "weights.json")
			if err := os.WriteFile(afterCfg.ParamsFile, []byte(`{"op_weight_msg_cancel_unbonding_delegation": 0}`), 0o600); err != nil {
				tb.Fatal(err)
			}
			after := newSimHook()
			tb.Cleanup(func() { tb.Logf("after import: %d blocks checked", after.checked.Load()) })
			after.simulate(tb, afterCfg, importState, seed+1)
		})
	})
}

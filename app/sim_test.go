package app

// Full-app simulations (SDK simsx): every module's message factories run
// against a real app with random genesis params and accounts. The short
// default (2 seeds × 30 blocks × 50 operations) runs with `go test ./app/`;
// `go test ./app/ -run 'TestAppSim|TestAppStateDeterminism|TestAppImportExport' -SimLong`
// runs 8 seeds with the simulator's own defaults (-NumBlocks 500 -BlockSize 200);
// TestAppSimulationAfterImport (sim_afterimport_test.go) goes on simulating
// on a fresh chain started from the export.
// Every simulator flag (-Seed, -NumBlocks, -BlockSize, -Verbose, ...) is honoured.
//
// The invariants are asserted after EVERY block: the simulated app's
// EndBlocker is wrapped so that, once the modules' end-blockers ran, it checks
// them and fails the block (and so the run) when one is broken. They are
// checked once more on the final state, whose export must also be a valid
// genesis for every module.
//
// The simulator runs no vote extensions: the simulated validators' verdicts on
// the jobs under verification are applied in every block before the modules'
// end-blockers (sim_verdicts_test.go), so that jobs settle on a VALID quorum
// or fail as fraud (slash and jail) as on a real chain; finalChecks logs the
// counts and fails a run in which enough jobs were verified but none reached
// a verdict.

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"sync/atomic"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/baseapp"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	"github.com/cosmos/cosmos-sdk/x/simulation"
	simcli "github.com/cosmos/cosmos-sdk/x/simulation/client/cli"

	computetypes "github.com/aichain/aichain/x/compute/types"
	stakingrewardstypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// flagSimLong selects the long simulation (the lead's `make test-sim-long`).
var flagSimLong bool

func init() {
	simcli.GetSimulatorFlags()
	flag.BoolVar(&flagSimLong, "SimLong", false,
		"long simulations: 8 seeds and the simulator's -NumBlocks/-BlockSize defaults instead of 2 seeds × 30 blocks × 50 ops")
}

// short-run defaults, used unless -SimLong or the flag itself is given.
const (
	shortNumBlocks = 30
	shortBlockSize = 50
	// simGenesisTime is fixed so that two runs of one seed are comparable.
	simGenesisTime = 1_700_000_000
)

// At least one job must reach a verdict (VALID quorum or fraud) through the
// simulated verdicts once minVerifyingForVerdicts jobs were under
// verification, and in any run of minBlocksForVerdicts blocks or more; once
// minVerifyingForBoth were, both outcomes must have occurred (about one job in
// seven cheats: the odds that none of 40 does are 0.2%).
const (
	minVerifyingForVerdicts = 3
	minBlocksForVerdicts    = 100
	minVerifyingForBoth     = 40
)

var (
	shortSeeds = []int64{1, 7}
	longSeeds  = []int64{1, 2, 4, 7, 32, 123, 582, 1893}
)

// simConfig returns the simulation config and seeds from the flags.
func simConfig(t *testing.T) (simtypes.Config, []int64) {
	t.Helper()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	cfg := simcli.NewConfigFromFlags()
	cfg.ChainID = simsx.SimAppChainID
	if !set["GenesisTime"] {
		cfg.GenesisTime = simGenesisTime
	}
	seeds := shortSeeds
	if flagSimLong {
		seeds = longSeeds
	} else {
		if !set["NumBlocks"] {
			cfg.NumBlocks = shortNumBlocks
		}
		if !set["BlockSize"] {
			cfg.BlockSize = shortBlockSize
		}
	}
	if set["Seed"] {
		seeds = []int64{cfg.Seed}
	}
	return cfg, seeds
}

// simHook counts the blocks whose invariants were checked and holds the
// check, so that a test can swap it (to prove that a broken invariant fails).
type simHook struct {
	checked  atomic.Int64
	check    func(ctx sdk.Context, app *App) error
	verdicts simVerdicts
	// lastTime is the last block's time (unix nanoseconds), the genesis time
	// of a chain started from the exported state.
	lastTime atomic.Int64
}

// appFactory builds the app like the node does, with the EndBlocker wrapped:
// the simulated validators' verdicts on the jobs under verification are
// applied before the modules' end-blockers (sim_verdicts_test.go), and the
// invariants are checked after them.
func (h *simHook) appFactory(
	logger log.Logger, db dbm.DB, traceStore io.Writer, loadLatest bool,
	appOpts servertypes.AppOptions, baseAppOptions ...func(*baseapp.BaseApp),
) *App {
	app := New(logger, db, traceStore, false, appOpts, baseAppOptions...)
	app.SetEndBlocker(func(ctx sdk.Context) (sdk.EndBlock, error) {
		if err := h.verdicts.apply(ctx, app); err != nil {
			return sdk.EndBlock{}, fmt.Errorf("simulated verdicts at height %d: %w", ctx.BlockHeight(), err)
		}
		res, err := app.EndBlocker(ctx)
		if err != nil {
			return res, err
		}
		if err := h.check(ctx, app); err != nil {
			return res, fmt.Errorf("invariant broken at height %d: %w", ctx.BlockHeight(), err)
		}
		h.checked.Add(1)
		h.lastTime.Store(ctx.BlockTime().UnixNano())
		return res, nil
	})
	if loadLatest {
		if err := app.LoadLatestVersion(); err != nil {
			panic(fmt.Errorf("load latest version: %w", err))
		}
	}
	return app
}

func newSimHook() *simHook { return &simHook{check: checkInvariants} }

// setupStateFactory gives simsx the app's random genesis, blocked addresses
// and account and balance sources.
func setupStateFactory(app *App) simsx.SimStateFactory {
	return simsx.SimStateFactory{
		Codec:         app.AppCodec(),
		AppStateFn:    simtestutil.AppStateFn(app.AppCodec(), app.SimulationManager(), app.DefaultGenesis()),
		BlockedAddr:   BlockedAddresses(),
		AccountSource: app.AccountKeeper,
		BalanceSource: app.BankKeeper,
	}
}

// checkInvariants asserts the books of every module that holds coins:
//   - x/compute: its module account holds exactly the bonds plus the live
//     escrows and dispute deposits, locks and counters match (CheckInvariants);
//   - x/staking-rewards: its module account holds exactly the locked and
//     unlocking amounts, and the reward pool covers what lockers are owed;
//   - x/bank: the balances add up to the total supply.
//
// x/datamarket and x/modelregistry hold no coins of their own: licence and
// model fees go straight to their payees and the pool, and per-job fees sit
// in x/compute's escrow (checked above).
func checkInvariants(ctx sdk.Context, app *App) error {
	if err := app.ComputeKeeper.CheckInvariants(ctx); err != nil {
		return fmt.Errorf("compute: %w", err)
	}
	if err := checkStakingRewards(ctx, app); err != nil {
		return fmt.Errorf("staking-rewards: %w", err)
	}
	if err := checkSupply(ctx, app); err != nil {
		return fmt.Errorf("bank: %w", err)
	}
	return nil
}

func checkStakingRewards(ctx sdk.Context, app *App) error {
	k := app.StakingRewardsKeeper
	params, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	totals, err := k.GetTotals(ctx)
	if err != nil {
		return err
	}
	held := app.BankKeeper.GetBalance(ctx, app.AccountKeeper.GetModuleAddress(stakingrewardstypes.ModuleName), params.LockDenom).Amount
	if want := totals.Locked.Add(totals.Unlocking); !held.Equal(want) {
		return fmt.Errorf("module account holds %s%s, locks hold %s (locked %s + unlocking %s)",
			held, params.LockDenom, want, totals.Locked, totals.Unlocking)
	}
	owed, err := k.GetAccounted(ctx)
	if err != nil {
		return err
	}
	pool := sdk.NewDecCoinsFromCoins(app.BankKeeper.GetAllBalances(ctx, k.RewardPoolAddress())...)
	if _, neg := pool.SafeSub(owed); neg {
		return fmt.Errorf("reward pool holds %s, lockers are owed %s", pool, owed)
	}
	return nil
}

func checkSupply(ctx sdk.Context, app *App) error {
	sum := sdk.NewCoins()
	app.BankKeeper.IterateAllBalances(ctx, func(_ sdk.AccAddress, c sdk.Coin) bool {
		sum = sum.Add(c)
		return false
	})
	supply := sdk.NewCoins()
	app.BankKeeper.IterateTotalSupply(ctx, func(c sdk.Coin) bool {
		supply = supply.Add(c)
		return false
	})
	if !sum.Equal(supply) {
		return fmt.Errorf("balances add up to %s, total supply is %s", sum, supply)
	}
	return nil
}

// finalChecks asserts the invariants on the final state, that the exported
// state is a valid genesis for every module, that every block was checked,
// and that x/compute actually ran (providers and jobs exist).
func (h *simHook) finalChecks(tb testing.TB, ti simsx.TestInstance[*App]) {
	tb.Helper()
	app := ti.App
	ctx := app.NewContextLegacy(true, cmtproto.Header{Height: app.LastBlockHeight()})
	if err := checkInvariants(ctx, app); err != nil {
		tb.Fatalf("invariant broken on the final state: %v", err)
	}
	exported, err := app.ExportAppStateAndValidators(false, nil, nil)
	if err != nil {
		tb.Fatalf("export: %v", err)
	}
	var genesis GenesisState
	if err := json.Unmarshal(exported.AppState, &genesis); err != nil {
		tb.Fatal(err)
	}
	if err := app.BasicModuleManager.ValidateGenesis(app.AppCodec(), app.TxConfig(), genesis); err != nil {
		tb.Fatalf("the exported state is not a valid genesis: %v", err)
	}
	if n := h.checked.Load(); n < int64(ti.Cfg.NumBlocks) {
		tb.Fatalf("invariants checked after %d blocks, want >= %d", n, ti.Cfg.NumBlocks)
	}
	next, err := app.ComputeKeeper.JobSeq.Peek(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	stats, err := app.ComputeKeeper.Stats.Get(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("x/compute after %d blocks: %d jobs, stats %s", app.LastBlockHeight(), next-1, stats.String())
	verified, fraud, seen := h.verdicts.verified.Load(), h.verdicts.fraud.Load(), h.verdicts.seenJobs()
	tb.Logf("simulated verdicts: %d jobs under verification, votes in %d blocks, %d jobs settled verified, %d failed as fraud, %d verdicts of unknown kinds dropped",
		seen, h.verdicts.applied.Load(), verified, fraud, h.verdicts.unknown.Load())
	if verified+fraud == 0 && (seen >= minVerifyingForVerdicts || ti.Cfg.NumBlocks >= minBlocksForVerdicts) {
		tb.Fatalf("%d blocks, %d jobs under verification, and no job reached a verdict (settled verified or fraud)", ti.Cfg.NumBlocks, seen)
	}
	h.verdicts.checkUnknownKinds(tb, seen)
	if seen >= minVerifyingForBoth && (verified == 0 || fraud == 0) {
		tb.Fatalf("%d jobs under verification, but %d settled verified and %d failed as fraud: both outcomes must occur", seen, verified, fraud)
	}
	if next <= 1 {
		tb.Fatalf("the simulation created no compute job")
	}
	if stats.ActiveProviders == 0 && !hasAnyProvider(tb, ctx, app) {
		tb.Fatalf("the simulation registered no compute provider")
	}
}

func hasAnyProvider(tb testing.TB, ctx sdk.Context, app *App) bool {
	tb.Helper()
	it, err := app.ComputeKeeper.Providers.Iterate(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer it.Close()
	return it.Valid()
}

// forSeeds runs run for each seed from the flags (only the last one unless
// -SimLong, when lastOnly), each in its own subtest.
func forSeeds(t *testing.T, lastOnly bool, run func(t *testing.T, cfg simtypes.Config, seed int64)) {
	t.Helper()
	cfg, seeds := simConfig(t)
	if lastOnly && !flagSimLong {
		seeds = seeds[len(seeds)-1:]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { run(t, cfg, seed) })
	}
}

// simulate runs one seed on this hook's app, from the state that
// stateFactory builds, with the invariants checked after every block; then
// finalChecks and the more checks run on the final state.
func (h *simHook) simulate(tb testing.TB, cfg simtypes.Config, stateFactory func(*App) simsx.SimStateFactory, seed int64,
	more ...func(tb testing.TB, ti simsx.TestInstance[*App], accs []simtypes.Account),
) {
	tb.Helper()
	simsx.RunWithSeed(tb, cfg, h.appFactory, stateFactory, seed, nil,
		func(tb testing.TB, ti simsx.TestInstance[*App], accs []simtypes.Account) {
			h.finalChecks(tb, ti)
			for _, check := range more {
				check(tb, ti, accs)
			}
		})
}

// TestAppSimulation runs the full app with every module's factories and
// asserts the invariants after every block.
func TestAppSimulation(t *testing.T) {
	forSeeds(t, false, func(t *testing.T, cfg simtypes.Config, seed int64) {
		newSimHook().simulate(t, cfg, setupStateFactory, seed)
	})
}

// TestAppStateDeterminism runs one seed twice: both runs must end on the same
// app hash. The short run uses the last short seed, whose jobs reach the
// simulated verdicts.
func TestAppStateDeterminism(t *testing.T) {
	cfg, seeds := simConfig(t)
	if !flagSimLong {
		seeds = seeds[len(seeds)-1:]
	}
	for _, seed := range seeds {
		var hashes [][]byte
		for run := 0; run < 2; run++ {
			h := newSimHook()
			simsx.RunWithSeed(t, cfg, h.appFactory, setupStateFactory, seed, nil,
				func(tb testing.TB, ti simsx.TestInstance[*App], _ []simtypes.Account) {
					h.finalChecks(tb, ti)
					hashes = append(hashes, ti.App.LastCommitID().Hash)
				})
		}
		if len(hashes) != 2 || len(hashes[0]) == 0 {
			t.Fatalf("seed %d: got %d app hashes", seed, len(hashes))
		}
		if string(hashes[0]) != string(hashes[1]) {
			t.Fatalf("seed %d: non-determinism: app hash %X, then %X", seed, hashes[0], hashes[1])
		}
	}
}

// TestAppImportExport simulates, exports the state, imports it into a fresh
// app and compares every module store, as the SDK's TestAppImportExport does.
func TestAppImportExport(t *testing.T) {
	forSeeds(t, true, func(t *testing.T, cfg simtypes.Config, seed int64) {
		newSimHook().simulate(t, cfg, setupStateFactory, seed,
			func(tb testing.TB, ti simsx.TestInstance[*App], _ []simtypes.Account) { assertImportExport(tb, ti) })
	})
}

func assertImportExport(tb testing.TB, ti simsx.TestInstance[*App]) {
	tb.Helper()
	app := ti.App
	exported, err := app.ExportAppStateAndValidators(false, nil, nil)
	if err != nil {
		tb.Fatalf("export: %v", err)
	}
	newApp := simsx.NewSimulationAppInstance(tb, ti.Cfg, newSimHook().appFactory).App
	var genesisState GenesisState
	if err := json.Unmarshal(exported.AppState, &genesisState); err != nil {
		tb.Fatal(err)
	}
	ctxB := newApp.NewContextLegacy(true, cmtproto.Header{Height: app.LastBlockHeight()})
	if err := newApp.UpgradeKeeper.SetModuleVersionMap(ctxB, newApp.ModuleManager.GetVersionMap()); err != nil {
		tb.Fatal(err)
	}
	if err := initGenesis(ctxB, newApp, genesisState); err != nil {
		tb.Fatalf("import: %v", err)
	}
	if err := newApp.StoreConsensusParams(ctxB, exported.ConsensusParams); err != nil {
		tb.Fatal(err)
	}
	if err := checkInvariants(ctxB, newApp); err != nil {
		tb.Fatalf("invariant broken after import: %v", err)
	}
	n := assertEqualStores(tb, app, newApp)
	tb.Logf("import/export: %d stores equal", n)
}

// initGenesis runs every module's InitGenesis, turning a module's panic into an error.
func initGenesis(ctx sdk.Context, app *App, gs GenesisState) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	_, err = app.ModuleManager.InitGenesis(ctx, app.AppCodec(), gs)
	return err
}

// TestAppSimulationDetectsBrokenInvariant proves that the per-block check can
// fail (and that it runs inside every block's EndBlocker): at height 5 one uaic is slipped into x/compute's module account
// outside any bond or escrow, and the simulation must stop on that block with
// the compute invariant's error.
func TestAppSimulationDetectsBrokenInvariant(t *testing.T) {
	cfg, _ := simConfig(t)
	cfg.NumBlocks, cfg.BlockSize = 10, 20
	const breakAt = 5
	h := newSimHook()
	h.check = func(ctx sdk.Context, app *App) error {
		if ctx.BlockHeight() == breakAt {
			one := sdk.NewCoins(sdk.NewInt64Coin(BondDenom, 1))
			if err := app.BankKeeper.MintCoins(ctx, minttypes.ModuleName, one); err != nil {
				return err
			}
			if err := app.BankKeeper.SendCoinsFromModuleToModule(ctx, minttypes.ModuleName, computetypes.ModuleName, one); err != nil {
				return err
			}
		}
		return checkInvariants(ctx, app)
	}
	// The operations do not matter here (the blocks alone run the check): one no-op.
	noop := simulation.NewWeightedOperation(1, func(*rand.Rand, *baseapp.BaseApp, sdk.Context, []simtypes.Account, string) (simtypes.OperationMsg, []simtypes.FutureOperation, error) {
		return simtypes.NoOpMsg("test", "noop", "no operation"), nil, nil
	})
	tCfg := cfg.With(t, 1, nil)
	ti := simsx.NewSimulationAppInstance(t, tCfg, h.appFactory)
	sf := setupStateFactory(ti.App)
	_, _, err := simulation.SimulateFromSeedX(t, log.NewNopLogger(), io.Discard, ti.App.GetBaseApp(), sf.AppStateFn,
		simtypes.RandomAccounts, simulation.WeightedOperations{noop}, sf.BlockedAddr, tCfg, sf.Codec, ti.ExecLogWriter)
	if err == nil {
		t.Fatal("the simulation passed although x/compute's books were broken")
	}
	want := fmt.Sprintf("invariant broken at height %d: compute:", breakAt)
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("the simulation failed, but not on the broken invariant (want %q): %v", want, err)
	}
	if n := h.checked.Load(); n != breakAt-1 {
		t.Fatalf("%d blocks passed the check, want %d (every block before the break)", n, breakAt-1)
	}
}

package simulation_test

import (
	"math/rand"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/kv"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/app/apptesting"
	stakingrewards "github.com/aichain/aichain/x/staking-rewards"
	"github.com/aichain/aichain/x/staking-rewards/keeper"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// factoryParams: hour-long tiers, small locks and one automatic withdrawal
// per block, so that every Msg (withdrawals of matured unlocks included)
// becomes possible within a few two-hour blocks.
func factoryParams() types.Params {
	p := types.DefaultParams()
	for i, h := range []time.Duration{1, 3, 6, 12} {
		p.LockTiers[i].Duration = h * time.Hour
	}
	p.MinLockAmount = p.MinLockAmount.QuoRaw(100)
	p.MaxLocksPerOwner = 5
	p.MaxWithdrawalsPerBlock = 1
	return p
}

// TestMsgFactories runs the module's simulation factories against a real app
// over many blocks, with fees flowing into the reward pool: every message they
// produce (and do not skip) must be accepted, every Msg type must be produced,
// the module account must hold exactly the locked and unlocking amounts and
// the pool must cover what lockers are owed after every block, and the state
// must stay a valid genesis that the store decoder can render.
func TestMsgFactories(t *testing.T) {
	ta := apptesting.Setup(t, 8)
	k := ta.StakingRewardsKeeper
	ms := keeper.NewMsgServerImpl(k)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	setParams := func() {
		t.Helper()
		if _, err := ms.UpdateParams(ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: factoryParams()}); err != nil {
			t.Fatal(err)
		}
	}
	setParams()

	am := stakingrewards.NewAppModule(k)
	var reg collect
	weights := simsx.WeightSourceFn(func(_ string, d uint32) uint32 { return d })
	am.WeightedOperationsX(weights, &reg)
	am.ProposalMsgsX(weights, &reg)
	if len(reg.factories) != 6 {
		t.Fatalf("%d factories, want 6 (one per Msg)", len(reg.factories))
	}
	accs := make([]simtypes.Account, len(ta.Accounts))
	for i, a := range ta.Accounts {
		accs[i] = simtypes.Account{PrivKey: a.Priv, PubKey: a.Priv.PubKey(), Address: a.Address, AddressBech32: a.String()}
	}
	r := rand.New(rand.NewSource(5))
	delivered := map[string]int{}
	for round := 0; round < 120; round++ {
		// A protocol fee reaches the pool every block.
		fee := sdk.NewCoins(sdk.NewInt64Coin(types.DefaultLockDenom, int64(1_000+r.Intn(100_000))))
		if err := ta.BankKeeper.SendCoins(ta.Ctx, ta.Accounts[0].Address, k.RewardPoolAddress(), fee); err != nil {
			t.Fatal(err)
		}
		testData := simsx.NewChainDataSource(ta.Ctx, r, ta.AccountKeeper, ta.BankKeeper, ta.AccountKeeper.AddressCodec(), accs...)
		for op := 0; op < 10; op++ {
			f := reg.pick(r)
			reporter := simsx.NewBasicSimulationReporter()
			signers, msg := f.Create()(ta.Ctx, testData, reporter)
			if reporter.IsSkipped() {
				continue
			}
			name := sdk.MsgTypeURL(msg)
			short := name[strings.LastIndex(name, ".")+1:]
			if short != "MsgUpdateParams" && len(signers) != 1 {
				t.Fatalf("%s: %d signers", name, len(signers))
			}
			if _, err := ta.MsgServiceRouter().Handler(msg)(ta.Ctx, msg); err != nil {
				t.Fatalf("round %d: %s from the factory refused: %v\n%v", round, name, err, msg)
			}
			if short == "MsgUpdateParams" {
				setParams() // keep the short tiers
			}
			delivered[short]++
		}
		ta.NextBlockAfter(2 * time.Hour)
		if err := checkBooks(ta, k); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	t.Logf("delivered: %v", delivered)
	for _, name := range []string{"MsgLock", "MsgExtendLock", "MsgBeginUnlock", "MsgWithdraw", "MsgClaimRewards", "MsgUpdateParams"} {
		if delivered[name] == 0 {
			t.Errorf("%s never delivered (%v)", name, delivered)
		}
	}
	gs, err := k.ExportGenesis(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("state after the simulation is not a valid genesis: %v", err)
	}
	if len(gs.Locks) == 0 {
		t.Fatal("no lock left to decode")
	}

	// The store decoder renders a lock entry.
	l := gs.Locks[0]
	bz, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	key, err := collections.EncodeKeyWithPrefix(types.LocksKey, collections.Uint64Key, l.Id)
	if err != nil {
		t.Fatal(err)
	}
	sdr := simtypes.StoreDecoderRegistry{}
	am.RegisterStoreDecoder(sdr)
	if out := sdr[types.StoreKey](kv.Pair{Key: key, Value: bz}, kv.Pair{Key: key, Value: bz}); !strings.Contains(out, l.Owner) {
		t.Fatalf("decoded lock entry %q does not show the lock", out)
	}
}

// checkBooks: the module account holds exactly the locked and unlocking
// amounts, and the reward pool covers what lockers are owed.
func checkBooks(ta *apptesting.TestApp, k keeper.Keeper) error {
	params, err := k.GetParams(ta.Ctx)
	if err != nil {
		return err
	}
	totals, err := k.GetTotals(ta.Ctx)
	if err != nil {
		return err
	}
	held := ta.Balance(authtypes.NewModuleAddress(types.ModuleName), params.LockDenom)
	if want := totals.Locked.Add(totals.Unlocking); !held.Equal(want) {
		return errorf("module account holds %s, locks hold %s", held, want)
	}
	owed, err := k.GetAccounted(ta.Ctx)
	if err != nil {
		return err
	}
	pool := sdk.NewDecCoinsFromCoins(ta.BankKeeper.GetAllBalances(ta.Ctx, k.RewardPoolAddress())...)
	if _, neg := pool.SafeSub(owed); neg {
		return errorf("reward pool holds %s, lockers are owed %s", pool, owed)
	}
	return nil
}

package simulation_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/kv"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

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
	p.MinVoteLockDuration = p.LockTiers[1].Duration // the shortest tier does not vote
	return p
}

// TestMsgFactories runs the module's simulation factories against a real app
// over many blocks, with fees flowing into the reward pool: every message they
// produce (and do not skip) must be accepted, every Msg type must be produced,
// the module account must hold exactly the locked and unlocking amounts and
// the pool must cover what lockers are owed after every block, and the state
// must stay a valid genesis that the store decoder can render.
func TestMsgFactories(t *testing.T) {
	ta := apptesting.SetupSeeded(t, 8, 5)
	k := ta.StakingRewardsKeeper
	am := stakingrewards.NewAppModule(ta.AppCodec(), k)
	gs := apptesting.RunSimFactories(t, ta, apptesting.SimFactories{
		Module: am, Factories: 6, Seed: 5, Rounds: 120, OpsPerRound: 10, BlockEvery: 1, BlockTime: 2 * time.Hour,
		// A protocol fee reaches the pool every block.
		BeforeRound: func(r *rand.Rand) error {
			fee := sdk.NewCoins(sdk.NewInt64Coin(types.DefaultLockDenom, int64(1_000+r.Intn(100_000))))
			return ta.BankKeeper.SendCoins(ta.Ctx, ta.Accounts[0].Address, k.RewardPoolAddress(), fee)
		},
		// Keep the short tiers.
		SetParams:   &types.MsgUpdateParams{Authority: apptesting.GovAuthority(), Params: factoryParams()},
		Invariants:  func() error { return checkBooks(ta, k) },
		MustDeliver: []string{"MsgLock", "MsgExtendLock", "MsgBeginUnlock", "MsgWithdraw", "MsgClaimRewards", "MsgUpdateParams"},
	}, k.ExportGenesis)
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
		return fmt.Errorf("module account holds %s, locks hold %s", held, want)
	}
	owed, err := k.GetAccounted(ta.Ctx)
	if err != nil {
		return err
	}
	pool := sdk.NewDecCoinsFromCoins(ta.BankKeeper.GetAllBalances(ta.Ctx, k.RewardPoolAddress())...)
	if _, neg := pool.SafeSub(owed); neg {
		return fmt.Errorf("reward pool holds %s, lockers are owed %s", pool, owed)
	}
	return nil
}

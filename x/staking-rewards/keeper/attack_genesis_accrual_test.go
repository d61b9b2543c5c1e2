package keeper_test

import (
	"math/big"
	"testing"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// TestAttackGenesisAccrualOverflowPanicsInitGenesis: d6a06be made
// GenesisState.Validate refuse locks whose weights or amounts do not fit 256
// bits, so that InitGenesis no longer panics at InitChain. But InitGenesis
// also computes each lock's accrual, weight × (reward_index − paid), in a
// LegacyDec (keeper/rewards.go accrued: diff.MulDec), which panics past
// 2^256. One lock of 2^250 uaic (weight 2^250, well within the new checks)
// and a reward_index of 100uaic passed Validate; InitGenesis then panicked
// ("Int overflow") instead of returning ErrInvalidGenesis. Validate now
// bounds what the locks accrued, with the pending rewards (decSums).
func TestAttackGenesisAccrualOverflowPanicsInitGenesis(t *testing.T) {
	f := setup(t, 1)
	amount := math.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 250))
	gs := types.DefaultGenesis()
	gs.NextLockId = 2
	gs.RewardIndex = sdk.NewDecCoins(sdk.NewDecCoin("uaic", math.NewInt(100)))
	gs.Locks = []types.Lock{{
		Id: 1, Owner: f.ta.Accounts[0].Address.String(),
		Amount: sdk.NewCoin(gs.Params.LockDenom, amount), Duration: year,
		Multiplier: math.LegacyOneDec(), StartTime: time.Unix(1_700_000_000, 0).UTC(),
		Weight: amount, Votes: true,
	}}
	p, err := recoverPanic(gs.Validate)
	if p != nil {
		t.Fatalf("GenesisState.Validate panicked (%v); want ErrInvalidGenesis", p)
	}
	expectErr(t, err, types.ErrInvalidGenesis)
	p, err = recoverPanic(func() error { return f.k.InitGenesis(f.ta.Ctx, gs) })
	if p != nil {
		t.Fatalf("InitGenesis panicked (%v) on a genesis that GenesisState.Validate accepts; want ErrInvalidGenesis from Validate", p)
	}
	expectErr(t, err, types.ErrInvalidGenesis)
}

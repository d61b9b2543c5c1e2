package keeper_test

import (
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// hugeLockAmount is 2^255 - 1: a valid coin amount (math.Int holds 256 bits)
// whose weight at a multiplier of up to 10 exceeds a decimal's range.
func hugeLockAmount(t *testing.T) math.Int {
	t.Helper()
	huge, ok := math.NewIntFromString("57896044618658097711785492504343953926634992332820282019728792003956564819967")
	if !ok {
		t.Fatal("bad constant")
	}
	return huge
}

// recoverPanic runs fn and turns a panic into the error it should have been.
func recoverPanic(fn func() error) (panicked any, err error) {
	defer func() {
		if r := recover(); r != nil {
			panicked = r
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return nil, fn()
}

// TestAttackGenesisHugeLockPanicsValidateStakingRewards: a genesis file
// holding a lock of 2^255-1 uaic with multiplier 10 (a valid coin, a valid
// multiplier) must be refused with ErrInvalidGenesis by ValidateGenesis
// (`aichaind genesis validate`) and by InitGenesis. Instead
// GenesisState.Validate computes LockWeight = floor(amount × multiplier)
// with LegacyDec.MulInt, which panics ("Int overflow") past a decimal's
// range: the genesis checker crashes and InitChain panics instead of
// reporting which lock is wrong.
func TestAttackGenesisHugeLockPanicsValidateStakingRewards(t *testing.T) {
	gs := types.DefaultGenesis()
	gs.NextLockId = 2
	gs.Locks = []types.Lock{{
		Id: 1, Owner: sdk.AccAddress(make([]byte, 20)).String(),
		Amount: sdk.NewCoin("uaic", hugeLockAmount(t)), Duration: year,
		Multiplier: math.LegacyNewDec(10), StartTime: time.Unix(1_700_000_000, 0).UTC(),
		Weight: math.ZeroInt(),
	}}
	p, err := recoverPanic(gs.Validate)
	if p != nil {
		t.Fatalf("GenesisState.Validate panicked (%v) on a lock whose weight overflows; want ErrInvalidGenesis", p)
	}
	expectErr(t, err, types.ErrInvalidGenesis)
}

// TestAttackHugeMinLockPanicsParamsValidateStakingRewards: params with
// min_lock_amount 2^255-1 and a ×10 tier must be refused with
// ErrInvalidParams (MsgUpdateParams.ValidateBasic, genesis). Params.Validate
// checks that every tier gives the minimum lock a weight ≥ 1 with the same
// LockWeight, which panics instead.
func TestAttackHugeMinLockPanicsParamsValidateStakingRewards(t *testing.T) {
	p := types.DefaultParams()
	p.MinLockAmount = hugeLockAmount(t)
	p.LockTiers[len(p.LockTiers)-1].Multiplier = math.LegacyNewDec(10)
	msg := &types.MsgUpdateParams{Authority: sdk.AccAddress(make([]byte, 20)).String(), Params: p}
	panicked, err := recoverPanic(msg.ValidateBasic)
	if panicked != nil {
		t.Fatalf("MsgUpdateParams.ValidateBasic panicked (%v); want ErrInvalidParams", panicked)
	}
	expectErr(t, err, types.ErrInvalidParams)
}

// TestAttackGenesisLocksWhoseSumOverflowsPanicInitGenesis: three genesis
// locks of 2^255-1 each, every one valid alone, add up past 256 bits;
// InitGenesis keeps their sums in math.Int (totals, the module's holding)
// and would panic at InitChain. Validate must refuse the file instead.
func TestAttackGenesisLocksWhoseSumOverflowsPanicInitGenesis(t *testing.T) {
	gs := types.DefaultGenesis()
	gs.NextLockId = 4
	one := math.LegacyOneDec()
	for id := uint64(1); id <= 3; id++ {
		gs.Locks = append(gs.Locks, types.Lock{
			Id: id, Owner: sdk.AccAddress(make([]byte, 20)).String(),
			Amount: sdk.NewCoin("uaic", hugeLockAmount(t)), Duration: 7 * 24 * time.Hour,
			Multiplier: one, StartTime: time.Unix(1_700_000_000, 0).UTC(),
			Weight: hugeLockAmount(t),
		})
	}
	p, err := recoverPanic(gs.Validate)
	if p != nil {
		t.Fatalf("GenesisState.Validate panicked (%v); want ErrInvalidGenesis", p)
	}
	expectErr(t, err, types.ErrInvalidGenesis)
	// Two of them still fit (their sums stay within 256 bits).
	gs.Locks, gs.NextLockId = gs.Locks[:2], 3
	if err := gs.Validate(); err != nil {
		t.Fatalf("two locks whose sums fit: %v", err)
	}
}

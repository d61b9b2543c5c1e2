package app_test

import (
	"errors"
	"testing"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// TestAttackGovMovesStakingBondDenomStrandsDelegations: a governance
// proposal's author puts x/staking's MsgUpdateParams with bond_denom set to
// another valid denom (an IBC voucher) in a proposal. x/compute refuses the
// same change of its own bond denom while anything holds it
// (checkBondDenomChange) and x/staking-rewards refuses a lock_denom change
// while locks exist, but the app runs x/staking's UpdateParams unguarded:
// Params.Validate passes and the change is stored while every delegation
// sits in the bonded pool in uaic. An honest delegator who staked before the
// proposal can then never get its stake back: an undelegation in uaic is
// refused (not the bond denom), one in the new denom moves coins the pool
// does not hold. The honest outcome: the change is refused with nothing
// changed, or the delegator recovers its uaic.
func TestAttackGovMovesStakingBondDenomStrandsDelegations(t *testing.T) {
	ta := apptesting.Setup(t, 2)
	sk := ta.StakingKeeper
	vals, err := sk.GetBondedValidatorsByPower(ta.Ctx)
	if err != nil || len(vals) == 0 {
		t.Fatalf("no bonded validator: %v", err)
	}
	val := vals[0].GetOperator()
	delegator := ta.Accounts[1]
	stake := sdk.NewCoin(app.BondDenom, math.NewInt(5_000_000))
	before := ta.Balance(delegator.Address, app.BondDenom)

	if res := ta.DeliverTx(delegator, stakingtypes.NewMsgDelegate(delegator.Address.String(), val, stake)); res.Code != 0 {
		t.Fatalf("delegate: %s", res.Log)
	}
	if got := ta.Balance(delegator.Address, app.BondDenom); !got.Equal(before.Sub(stake.Amount)) {
		t.Fatalf("delegator holds %s after delegating, want %s", got, before.Sub(stake.Amount))
	}

	// The proposal passes and x/gov runs its message, as its EndBlocker does.
	const newDenom = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
	params, err := sk.GetParams(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	oldParams := params
	params.BondDenom = newDenom
	msg := &stakingtypes.MsgUpdateParams{Authority: authtypes.NewModuleAddress(govtypes.ModuleName).String(), Params: params}
	handler := ta.MsgServiceRouter().Handler(msg)
	cache, write := ta.Ctx.CacheContext()
	if _, err := handler(cache, msg); err != nil {
		// Refused: typed, and the bond denom unchanged.
		if !errors.Is(err, app.ErrDenomFixed) {
			t.Fatalf("the change was refused with %v, want ErrDenomFixed", err)
		}
		if got, _ := sk.GetParams(ta.Ctx); got.BondDenom != oldParams.BondDenom {
			t.Fatalf("a refused change left bond_denom %q", got.BondDenom)
		}
		return
	}
	write()
	ta.NextBlock()

	// The honest delegator undelegates its whole stake, in the coin it
	// staked or, failing that, in the new bond denom.
	var undelegated bool
	var errs []string
	for _, amt := range []sdk.Coin{stake, sdk.NewCoin(newDenom, stake.Amount)} {
		res := ta.DeliverTx(delegator, stakingtypes.NewMsgUndelegate(delegator.Address.String(), val, amt))
		if res.Code == 0 {
			undelegated = true
			break
		}
		errs = append(errs, amt.Denom+": "+res.Log)
	}
	if !undelegated {
		t.Fatalf("after governance moved x/staking's bond_denom to %s with %s delegated, the delegator cannot undelegate: %v",
			newDenom, stake, errs)
	}
	ta.NextBlockAfter(oldParams.UnbondingTime + time.Minute)
	ta.NextBlock()
	if got := ta.Balance(delegator.Address, app.BondDenom); !got.Equal(before) {
		t.Fatalf("delegator holds %s %s after unbonding, want its %s back", got, app.BondDenom, before)
	}
}

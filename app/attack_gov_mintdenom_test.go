package app_test

import (
	"errors"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// TestAttackGovMintsCounterfeitIBCVouchers: a governance proposal's author
// puts x/mint's MsgUpdateParams with mint_denom set to an ICS-20 voucher
// denom (ibc/<hash>) in a proposal. x/mint's Params.Validate takes any valid
// denom and the app runs the message unguarded, so from the next block
// x/mint's BeginBlocker mints the voucher itself, every block, into the fee
// collector (and on to validators and delegators). A voucher is a claim on
// the coins the counterparty holds in escrow for this chain: each counterfeit
// one sent back over the channel unescrows a real coin there, and the honest
// holders of vouchers bought over ICS-20 are left holding claims the escrow
// no longer covers. The honest outcome: the change is refused, or the
// voucher's supply stays what ICS-20 minted (the honest holder's 1,000,000).
func TestAttackGovMintsCounterfeitIBCVouchers(t *testing.T) {
	ta := apptesting.Setup(t, 2)
	holder := ta.Accounts[1].Address
	voucher := sdk.NewCoin(apptesting.JunkDenoms(1, 1)[0].Denom, math.NewInt(1_000_000))
	ta.MintTo(holder, sdk.NewCoins(voucher)) // bought over ICS-20 (the transfer module mints it so)
	ta.NextBlock()
	supply := func() math.Int { return ta.BankKeeper.GetSupply(ta.Ctx, voucher.Denom).Amount }
	if got := supply(); !got.Equal(voucher.Amount) {
		t.Fatalf("voucher supply %s before the proposal, want %s", got, voucher.Amount)
	}

	// The proposal passes and x/gov runs its message, as its EndBlocker does.
	params, err := ta.MintKeeper.Params.Get(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	params.MintDenom = voucher.Denom
	msg := &minttypes.MsgUpdateParams{Authority: authtypes.NewModuleAddress(govtypes.ModuleName).String(), Params: params}
	cache, write := ta.Ctx.CacheContext()
	if _, err := ta.MsgServiceRouter().Handler(msg)(cache, msg); err != nil {
		if !errors.Is(err, app.ErrDenomFixed) {
			t.Fatalf("the change was refused with %v, want ErrDenomFixed", err)
		}
		if got, _ := ta.MintKeeper.Params.Get(ta.Ctx); got.MintDenom != app.BondDenom {
			t.Fatalf("a refused change left mint_denom %q", got.MintDenom)
		}
		return
	}
	write()
	for range 10 {
		ta.NextBlock()
	}
	if got := supply(); !got.Equal(voucher.Amount) {
		t.Fatalf("after governance set x/mint's mint_denom to the ICS-20 voucher %s, its supply is %s, not the %s ICS-20 minted: %s counterfeit vouchers, unbacked by the counterparty's escrow",
			voucher.Denom, got, voucher.Amount, got.Sub(voucher.Amount))
	}
}

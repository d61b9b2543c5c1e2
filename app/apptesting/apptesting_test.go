package apptesting

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app"
)

func TestSetupAdvancesAndKeepsState(t *testing.T) {
	ta := Setup(t, 2)
	a, b := ta.Accounts[0], ta.Accounts[1]
	if got := ta.Balance(a.Address, app.BondDenom); !got.Equal(DefaultBalance) {
		t.Fatalf("balance %s, want %s", got, DefaultBalance)
	}
	if err := ta.BankKeeper.SendCoins(ta.Ctx, a.Address, b.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 7))); err != nil {
		t.Fatal(err)
	}
	h := ta.Ctx.BlockHeight()
	ta.NextBlock()
	if ta.Ctx.BlockHeight() != h+1 {
		t.Fatalf("height %d after NextBlock, want %d", ta.Ctx.BlockHeight(), h+1)
	}
	if got := ta.Balance(b.Address, app.BondDenom); !got.Equal(DefaultBalance.AddRaw(7)) {
		t.Fatalf("send not kept across blocks: %s", got)
	}
}

package keeper_test

import (
	"testing"

	storetypes "cosmossdk.io/store/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackDustDenomsRaisePurchaseGas: anyone may send an account coins, so
// a hostile party (a rival seller, say) sends a buyer dust of many denoms
// (IBC vouchers of a chain it runs). When a purchase checked the buyer's
// spendable balance with x/bank's SpendableCoins, which iterates over every
// denom the account holds, every purchase the buyer made cost gas for each
// junk denom, for ever. The payout reads the balance of the price's denom
// only: a purchase costs the same gas with 300 junk denoms in the buyer's
// account as with none, and pays to the coin what it paid before.
func TestAttackDustDenomsRaisePurchaseGas(t *testing.T) {
	gas := func(junk int) uint64 {
		s := setup(t)
		id := s.list(listMsg(s.owner.String(), perpetual(1000, false)))
		if junk > 0 {
			s.ta.MintTo(s.buyer.Address, apptesting.JunkDenoms(junk, 1))
		}
		msg := &types.MsgPurchaseLicense{Buyer: s.buyer.String(), DatasetId: id, MaxPrice: s.priceCap(id, 0)}
		ctx, _ := s.ta.Ctx.CacheContext()
		ctx = ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
		if _, err := s.ms.PurchaseLicense(ctx, msg); err != nil {
			t.Fatal(err)
		}
		l := s.ledger(s.buyer.Address, s.owner.Address, s.pool)
		if _, err := s.ms.PurchaseLicense(s.ta.Ctx, msg); err != nil {
			t.Fatal(err)
		}
		l.expect("purchase", -1000, 975, 25)
		if got := len(s.ta.BankKeeper.GetAllBalances(s.ta.Ctx, s.buyer.Address)); got != junk+1 {
			t.Fatalf("buyer holds %d denoms, want the junk untouched (%d) and uaic", got, junk)
		}
		return ctx.GasMeter().GasConsumed()
	}
	clean, spammed := gas(0), gas(300)
	t.Logf("purchase gas: clean %d, with 300 junk denoms %d", clean, spammed)
	if clean != spammed {
		t.Fatalf("junk denoms in the buyer's account raise the purchase's gas: %d → %d", clean, spammed)
	}
}

package keeper_test

import (
	"fmt"
	"testing"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/types"
)

// benchState lists n datasets and sells n licences (one per dataset, to
// rotating buyers) that expire far in the future.
func benchState(b *testing.B, n int) (*apptesting.TestApp, []apptesting.Account) {
	ta := apptesting.Setup(b, 10)
	ms := keeper.NewMsgServerImpl(ta.DataMarketKeeper)
	owner := ta.Accounts[0]
	for i := 0; i < n; i++ {
		m := listMsg(owner.String(), rental(1_000_000, 1))
		m.Sha256 = shaOf(fmt.Sprint(i))
		res, err := ms.ListDataset(ta.Ctx, m)
		if err != nil {
			b.Fatal(err)
		}
		buyer := ta.Accounts[1+i%9]
		if _, err := ms.PurchaseLicense(ta.Ctx, &types.MsgPurchaseLicense{Buyer: buyer.String(), DatasetId: res.DatasetId, MaxPrice: ample}); err != nil {
			b.Fatal(err)
		}
	}
	ta.NextBlock() // commit, so that reads hit the saved tree as on a node
	return ta, ta.Accounts[1:]
}

// BenchmarkHasAccess: the dataserver's per-request check, with many licences
// on chain (a lookup through the (dataset, licensee) index).
func BenchmarkHasAccess(b *testing.B) {
	ta, buyers := benchState(b, 2000)
	q := keeper.NewQueryServerImpl(ta.DataMarketKeeper)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := uint64(1 + i%2000)
		res, err := q.HasAccess(ta.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: buyers[(id-1)%9].String()})
		if err != nil || !res.HasAccess {
			b.Fatalf("%v %v", res, err)
		}
	}
}

// BenchmarkEndBlockerNothingDue: the EndBlocker's cost with many live
// licences and none due (it reads only the due range of the queue).
func BenchmarkEndBlockerNothingDue(b *testing.B) {
	ta, _ := benchState(b, 2000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ta.DataMarketKeeper.EndBlocker(ta.Ctx); err != nil {
			b.Fatal(err)
		}
	}
}

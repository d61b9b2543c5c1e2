package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/testutil/storeiter"
)

// TestFirstPurchaseOpensNoIterator: a buyer's first licence of a dataset
// reads by key only (LicenseHolders says the buyer holds none). It used to
// walk the buyer's licences of the dataset with an index iterator, which
// inside a block scans every write the block has made so far to the
// module's store (storeiter's package doc). The buyer's next purchase of
// another kind still walks what it holds, and finds it.
func TestFirstPurchaseOpensNoIterator(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	id := s.list(listMsg(owner, perpetual(100, true), rental(2, 10)))

	ctx, iters := storeiter.Wrap(s.ta.Ctx)
	s.ta.Ctx = ctx
	s.buy(buyer, id, 0)
	if iters.Total() != 0 {
		t.Fatalf("a first purchase opened iterators: %s", iters)
	}
	if a := s.access(id, buyer); !a.HasAccess {
		t.Fatalf("the buyer's access after the purchase: %+v", a)
	}
	iters.Reset()
	s.buy(buyer, id, 1)
	if iters.Total() == 0 {
		t.Fatal("a second purchase did not look at the buyer's licence of the dataset")
	}
}

package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/testutil/storeiter"
	"github.com/aichain/aichain/x/compute/types"
)

// TestSubmitResultOpensNoIterator: a submission reads by key only. It used
// to open an iterator on the beacon keys to learn whether draws wait for the
// beacon, which in a block of submissions scanned every write of the block
// so far to the module's store (storeiter's package doc); it reads
// BeaconKeyCount now. The draw still waits for the beacon.
func TestSubmitResultOpensNoIterator(t *testing.T) {
	s := newSuite(t)
	s.install(newBeaconNet(t, 3))
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.create(req, verifyPrice)
	s.win(prov, id, verifyPrice)

	ctx, iters := storeiter.Wrap(s.ta.Ctx)
	if _, err := s.ms.SubmitResult(ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	if iters.Total() != 0 {
		t.Fatalf("a submission opened iterators: %s", iters)
	}
	if j := s.job(id); len(j.Sample.BeaconHeights) != 2 {
		t.Fatalf("the draw does not wait for the beacon: %+v", j.Sample)
	}
	s.inv()
}

package keeper_test

import (
	"errors"
	"testing"

	"cosmossdk.io/collections"

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

// TestCreateJobReadsAndWritesOnce: a job's creation stores the job under
// the id JobSeq has just given without first reading a stored job there
// (there is none: genesis keeps every job id below next_job_id), and reads
// and writes Stats once, counting the new OPEN job and its creation fee
// (the protocol share) in the same write. It used to read the job's key, and
// Stats twice (the fee, then the state count).
func TestCreateJobReadsAndWritesOnce(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req := s.acc(0)
	first := s.create(req, verifyPrice)
	before, err := s.k.Stats.Get(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}

	ctx, c := storeiter.Wrap(s.ta.Ctx)
	res, err := s.ms.CreateJob(ctx, s.createMsg(req, verifyPrice))
	if err != nil {
		t.Fatal(err)
	}
	if res.JobId != first+1 {
		t.Fatalf("job id %d, want %d", res.JobId, first+1)
	}
	if n := c.Reads(types.StoreKey, types.JobsKey); n != 0 {
		t.Fatalf("creation read the jobs map %d times", n)
	}
	if r, w := c.Reads(types.StoreKey, types.StatsKey), c.Writes(types.StoreKey, types.StatsKey); r != 1 || w != 1 {
		t.Fatalf("creation read Stats %d times and wrote it %d times, want once each", r, w)
	}
	after, err := s.k.Stats.Get(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := before.ProtocolShare.Add(coin(creationFee)); !after.ProtocolShare.Equal(want) {
		t.Fatalf("protocol share %s, want %s", after.ProtocolShare, want)
	}
	if got, want := openCount(after), openCount(before)+1; got != want {
		t.Fatalf("OPEN jobs counted %d, want %d", got, want)
	}
	if j := s.job(res.JobId); j.State != types.JobState_JOB_STATE_OPEN || j.Id != res.JobId {
		t.Fatalf("stored job %+v", j)
	}
	s.inv()
}

func openCount(s types.Stats) uint64 {
	for _, c := range s.JobsPerState {
		if c.State == types.JobState_JOB_STATE_OPEN {
			return c.Count
		}
	}
	return 0
}

// TestAttackCreateCancelChurnDodgesCreationFee: a requester creates and
// cancels jobs in a loop, hoping a creation that writes its job and its fee
// in one step (insertJob) leaves the fee uncounted or refundable. Each round
// costs the requester exactly the creation fee, the reward pool gains exactly
// that, the module account ends where it began, the protocol share counts
// each fee once, and every job id is fresh.
func TestAttackCreateCancelChurnDodgesCreationFee(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req := s.acc(0)
	l := s.ledger(req)
	share, err := s.k.Stats.Get(s.ta.Ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		t.Fatal(err)
	}
	const rounds = 5
	seen := map[uint64]bool{}
	for i := 0; i < rounds; i++ {
		id := s.create(req, verifyPrice)
		if seen[id] {
			t.Fatalf("job id %d given twice", id)
		}
		seen[id] = true
		if _, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: id}); err != nil {
			t.Fatal(err)
		}
		s.inv()
	}
	l.delta("requester", req, -rounds*creationFee)
	l.delta("reward pool", poolAddr(), rounds*creationFee)
	l.delta("module account", moduleAddr(), 0)
	after, err := s.k.Stats.Get(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := share.ProtocolShare.Add(coin(rounds * creationFee)); !after.ProtocolShare.Equal(want) {
		t.Fatalf("protocol share %s, want %s", after.ProtocolShare, want)
	}
}

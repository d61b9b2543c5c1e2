package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackStateGrowsForever (issue 14, attack 12). Terminal jobs, their
// commitments and bids were never deleted: every job ever run, a spammer's
// included, stayed in state for good. Now a terminal job is pruned
// retention_blocks after it closed, with its commitments and bids, through
// a height-keyed queue; the Stats explorers read keep counting it
// (jobs_per_state, plus jobs_pruned), the export is a valid genesis that
// imports to the same state, and pruning moves no coin.
func TestAttackStateGrowsForever(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.RetentionBlocks = 5
	s.setParams(p)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)

	expired := s.create(req, 1_000) // no bids: EXPIRED at its commit end
	settled := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: settled, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	for s.job(settled).State != types.JobState_JOB_STATE_SETTLED {
		s.next(1)
	}
	long := s.createMsg(req, 1_000)
	long.CommitBlocks = 50 // still OPEN when the others are pruned
	res, err := s.ms.CreateJob(s.ta.Ctx, long)
	if err != nil {
		t.Fatal(err)
	}
	live := res.JobId
	l := s.ledger(req, p1, p2)
	for prune := s.job(settled).ClosedHeight + int64(p.RetentionBlocks); s.height() <= prune; {
		s.next(1)
	}
	for _, id := range []uint64{expired, settled} {
		if has, err := s.k.Jobs.Has(s.ta.Ctx, id); err != nil || has {
			t.Fatalf("job %d still stored (%v)", id, err)
		}
		_, err := s.q.Job(s.ta.Ctx, &types.QueryJobRequest{JobId: id})
		if err == nil {
			t.Fatalf("job %d still answered", id)
		}
	}
	rng := collections.NewPrefixedPairRange[uint64, string](settled)
	for name, it := range map[string]func() (bool, error){
		"commitments": func() (bool, error) {
			i, err := s.k.BidCommits.Iterate(s.ta.Ctx, rng)
			return err == nil && i.Valid(), err
		},
		"bids": func() (bool, error) { i, err := s.k.Bids.Iterate(s.ta.Ctx, rng); return err == nil && i.Valid(), err },
	} {
		if left, err := it(); err != nil || left {
			t.Fatalf("the settled job's %s are still stored (%v)", name, err)
		}
	}
	if _, err := s.k.GetJob(s.ta.Ctx, live); err != nil {
		t.Fatalf("a job not yet terminal was pruned: %v", err)
	}
	stats, err := s.k.Stats.Get(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	count := map[types.JobState]uint64{}
	for _, sc := range stats.JobsPerState {
		count[sc.State] = sc.Count
	}
	if stats.JobsPruned != 2 || count[types.JobState_JOB_STATE_SETTLED] != 1 || count[types.JobState_JOB_STATE_EXPIRED] < 1 {
		t.Fatalf("stats after pruning: %+v", stats)
	}
	l.delta("requester", req, 0)
	l.delta("p1", p1, 0)
	l.delta("p2", p2, 0)
	l.delta("module account", moduleAddr(), 0)
	l.delta("reward pool", poolAddr(), 0)

	// The export is a valid genesis and imports to the same state.
	gs := s.exportValid()
	fresh := newSuite(t)
	if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); err != nil {
		t.Fatalf("import: %v", err)
	}
	again, err := fresh.k.ExportGenesis(fresh.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.String() != gs.String() {
		t.Fatalf("round trip differs:\n%s\n%s", gs, again)
	}
}

// TestAttackProviderEndpointUnchecked (issue 14, attack 13). An empty or
// non-http(s) endpoint was accepted at registration; such a provider could
// win jobs whose chunks no sidecar could fetch, be slashed as unavailable,
// and leave the requester waiting for nothing. Now registration and updates
// require a reachable-looking http(s) URL (refused with nothing moved), and
// a provider without one — registered before the check, from a genesis —
// cannot bid: the requester's job expires without bids and is refunded, the
// provider's bond untouched.
func TestAttackProviderEndpointUnchecked(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov, old := s.acc(0), s.acc(1), s.acc(2)
	before := s.snap(req, prov)
	for _, ep := range []string{"", "ftp://p.example", "http://", "http://user:pw@p.example", "http://p.example:99999", "http://p.example/ x"} {
		_, err := s.ms.RegisterProvider(s.ta.Ctx, &types.MsgRegisterProvider{
			Operator: prov.String(), Moniker: "p", Endpoint: ep, Hardware: gpuHW(), Bond: coin(1_000_000),
		})
		wantErr(t, err, types.ErrInvalidProvider)
	}
	s.unchanged(before, req, prov)

	// A provider from before the check, with no endpoint.
	s.register(old, 1_000_000)
	pr := s.provider(old)
	pr.Endpoint = ""
	if err := s.k.Providers.Set(s.ta.Ctx, pr.Address, pr); err != nil {
		t.Fatal(err)
	}
	l := s.ledger(req, old)
	id := s.create(req, 10_000)
	before = s.snap(req, old)
	_, err := s.ms.CommitBid(s.ta.Ctx, &types.MsgCommitBid{Provider: old.String(), JobId: id,
		Commitment: types.BidCommitment(id, old.String(), coin(5_000), salt(old))})
	wantErr(t, err, types.ErrInvalidProvider)
	s.unchanged(before, req, old)
	s.next(3)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_BIDS)
	l.delta("requester", req, -creationFee)
	l.delta("provider's account", old, 0)
	s.bondOf(old, 1_000_000, 0, 0)
}

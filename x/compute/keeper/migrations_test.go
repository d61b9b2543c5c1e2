package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestMigrate1to2: a store as version 1 left it — none of the new params,
// jobs without the fee snapshot or creation fee, no set of jobs under check,
// no prune entries, providers without an obligation count or a valued
// record — is brought to version 2: valid params with the new defaults, and
// every invariant holding (obligations counted, checks listed), with no coin
// moved.
func TestMigrate1to2(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	p.VerificationBlocks = 40 // the verifying job is still under check at the migration (its terms)
	s.setParams(p)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	verifying := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: verifying, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	long := s.createMsg(req, 10_000)
	long.ExecBlocks = 50
	res, err := s.ms.CreateJob(s.ta.Ctx, long)
	must(t, err)
	assigned := res.JobId
	s.win(p2, assigned, 4_000)
	open := s.create(req, 5_000)
	s.commit(p1, open, 4_000)
	expired := s.create(req, 1_000)
	s.next(4)
	s.wantState(expired, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_BIDS)

	// Back to what version 1 stored.
	old := p
	old.MinExecBlocks, old.MaxChunkBytes, old.JobCreationFee = 0, 0, sdk.Coin{}
	old.MaxWorkPerExecBlock, old.TimeoutJailThreshold, old.RetentionBlocks = 0, 0, 0
	must(t, s.k.Params.Set(s.ta.Ctx, old))
	for _, id := range []uint64{verifying, assigned, open, expired} {
		j := s.job(id)
		j.ProtocolFeeBps, j.CreationFee, j.MulAdds = 0, sdk.Coin{}, 0
		must(t, s.k.Jobs.Set(s.ta.Ctx, id, j))
	}
	must(t, s.k.PendingChecks.Clear(s.ta.Ctx, nil))
	must(t, s.k.PruneQueue.Clear(s.ta.Ctx, nil))
	for _, a := range []sdk.AccAddress{p1, p2} {
		pr := s.provider(a)
		pr.Obligations, pr.Stats.CompletedValue, pr.Stats.FailedValue = 0, math.Int{}, math.Int{}
		must(t, s.k.Providers.Set(s.ta.Ctx, pr.Address, pr))
	}
	if err := s.k.CheckInvariants(s.ta.Ctx); err == nil {
		t.Fatal("the version-1 store passes the version-2 invariants: the test does not reproduce it")
	}
	before := s.snap(req, p1, p2)

	must(t, keeper.NewMigrator(s.k).Migrate1to2(s.ta.Ctx))
	s.inv()
	got := s.params()
	if err := got.Validate(); err != nil || got.MaxChunkBytes != types.DefaultParams().MaxChunkBytes || !got.JobCreationFee.IsEqual(types.DefaultParams().JobCreationFee) {
		t.Fatalf("params after the migration %+v: %v", got, err)
	}
	if j := s.job(assigned); j.ProtocolFeeBps != p.ProtocolFeeBps || !j.CreationFee.IsZero() {
		t.Fatalf("live job's snapshot: fee %d bps, creation fee %s", j.ProtocolFeeBps, j.CreationFee)
	}
	for _, id := range []uint64{verifying, assigned, open, expired} {
		j := s.job(id)
		if g := j.Workload.Gemm; j.MulAdds == 0 || j.MulAdds != g.M*g.N*g.K {
			t.Fatalf("job %d's work after the migration: %d mul_adds, want m·n·k of %+v", id, j.MulAdds, g)
		}
	}
	for i, b := range before.bals {
		if after := s.snap(req, p1, p2).bals[i]; !after.Equal(b) {
			t.Fatalf("balance %d moved: %s -> %s", i, b, after)
		}
	}
	s.bondOf(p1, 1_000_000, 20_000+10_000, 2) // the verifying job and the open commitment
	s.bondOf(p2, 1_000_000, 20_000, 1)        // the assigned job
	s.next(3)                                 // and the chain goes on
}

// TestMigrate2to3: a version-2 store (no unavailable_span_blocks or
// max_dispute_chunks; such params fail this version's validation) with a
// job under verification gets the new params' defaults, keeps every other
// param, and moves no coin; the job then gets its one extension.
func TestMigrate2to3(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	v2 := s.params()
	v2.UnavailableSpanBlocks, v2.MaxDisputeChunks = 0, 0
	must(t, s.k.Params.Set(s.ta.Ctx, v2))
	if err := v2.Validate(); err == nil {
		t.Fatal("version-2 params pass version-3 validation: the test does not reproduce them")
	}
	before := s.snap(req, p1, p2)

	must(t, keeper.NewMigrator(s.k).Migrate2to3(s.ta.Ctx))
	s.inv()
	got, d := s.params(), types.DefaultParams()
	if err := got.Validate(); err != nil || got.UnavailableSpanBlocks != d.UnavailableSpanBlocks || got.MaxDisputeChunks != d.MaxDisputeChunks {
		t.Fatalf("params after the migration %+v: %v", got, err)
	}
	got.UnavailableSpanBlocks, got.MaxDisputeChunks = 0, 0
	if got.String() != v2.String() {
		t.Fatalf("the migration changed other params:\n%v\n%v", got, v2)
	}
	after := s.snap(req, p1, p2)
	for i, b := range before.bals {
		if !after.bals[i].Equal(b) {
			t.Fatalf("balance %d moved: %s -> %s", i, b, after.bals[i])
		}
	}
	for end := s.job(id).VerificationEnd; s.height() <= end; {
		s.next(1)
	}
	if j := s.job(id); j.State != types.JobState_JOB_STATE_VERIFYING || !j.VerificationExtended {
		t.Fatalf("job under verification at the upgrade: %s, extended %t", j.State, j.VerificationExtended)
	}
}

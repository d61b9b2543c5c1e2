package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestCountedVerdictsLeaveTheJobRecordAlone: a counted verdict (a job with a
// verification fee) is an entry of Counted, and the job's record is not
// written again for it: verdicts one a block wrote the whole record each
// block, O(set²) bytes. Queries show a job under check with its counted
// verdicts so far, in the order counted; the closing job takes them into
// its record.
func TestCountedVerdictsLeaveTheJobRecordAlone(t *testing.T) {
	s, _ := assuranceSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.assuredJob(req, prov, types.Assurance{Full: true})
	before := s.job(id)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 5, 10) // validator 5 first
	s.next(1)
	s.verdicts(id, types.Verdict_VERDICT_INVALID, 1, 9) // then validator 1
	if after := s.job(id); after.String() != before.String() {
		t.Fatalf("the job's record changed for its verdicts:\n%s\n%s", before.String(), after.String())
	}
	want := []types.CountedVerdict{
		{Validator: []byte{5}, Power: 10, Verdict: types.Verdict_VERDICT_VALID},
		{Validator: []byte{1}, Power: 9, Verdict: types.Verdict_VERDICT_INVALID},
	}
	wantCounted(t, "Counted", s.counted(id), want)
	res, err := s.q.Job(s.ta.Ctx, &types.QueryJobRequest{JobId: id})
	must(t, err)
	wantCounted(t, "the Job query", res.Job.CountedVerdicts, want)
	list, err := s.q.Jobs(s.ta.Ctx, &types.QueryJobsRequest{State: types.JobState_JOB_STATE_VERIFYING})
	must(t, err)
	if len(list.Jobs) != 1 {
		t.Fatalf("Jobs query: %d verifying jobs, want 1", len(list.Jobs))
	}
	wantCounted(t, "the Jobs query", list.Jobs[0].CountedVerdicts, want)

	s.verdicts(id, types.Verdict_VERDICT_VALID, 2, 10, 10) // 30 of 30 VALID (the set of the test is 30)
	s.graceOver(id)
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	wantCounted(t, "the closed job's record", s.job(id).CountedVerdicts, append(want,
		types.CountedVerdict{Validator: []byte{2}, Power: 10, Verdict: types.Verdict_VERDICT_VALID},
		types.CountedVerdict{Validator: []byte{3}, Power: 10, Verdict: types.Verdict_VERDICT_VALID}))
	it, err := s.k.Counted.Iterate(s.ta.Ctx, collections.NewPrefixedTripleRange[uint64, int64, []byte](id))
	must(t, err)
	defer it.Close()
	if it.Valid() {
		t.Fatalf("the closed job left Counted entries")
	}
}

// TestMigrate10to11: a version-10 store keeps a verifying job's counted
// verdicts in its record. The migration files them as Counted entries, in
// their order (validator 4 counted before validator 1), and empties the
// record; a verdict after it is counted after them, and the fee is paid to
// the validators whose verdict is the outcome, to the coin.
func TestMigrate10to11(t *testing.T) {
	s, ops := assuranceSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.assuredJob(req, prov, types.Assurance{Samples: 4})
	s.verdicts(id, types.Verdict_VERDICT_VALID, 4, 10)
	s.next(1)
	s.verdicts(id, types.Verdict_VERDICT_INVALID, 1, 10)
	old := s.counted(id)
	// Make it a version-10 store: the list in the record, no entries.
	must(t, s.k.Counted.Clear(s.ta.Ctx, collections.NewPrefixedTripleRange[uint64, int64, []byte](id)))
	j := s.job(id)
	j.CountedVerdicts = old
	must(t, s.k.SaveJob(s.ta.Ctx, j.State, j))

	must(t, keeper.NewMigrator(s.k).Migrate10to11(s.ta.Ctx))
	if n := len(s.job(id).CountedVerdicts); n != 0 {
		t.Fatalf("the record keeps %d counted verdicts after the migration", n)
	}
	wantCounted(t, "Counted after the migration", s.counted(id), old)

	l := s.ledger(append([]sdk.AccAddress{req, prov}, ops...)...)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 3, 10) // 20 of 30 VALID: the quorum
	s.graceOver(id)
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	l.delta("validator 1 (against the outcome)", ops[0], 0)
	l.delta("validator 3", ops[2], 133)
	l.delta("validator 4", ops[3], 133)
	l.burned(134)
	wantCounted(t, "the closed job's record", s.job(id).CountedVerdicts, append(old,
		types.CountedVerdict{Validator: []byte{3}, Power: 10, Verdict: types.Verdict_VERDICT_VALID}))
}

func wantCounted(t *testing.T, where string, got, want []types.CountedVerdict) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d counted verdicts %v, want %d %v", where, len(got), got, len(want), want)
	}
	for i := range want {
		if got[i].String() != want[i].String() {
			t.Fatalf("%s: counted verdict %d is %v, want %v", where, i, got[i], want[i])
		}
	}
}

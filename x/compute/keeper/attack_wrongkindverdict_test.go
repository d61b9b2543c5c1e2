package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/testutil/storeiter"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackWrongKindVerdictReadsTheJobEveryBlock: a verdict of the other
// check's kind (INPUTS_UNAVAILABLE on a VERIFYING job) was never recorded,
// so a validator could resend it in every vote extension and each time
// make the block read and decode the whole job (2,048 such verdicts an
// extension), where a verdict already recorded costs two small reads
// (reviewer E's lead). Now its voter is marked: the next block's copy reads
// no job, the verdict is not counted, the validator's later verdict on the
// job is not counted either (its first stands), and the honest quorum
// settles the job as before.
func TestAttackWrongKindVerdictReadsTheJobEveryBlock(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	l := s.ledger(req, prov)
	id := s.verifyingJob(req, prov)
	wrong := []types.ValidatorVerdicts{{ConsAddress: []byte{'x'}, Power: 5,
		Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_INPUTS_UNAVAILABLE}}}}
	if err := s.k.ApplyVerdicts(s.ta.Ctx, 30, wrong); err != nil {
		t.Fatal(err)
	}
	ctx, c := storeiter.Wrap(s.ta.Ctx)
	if err := s.k.ApplyVerdicts(ctx, 30, wrong); err != nil {
		t.Fatal(err)
	}
	if n := c.Reads(types.StoreKey, types.JobsKey); n != 0 {
		t.Fatalf("a resent verdict of the wrong kind read the jobs map %d times, want 0", n)
	}
	tally, err := s.k.Tallies.Get(s.ta.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if tally.InputsUnavailablePower != 0 || tally.ValidPower != 0 {
		t.Fatalf("tally %+v counts the wrong-kind verdict", tally)
	}
	s.verdicts(id, types.Verdict_VERDICT_VALID, 'x', 5) // its first verdict stands: not counted
	if tally, _ = s.k.Tallies.Get(s.ta.Ctx, id); tally.ValidPower != 0 {
		t.Fatalf("the marked validator's later VALID counted: tally %+v", tally)
	}
	s.verdicts(id, types.Verdict_VERDICT_VALID, 'b', 20)
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	l.delta("requester", req, -verifyPrice-creationFee)
	l.delta("provider", prov, verifyPrice-verifyPrice/10)
	l.delta("module account", moduleAddr(), 0)
}

package keeper_test

import (
	"slices"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// The verification attacks of issue 15 (items 2, 3 and 6), balances to the
// coin. Verdicts come from validators of the given powers out of 30.

const (
	verifyBond  = 1_000_000
	verifyPrice = 10_000 // max price = clearing price; collateral 2 × 10000
	verifyColl  = 20_000
)

// verifyingJob has prov win req's job at verifyPrice, submit a 4-chunk
// result and be sampled (the params sample every job): VERIFYING.
func (s *suite) verifyingJob(req, prov sdk.AccAddress) uint64 {
	s.t.Helper()
	id := s.create(req, verifyPrice)
	s.win(prov, id, verifyPrice)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		s.t.Fatal(err)
	}
	s.next(2)
	s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	return id
}

// nextPast finalizes blocks until the job's verification_end has passed.
func (s *suite) nextPast(id uint64) {
	s.t.Helper()
	for end := s.job(id).VerificationEnd; s.height() <= end; {
		s.next(1)
	}
}

// TestAttackOutageCountedAsFraud (issue 15, item 2). More than 1/3 of the
// power voting UNAVAILABLE used to fail the job as fraud: half the
// provider's bond slashed and the provider jailed, for an endpoint a
// requester could flood. Now:
//   - UNAVAILABLE below 1/3 (sidecars that saw a brief outage) decides
//     nothing, and a VALID quorum still pays the provider in full;
//   - UNAVAILABLE above 1/3 (withholding across the span) costs the job's
//     collateral, not the fraud slash: the requester is refunded and
//     compensated up to its creation fee, the rest goes to the reward pool,
//     and the provider is neither jailed nor recorded as slashed.
func TestAttackOutageCountedAsFraud(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)

	l := s.ledger(req, prov)
	id := s.verifyingJob(req, prov)
	s.verdicts(id, types.Verdict_VERDICT_UNAVAILABLE, 'a', 9) // a minority saw the outage
	s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 'b', 20)
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	l.delta("requester", req, -verifyPrice-creationFee)
	l.delta("provider", prov, verifyPrice-verifyPrice/10) // less the 10% protocol fee
	l.delta("reward pool", poolAddr(), creationFee+verifyPrice/10)
	l.delta("module account", moduleAddr(), 0)
	s.bondOf(prov, verifyBond, 0, 0)

	l = s.ledger(req, prov)
	id = s.verifyingJob(req, prov)
	s.verdicts(id, types.Verdict_VERDICT_UNAVAILABLE, 'a', 11)
	s.wantState(id, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_WITHHELD)
	// The requester paid 10000 + the 1000 creation fee and got 10000 back
	// plus 1000 of compensation (capped at the creation fee): even.
	l.delta("requester", req, 0)
	l.delta("provider", prov, 0)
	s.bondOf(prov, verifyBond-verifyColl, 0, 0) // the collateral, not 50% of the bond
	l.delta("reward pool", poolAddr(), creationFee+verifyColl-creationFee)
	l.delta("module account", moduleAddr(), -verifyColl)
	pr := s.provider(prov)
	if pr.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE || pr.Stats.Slashed != 0 || pr.Stats.ConsecutiveTimeouts != 1 {
		t.Fatalf("after withholding: %s, slashed %d, timeouts in a row %d; want ACTIVE, 0, 1",
			pr.Status, pr.Stats.Slashed, pr.Stats.ConsecutiveTimeouts)
	}
}

// TestAttackClogVerificationPays (issue 15, item 3). A job that reached no
// quorum by the end of its window used to settle and pay the provider, so a
// cheater profited from clogging verification. Now the window is extended
// once (a quorum in the extension still decides), and a second miss refunds
// the requester its escrow, releases the collateral and pays nobody.
func TestAttackClogVerificationPays(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)

	l := s.ledger(req, prov)
	id := s.verifyingJob(req, prov)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 'a', 15) // half the power: no quorum
	end := s.job(id).VerificationEnd
	s.nextPast(id)
	if j := s.job(id); j.State != types.JobState_JOB_STATE_VERIFYING || !j.VerificationExtended || j.VerificationEnd != end+int64(p.VerificationBlocks) {
		t.Fatalf("after the first window: %s, extended %t, end %d (was %d)", j.State, j.VerificationExtended, j.VerificationEnd, end)
	}
	s.nextPast(id)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_VERIFICATION_INCONCLUSIVE)
	l.delta("requester", req, -creationFee) // the escrow back; only the creation fee is gone
	l.delta("provider", prov, 0)            // nothing paid
	s.bondOf(prov, verifyBond, 0, 0)        // collateral released, nothing forfeited
	l.delta("reward pool", poolAddr(), creationFee)
	l.delta("module account", moduleAddr(), 0)
	if pr := s.provider(prov); pr.Stats.Completed != 0 || !pr.Stats.Earned.IsZero() {
		t.Fatalf("an inconclusive job counted in the record: %+v", pr.Stats)
	}

	// A slow verification that reaches its quorum in the extension settles.
	l = s.ledger(req, prov)
	id = s.verifyingJob(req, prov)
	s.nextPast(id)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 'a', 20)
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	l.delta("provider", prov, verifyPrice-verifyPrice/10)
}

// TestAttackWithholdFromRequester (issue 15, item 6). A provider could serve
// the sampled chunks and withhold the rest of the result. The requester's
// dispute now names the chunks it wants checked (at most max_dispute_chunks,
// each in the result, none twice); the sidecars fetch those besides the
// sampled ones, and a provider that does not serve them to the validators
// forfeits the job's collateral. What remains possible: serving the
// validators while withholding from the requester (see the README).
func TestAttackWithholdFromRequester(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SamplesPerJob, p.MaxDisputeChunks = 1, 2
	s.setParams(p)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	l := s.ledger(req, prov)
	id := s.create(req, verifyPrice)
	s.win(prov, id, verifyPrice)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2) // unsampled: in its challenge window

	sn := s.snap(req, prov)
	for name, indices := range map[string][]uint64{
		"more than max_dispute_chunks": {0, 1, 2},
		"beyond the result":            {4},
		"named twice":                  {1, 1},
	} {
		_, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id, ChunkIndices: indices})
		if !types.ErrInvalidRequest.Is(err) {
			t.Fatalf("%s: got %v, want ErrInvalidRequest", name, err)
		}
	}
	s.unchanged(sn, req, prov)

	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id, ChunkIndices: []uint64{3, 0}}); err != nil {
		t.Fatal(err)
	}
	s.inv()
	j := s.job(id)
	if !slices.Equal(j.Sample.Requested, []uint64{0, 3}) || !slices.Contains(j.Sample.Indices, 0) ||
		!slices.Contains(j.Sample.Indices, 3) || len(j.Sample.Indices) > 3 {
		t.Fatalf("disputed sample %+v: want the named chunks 0 and 3 plus one sampled", j.Sample)
	}
	res, err := s.q.PendingVerifications(s.ta.Ctx, &types.QueryPendingVerificationsRequest{})
	if err != nil || len(res.Pending) != 1 || !slices.Equal(res.Pending[0].Indices, j.Sample.Indices) ||
		res.Pending[0].UnavailableSpanBlocks != p.VerificationBlocks || res.Height != s.height() {
		t.Fatalf("what the sidecars read: %+v, %v", res, err)
	}

	s.verdicts(id, types.Verdict_VERDICT_UNAVAILABLE, 'a', 11)
	s.wantState(id, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_WITHHELD)
	// Escrow, the 500 dispute fee and 1000 of compensation back: even.
	l.delta("requester", req, 0)
	l.delta("provider", prov, 0)
	s.bondOf(prov, verifyBond-verifyColl, 0, 0)
	l.delta("reward pool", poolAddr(), verifyColl)
	l.delta("module account", moduleAddr(), -verifyColl)
}

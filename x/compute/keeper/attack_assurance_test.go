package keeper_test

import (
	"context"
	"fmt"
	"testing"

	"cosmossdk.io/core/address"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// Buyer-chosen assurance (issue 15, item 5), balances to the coin. The
// params never sample a job by rate (sample_rate_floor_bps 0): only the
// assurance a requester bought gets a result verified. Validators are
// consensus addresses {1}…{4} (powers out of 30), whose operators are the
// accounts acc(2)…acc(5).

const feePerSample = 100

// fakeValidators maps consensus addresses to operator accounts (the rest
// is the real staking keeper).
type fakeValidators struct {
	types.StakingKeeper
	codec address.Codec
	ops   map[string]sdk.AccAddress
}

func (f fakeValidators) GetValidatorByConsAddr(_ context.Context, c sdk.ConsAddress) (stakingtypes.Validator, error) {
	a, ok := f.ops[string(c)]
	if !ok {
		return stakingtypes.Validator{}, stakingtypes.ErrNoValidatorFound
	}
	op, err := f.codec.BytesToString(a)
	return stakingtypes.Validator{OperatorAddress: op}, err
}

func (f fakeValidators) ValidatorAddressCodec() address.Codec { return f.codec }

// assuranceSuite: attack params, a verification fee of 100 per sample, four
// validators' operators.
func assuranceSuite(t *testing.T) (*suite, []sdk.AccAddress) {
	s := newSuite(t)
	p := attackParams()
	p.VerificationFeePerSample = coin(feePerSample)
	s.setParams(p)
	ops := []sdk.AccAddress{s.acc(2), s.acc(3), s.acc(4), s.acc(5)}
	fv := fakeValidators{StakingKeeper: s.k.StakingKeeper, codec: s.ta.StakingKeeper.ValidatorAddressCodec(), ops: map[string]sdk.AccAddress{}}
	for i, a := range ops {
		fv.ops[string([]byte{byte(i + 1)})] = a
	}
	s.k.StakingKeeper = fv
	return s, ops
}

// assuredJob has req create a job with assurance a (max price verifyPrice)
// and prov win it and submit a 4-chunk result; it returns once the job is
// VERIFYING.
func (s *suite) assuredJob(req, prov sdk.AccAddress, a types.Assurance) uint64 {
	s.t.Helper()
	id := s.createAssured(req, a)
	s.win(prov, id, verifyPrice)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		s.t.Fatal(err)
	}
	s.next(2)
	s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	return id
}

func (s *suite) createAssured(req sdk.AccAddress, a types.Assurance) uint64 {
	s.t.Helper()
	msg := s.createMsg(req, verifyPrice)
	msg.Assurance = &a
	res, err := s.ms.CreateJob(s.ta.Ctx, msg)
	if err != nil {
		s.t.Fatalf("create assured job: %v", err)
	}
	s.inv()
	return res.JobId
}

// TestAttackFullAssuranceFeeBack: a requester buys FULL (every chunk
// verified, 4 × 100 escrowed) and wants the fee back once verification has
// run. It cannot cancel or dispute a job under verification, and the
// settlement pays the fee to the validators whose VALID verdicts decided it,
// each its share of the set's power (10, 7, 4 of 30: 133, 93, 53); the 121
// that the fourth validator's power (9) and the rounding left is burned.
// The job was selected although no rate samples it, on all 4 chunks.
func TestAttackFullAssuranceFeeBack(t *testing.T) {
	s, ops := assuranceSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	l := s.ledger(append([]sdk.AccAddress{req, prov}, ops...)...)
	id := s.assuredJob(req, prov, types.Assurance{Full: true})
	j := s.job(id)
	if j.SamplesBought != 4 || j.DetectionBps != 10_000 || !j.VerificationFee.Equal(sdk.NewCoins(coin(400))) ||
		!j.Escrow.Equal(sdk.NewCoins(coin(verifyPrice+400))) {
		t.Fatalf("job bought %d samples, detection %d bps, fee %s, escrow %s", j.SamplesBought, j.DetectionBps, j.VerificationFee, j.Escrow)
	}
	if len(j.Sample.Indices) != 4 {
		t.Fatalf("FULL job sampled %v, want every chunk", j.Sample.Indices)
	}
	_, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: id})
	wantErr(t, err, types.ErrWrongState)
	_, err = s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id})
	wantErr(t, err, types.ErrWrongState)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 10, 7, 4)
	s.graceOver(id) // the quorum's grace
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	if got := s.job(id).VerificationFeePaid; !got.Equal(sdk.NewCoins(coin(400))) {
		t.Fatalf("verification_fee_paid %s, want 400", got)
	}
	l.delta("requester", req, -creationFee-verifyPrice-400)
	l.delta("validator 1", ops[0], 133)
	l.delta("validator 2", ops[1], 93)
	l.delta("validator 3", ops[2], 53)
	l.delta("validator 4 (did not vote)", ops[3], 0)
	l.delta("provider", prov, verifyPrice*9/10)
	l.delta("reward pool", poolAddr(), creationFee+verifyPrice/10)
	l.delta("module", moduleAddr(), 0)
	l.burned(121)
}

// TestAttackNonVoterGetsNoFee: validators that did not vote, voted against
// the outcome, or voted after the job closed get nothing; the two whose
// VALID verdicts settled the job get their shares of the set's power (10 of
// 30 each: 133), and the rest (134) is burned.
func TestAttackNonVoterGetsNoFee(t *testing.T) {
	s, ops := assuranceSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	l := s.ledger(append([]sdk.AccAddress{req, prov}, ops...)...)
	id := s.assuredJob(req, prov, types.Assurance{Samples: 4})
	s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 10)
	s.verdicts(id, types.Verdict_VERDICT_INVALID, 2, 10) // exactly 1/3: decides nothing
	s.verdicts(id, types.Verdict_VERDICT_VALID, 3, 10)
	s.graceOver(id) // the quorum's grace, in which validator 4 did not vote
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 4, 10) // too late: the job is closed
	l.delta("requester", req, -creationFee-verifyPrice-400)
	l.delta("validator 1", ops[0], 133)
	l.delta("validator 2 (against the outcome)", ops[1], 0)
	l.delta("validator 3", ops[2], 133)
	l.delta("validator 4 (late)", ops[3], 0)
	l.delta("reward pool", poolAddr(), creationFee+verifyPrice/10)
	l.delta("module", moduleAddr(), 0)
	l.burned(134)
}

// TestAttackProposerLeavesVotesOutForALargerFeeShare: a proposer may inject
// any set of extensions that holds more than 2/3 of the power. Validator 1
// (7 of 30) proposes the block that decides a job and leaves validator 4's
// vote (9) out: 21 of 30 still decide it. Were the fee split among the
// counted verdicts, the proposer would take 400 × 7/21 = 133 instead of
// the 93 it earns when all four are counted (and so would validators 2 and
// 3, at validator 4's expense). Each validator is paid its share of the
// set's power instead: the proposer takes 93 either way, and validator 4's
// 120 is burned, handed to no one, if every proposer of the quorum's grace
// leaves it out too (TestAttackProposerLeavesAValidatorOutOfTheQuorumBlock:
// one that includes it has it paid). All four votes in one block are counted
// whatever their order in the commit, though the third already decides.
func TestAttackProposerLeavesVotesOutForALargerFeeShare(t *testing.T) {
	s, ops := assuranceSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	names := []string{"validator 1 (the proposer)", "validator 2", "validator 3", "validator 4"}
	for _, c := range []struct {
		what   string
		powers []int64
		paid   []int64
		burned int64
	}{
		{"every vote injected", []int64{7, 7, 7, 9}, []int64{93, 93, 93, 120}, 1},
		{"validator 4's vote left out", []int64{7, 7, 7}, []int64{93, 93, 93, 0}, 121},
	} {
		id := s.assuredJob(req, prov, types.Assurance{Full: true})
		l := s.ledger(append([]sdk.AccAddress{req, prov}, ops...)...)
		s.verdicts(id, types.Verdict_VERDICT_VALID, 1, c.powers...)
		s.graceOver(id) // the quorum's grace, every block of it without validator 4
		s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
		l.wantFullSettled(c.what, req, prov, ops, names, c.paid, c.burned)
	}
}

// TestFeeSharesNeverExceedTheFee: verdicts counted in different blocks
// carry the power of their own block's set. Here the commit that reaches
// the quorum claims a set of 20 while its voters' powers add up to 30
// (validator 1 counted with 10 in the block before; validators 2 and 3
// decide with 10 each): the keeper does not trust the powers to add up. The
// shares are taken of the quorum's 20, in the order the verdicts were
// counted, up to 20 of power (validators 1 and 2: 200 each, validator 3
// nothing), so that they never add up to more than the fee (the rest paid
// out of other jobs' escrow): the module pays out exactly this job's escrow.
func TestFeeSharesNeverExceedTheFee(t *testing.T) {
	s, ops := assuranceSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.assuredJob(req, prov, types.Assurance{Full: true})
	l := s.ledger(ops...)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 10)
	var votes []types.ValidatorVerdicts
	for _, c := range []byte{2, 3} {
		votes = append(votes, types.ValidatorVerdicts{ConsAddress: []byte{c}, Power: 10,
			Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}})
	}
	must(t, s.applyVerdicts(20, votes))
	s.inv()
	s.graceOver(id) // the quorum's grace
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	for i, want := range []int64{200, 200, 0} {
		l.delta(fmt.Sprintf("validator %d", i+1), ops[i], want)
	}
	l.delta("module", moduleAddr(), -verifyPrice-400)
	l.burned(0)
}

// TestAttackClogFullAssurance: a provider that clogs the verification of a
// FULL job (no quorum in the window or its extension) is paid nothing; the
// requester gets its escrow back with the whole verification fee (no
// verdict decided anything, so no validator is paid for it), losing only
// its creation fee.
func TestAttackClogFullAssurance(t *testing.T) {
	s, ops := assuranceSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	l := s.ledger(append([]sdk.AccAddress{req, prov}, ops...)...)
	id := s.assuredJob(req, prov, types.Assurance{Full: true})
	s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 10)
	s.nextPast(id)
	s.nextPast(id)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_VERIFICATION_INCONCLUSIVE)
	l.delta("requester", req, -creationFee)
	l.delta("provider", prov, 0)
	l.delta("validator 1 (no quorum)", ops[0], 0)
	l.delta("reward pool", poolAddr(), creationFee)
	l.delta("module", moduleAddr(), 0)
	s.bondOf(prov, verifyBond, 0, 0)
}

// TestAttackWithholdFullAssurance: a provider that withholds a FULL job's
// chunks (UNAVAILABLE by 6 + 5 of 30 > 1/3) forfeits its collateral; the
// validators that found it withheld are paid their shares of the fee (80,
// 66; 254 burned), and the requester is compensated for the whole fee and
// its creation fee: it ends even.
func TestAttackWithholdFullAssurance(t *testing.T) {
	s, ops := assuranceSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	l := s.ledger(append([]sdk.AccAddress{req, prov}, ops...)...)
	id := s.assuredJob(req, prov, types.Assurance{Full: true})
	s.verdicts(id, types.Verdict_VERDICT_UNAVAILABLE, 1, 6, 5)
	s.graceOver(id) // the quorum's grace
	s.wantState(id, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_WITHHELD)
	l.delta("requester", req, 0)
	l.delta("validator 1", ops[0], 80)
	l.delta("validator 2", ops[1], 66)
	l.delta("reward pool", poolAddr(), creationFee+verifyColl-(creationFee+400))
	l.delta("module", moduleAddr(), -verifyColl)
	l.burned(254)
	s.bondOf(prov, verifyBond-verifyColl, 0, 0)
}

// TestAttackFeeRefundedWhenVerificationNeverRan: the fee comes back to the
// coin whenever no verification ran: a job cancelled in its commit phase, a
// job without bids, and a job whose winner timed out before submitting (the
// requester is then also compensated its creation fee). No validator is paid.
func TestAttackFeeRefundedWhenVerificationNeverRan(t *testing.T) {
	s, ops := assuranceSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	l := s.ledger(append([]sdk.AccAddress{req, prov}, ops...)...)
	cancelled := s.createAssured(req, types.Assurance{Full: true})
	_, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: cancelled})
	must(t, err)
	unbid := s.createAssured(req, types.Assurance{Samples: 4})
	timedOut := s.createAssured(req, types.Assurance{Full: true})
	s.win(prov, timedOut, verifyPrice)
	for !s.job(timedOut).State.IsTerminal() || !s.job(unbid).State.IsTerminal() {
		s.next(1)
	}
	s.wantState(cancelled, types.JobState_JOB_STATE_CANCELLED, types.CloseReason_CLOSE_REASON_REQUESTER_CANCELLED)
	s.wantState(unbid, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_BIDS)
	s.wantState(timedOut, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	// Three creation fees; the timeout compensates one.
	l.delta("requester", req, -3*creationFee+creationFee)
	for _, op := range ops {
		l.delta("validator", op, 0)
	}
	l.delta("module", moduleAddr(), -verifyColl)
}

// TestAttackAssuranceWorkBomb: assurance cannot buy work beyond the chain's
// limits, nor undercut the floor: refused with a typed error and nothing
// changed. Stateless: full with samples, samples above MaxAssuranceSamples.
// Against params and the job: samples below samples_per_job, more samples
// than chunks, and a FULL job whose checked work exceeds
// max_work_per_exec_block × verification_blocks.
func TestAttackAssuranceWorkBomb(t *testing.T) {
	s, _ := assuranceSuite(t)
	p := s.params()
	p.MaxWorkPerExecBlock, p.VerificationBlocks, p.MaxExecBlocks = 4096, 3, 100
	s.setParams(p)
	req := s.acc(0)
	for _, a := range []types.Assurance{{Samples: 3, Full: true}, {Samples: types.MaxAssuranceSamples + 1}} {
		msg := s.createMsg(req, verifyPrice)
		msg.Assurance = &a
		wantErr(t, msg.ValidateBasic(), types.ErrInvalidAssurance)
	}
	before := s.snap(req)
	for _, a := range []types.Assurance{{Samples: p.SamplesPerJob - 1}, {Samples: 17}, {Full: true}} {
		msg := s.createMsg(req, verifyPrice)
		msg.Workload.ChunkRows, msg.ExecBlocks = 4, 10 // 16 chunks, 32768 multiply-adds
		msg.Assurance = &a
		_, err := s.ms.CreateJob(s.ta.Ctx, msg)
		wantErr(t, err, types.ErrInvalidAssurance)
	}
	s.unchanged(before, req)
	// 4 of 16 chunks is 8192 multiply-adds, within 4096 × 3.
	msg := s.createMsg(req, verifyPrice)
	msg.Workload.ChunkRows, msg.ExecBlocks = 4, 10
	msg.Assurance = &types.Assurance{Samples: 4}
	res, err := s.ms.CreateJob(s.ta.Ctx, msg)
	must(t, err)
	if j := s.job(res.JobId); j.DetectionBps != 2_500 || j.SamplesBought != 4 {
		t.Fatalf("4 of 16 chunks: detection %d bps, samples %d", j.DetectionBps, j.SamplesBought)
	}
}

// TestMigrate4to5Assurance: a version-4 store has no verification_fee_per_sample
// (its params fail this binary's validation); the migration sets the
// default in the bond denom, moves no coin, and leaves jobs without
// assurance.
func TestMigrate4to5Assurance(t *testing.T) {
	s := newSuite(t)
	req := s.acc(0)
	id := s.create(req, 5_000)
	old := s.params()
	old.VerificationFeePerSample = sdk.Coin{}
	if err := old.Validate(); err == nil {
		t.Fatal("params without verification_fee_per_sample validate: the test does not reproduce a version-4 store")
	}
	must(t, s.k.Params.Set(s.ta.Ctx, old))
	before := s.snap(req)
	must(t, keeper.NewMigrator(s.k).Migrate4to5(s.ta.Ctx))
	got := s.params()
	if err := got.Validate(); err != nil || !got.VerificationFeePerSample.IsEqual(types.DefaultParams().VerificationFeePerSample) {
		t.Fatalf("verification_fee_per_sample after the migration %s: %v", got.VerificationFeePerSample, err)
	}
	for i, b := range before.bals {
		if after := s.snap(req).bals[i]; !after.Equal(b) {
			t.Fatalf("balance %d moved: %s -> %s", i, b, after)
		}
	}
	if j := s.job(id); j.SamplesBought != 0 || !j.VerificationFee.IsZero() {
		t.Fatalf("a version-4 job bought assurance: %d samples, fee %s", j.SamplesBought, j.VerificationFee)
	}
	s.inv()
}

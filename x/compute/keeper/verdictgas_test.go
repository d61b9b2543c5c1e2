package keeper_test

import (
	"strings"
	"testing"

	storetypes "cosmossdk.io/store/types"

	"github.com/aichain/aichain/x/compute/types"
)

// setOf is a commit's set of n validators (consensus addresses {i, 7}, power
// 10 each), as the PreBlocker hands it to RecordBeacon.
func setOf(n int) []types.BeaconVoter {
	set := make([]types.BeaconVoter, n)
	for i := range set {
		set[i] = types.BeaconVoter{ConsAddress: []byte{byte(i + 1), 7}, Power: 10}
	}
	return set
}

// verdictWork has n validators of power 10 vote VALID on a job under check
// (with a verification fee, fee; its record grown by about pad bytes, as a
// gpt-f32 job's inline prompts grow it), perBlock of them a block, and
// returns the gas ApplyVerdicts used in all (the job's decision included)
// and what a verdict on the job is charged.
func verdictWork(t *testing.T, n int, fee bool, perBlock, pad int) (gas, per uint64) {
	s, _ := assuranceSuite(t)
	p := s.params()
	p.VerificationBlocks = 300 // every verdict one a block still counts
	if !fee {
		p.VerificationFeePerSample = coin(0)
	}
	s.setParams(p)
	fv := s.k.StakingKeeper.(fakeValidators)
	for _, v := range setOf(n) {
		fv.ops[string(v.ConsAddress)] = s.acc(2)
	}
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.assuredJob(req, prov, types.Assurance{Full: true})
	if pad > 0 {
		j := s.job(id)
		j.Workload.Gpt = &types.GptSpec{Prompts: []types.GptPrompt{{Tokens: make([]uint32, pad)}}}
		must(t, s.k.SaveJob(s.ta.Ctx, j.State, j))
	}
	j := s.job(id)
	per = j.VerdictGas(j.CountsVerdicts())
	idle := s.blockWork() // nothing due
	set := setOf(n)
	for i := 0; i < n; i += perBlock {
		var votes []types.ValidatorVerdicts
		for _, v := range set[i:min(i+perBlock, n)] {
			votes = append(votes, types.ValidatorVerdicts{ConsAddress: v.ConsAddress, Power: v.Power,
				Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}})
		}
		gas += s.msgGas(func() { must(t, s.applyVerdicts(int64(10*n), votes)) })
		s.next(1)
	}
	if st := s.job(id).State; st == types.JobState_JOB_STATE_VERIFYING && !fee {
		t.Fatalf("n %d, %d a block: the job is still %s after every validator's VALID", n, perBlock, st)
	}
	if fee {
		// The decision at the grace's end pays each counted validator its
		// share of the fee (payVerificationFee): that block's work, above
		// an idle block's, counts too.
		for s.height() < s.job(id).VerificationEnd {
			s.next(1)
		}
		if w := s.blockWork(); w > idle {
			gas += w - idle
		}
		must(t, s.k.EndBlocker(s.ta.Ctx))
		if st := s.job(id).State; st != types.JobState_JOB_STATE_SETTLED {
			t.Fatalf("n %d, %d a block: the job is %s after its grace, want settled", n, perBlock, st)
		}
	}
	return gas, per
}

// TestVerdictWorkIsCharged measures the verdicts of a check on every path
// (4, 30 and 100 validators; all in one block, or one a block; a job with
// and without a verification fee; a small job record and one of 8 KiB more)
// against what the messages charge per validator (Job.VerdictGas): the work
// of each validator after the first (the first's includes the job's
// decision and settlement, which the job's block gas pays: JobBlockGas) is
// at most the charge, and the charge at most twice the costliest path's.
func TestVerdictWorkIsCharged(t *testing.T) {
	for _, fee := range []bool{false, true} {
		for _, pad := range []int{0, 8_192} {
			one, _ := verdictWork(t, 1, fee, 1, pad)
			var costliest, charged uint64
			for _, n := range []int{4, 30, 100} {
				for _, perBlock := range []int{n, 1} {
					work, per := verdictWork(t, n, fee, perBlock, pad)
					work -= one
					each := work / uint64(n-1)
					t.Logf("fee %-5t pad %5d %3d validators, %3d a block: %8d gas above one validator's %d, %6d each (charged %d)", fee, pad, n, perBlock, work, one, each, per)
					if work > uint64(n-1)*per {
						t.Errorf("fee %t, pad %d, %d validators, %d a block: %d gas of verdict work, %d charged", fee, pad, n, perBlock, work, uint64(n-1)*per)
					}
					costliest, charged = max(costliest, each), per
				}
			}
			if charged > 2*costliest {
				t.Errorf("fee %t, pad %d: %d charged a verdict, over twice the costliest path's %d", fee, pad, charged, costliest)
			}
		}
	}
}

// TestAttackVerdictWorkUnpaid: every validator's verdict on a job under
// check is recorded and tallied in the PreBlocker, under the block's
// infinite gas meter; a requester buying full assurance on many jobs (or a
// provider aborting them) made 100 validators' sets do 555,248 gas of work
// a job (1,043,351 when the verdicts came one a block) that its messages
// did not pay for. Now the message that starts the check pays per
// validator of the last commit's set: a create job with assurance all of
// it, one without the sampling floor's share, an abort all of it.
func TestAttackVerdictWorkUnpaid(t *testing.T) {
	const n = 30
	s, _ := assuranceSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 2_000
	p.VerificationFeePerSample = coin(0)
	s.setParams(p)
	req := s.acc(0)
	var id uint64
	create := func(assured bool) uint64 {
		return s.verdictGas(func() {
			if assured {
				id = s.createAssured(req, types.Assurance{Full: true})
			} else {
				id = s.create(req, verifyPrice)
			}
		})
	}
	if a, b := create(false), create(true); a != 0 || b != 0 {
		t.Fatalf("before any commit: %d and %d gas charged for verdicts, want none", a, b)
	}
	s.next(1)
	must(t, s.k.RecordBeacon(s.ta.Ctx, setOf(n), nil))
	if got, err := s.k.SetSize.Get(s.ta.Ctx); err != nil || got != n {
		t.Fatalf("set size %d (%v), want %d", got, err, n)
	}
	for _, c := range []struct {
		assured bool
		bps     uint64
	}{{false, 2_000}, {true, 10_000}} {
		// At the record's size as created (the stored one has a few bytes
		// more, set when it opens).
		got := create(c.assured)
		low, high := n*types.VerdictBlockGas*c.bps/10_000, n*s.job(id).VerdictGas(false)*c.bps/10_000
		if got < low || got > high {
			t.Errorf("assured %t: create job paid %d gas for %d validators' verdicts, want %d to %d", c.assured, got, n, low, high)
		}
	}

	// An abort starts a check by every validator.
	prov, owner := s.acc(1), s.acc(5)
	s.registerAny(prov, 1_000_000)
	id = s.mlpJob(req, s.mlpInputs(owner), 10_000)
	s.win(prov, id, 10_000)
	per := s.job(id).VerdictGas(false)
	gas := s.verdictGas(func() {
		_, err := s.ms.AbortJob(s.ta.Ctx, &types.MsgAbortJob{Provider: prov.String(), JobId: id, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE})
		must(t, err)
	})
	if want := n * per; gas != want {
		t.Errorf("abort paid %d gas for its %d validators' verdicts, want %d", gas, n, want)
	}
}

// verdictMeter is a gas meter that also sums what is consumed for verdicts
// (the descriptors chargeVerdicts uses).
type verdictMeter struct {
	storetypes.GasMeter
	verdicts uint64
}

func (m *verdictMeter) ConsumeGas(amount storetypes.Gas, descriptor string) {
	if strings.Contains(descriptor, "verdicts") {
		m.verdicts += amount
	}
	m.GasMeter.ConsumeGas(amount, descriptor)
}

// verdictGas runs f under a fresh meter and returns the gas it paid for
// verdicts.
func (s *suite) verdictGas(f func()) uint64 {
	ctx := s.ta.Ctx
	m := &verdictMeter{GasMeter: storetypes.NewGasMeter(1 << 62)}
	s.ta.Ctx = ctx.WithGasMeter(m)
	f()
	s.ta.Ctx = ctx
	return m.verdicts
}

// TestBeaconActiveReadDoesNotGrowWithTheSet: whether a submission's draw
// waits for the beacon is read from the last round's small record
// (LastRound), not from the round's voter list: a result submitted after a
// round of 100 validators uses the gas of one submitted after a round of 1
// (the voter list read and decoded, 100 × ~30 bytes, cost the submission
// gas and time for each validator of the set).
func TestBeaconActiveReadDoesNotGrowWithTheSet(t *testing.T) {
	gas := map[int]uint64{}
	for _, n := range []int{1, 100} {
		s := newSuite(t)
		if s.params().BeaconWindowBlocks == 0 {
			t.Fatal("the beacon is off in the test params")
		}
		req, prov := s.acc(0), s.acc(1)
		s.register(prov, verifyBond)
		id := s.create(req, verifyPrice)
		s.win(prov, id, verifyPrice)
		must(t, s.k.RecordBeacon(s.ta.Ctx, setOf(n), nil)) // this block opens the round of the last
		if _, err := s.k.BeaconRounds.Get(s.ta.Ctx, s.height()-1); err != nil {
			t.Fatalf("no round of height %d: %v", s.height()-1, err)
		}
		gas[n] = s.msgGas(func() {
			_, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 4})
			must(t, err)
		})
	}
	if gas[100] != gas[1] {
		t.Errorf("a submission after a round of 100 validators used %d gas, after a round of 1 %d", gas[100], gas[1])
	}
}

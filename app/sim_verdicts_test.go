package app

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/ve"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Simulated verdicts. The simulator runs no vote extensions, so without help
// every sampled job would only settle as inconclusive at its verification
// deadline. Before the modules' end-blockers of every block, the simulated
// validators therefore vote on the jobs under verification through the entry
// point the PreBlocker uses (x/compute's ApplyVerdicts, with the same
// ValidatorVerdicts and total power), as if their sidecars had checked them:
//   - whether a job's result is honest follows from its id alone (about one in
//     seven is a cheat), so every validator that votes on it agrees;
//   - each bonded validator is absent (votes nothing this block) with a
//     probability of one in four, drawn from (height, job, validator);
//   - on a cheat, a present validator votes INVALID, or UNAVAILABLE one time
//     in four; on an honest result VALID, but one vote in twenty is a wrong
//     INVALID (a faulty sidecar), so that tallies mix.
//
//   - one validator in three writes its extension in a newer format (version
//     2, an unknown field) in which one verdict in four is of a kind this
//     binary does not know, as during a rolling upgrade that adds a kind:
//     every extension goes through the vote-extension codec
//     (ve.DecodeExtension, then ve.KnownVerdicts, as the PreBlocker does), so
//     the unknown kinds are dropped and counted.
//
// Every draw is a hash of the height, job id and validator index, so two runs
// of a seed apply the same verdicts (TestAppStateDeterminism).

// simVerdicts counts the outcomes the simulated verdicts reached.
type simVerdicts struct {
	mu       sync.Mutex
	seen     map[uint64]bool // jobs that were under verification
	applied  atomic.Int64    // blocks in which verdicts were applied
	verified atomic.Int64    // jobs settled by a VALID quorum
	fraud    atomic.Int64    // jobs failed as fraud (slashed, provider jailed)
	unknown  atomic.Int64    // verdicts of unknown kinds the codec dropped
}

// simUnknownKind is a verdict kind this binary does not define.
const simUnknownKind = computetypes.Verdict(99)

// throughCodec encodes validator val's verdicts as its vote extension (in
// the newer format for one validator in three) and returns what the
// PreBlocker would tally from it: the known verdicts.
func (s *simVerdicts) throughCodec(height int64, val int, verdicts []computetypes.JobVerdict) ([]computetypes.JobVerdict, error) {
	ext := computetypes.VoteExtension{}
	newer := verdictDraw("format", height, 0, val, 3) == 0
	if newer {
		ext.Version = 2
	}
	for _, v := range verdicts {
		if newer && verdictDraw("kind", height, v.JobId, val, 4) == 0 {
			v.Verdict = simUnknownKind
		}
		ext.Verdicts = append(ext.Verdicts, &computetypes.JobVerdict{JobId: v.JobId, Verdict: v.Verdict})
	}
	bz, err := ext.Marshal()
	if err != nil {
		return nil, err
	}
	if newer {
		bz = append(bz, 15<<3, 0x01) // a field this binary does not know
	}
	decoded, err := ve.DecodeExtension(bz)
	if err != nil {
		return nil, fmt.Errorf("validator %d's extension at height %d: %w", val, height, err)
	}
	known := ve.KnownVerdicts(decoded)
	s.unknown.Add(int64(len(decoded) - len(known)))
	return known, nil
}

// verdictDraw returns a deterministic pseudo-random number in [0, n) for the
// given purpose, height, job and validator index.
func verdictDraw(purpose string, height int64, jobID uint64, val int, n uint64) uint64 {
	h := sha256.New()
	var buf [24]byte
	binary.BigEndian.PutUint64(buf[0:8], uint64(height))
	binary.BigEndian.PutUint64(buf[8:16], jobID)
	binary.BigEndian.PutUint64(buf[16:24], uint64(val))
	h.Write([]byte("aichain/sim/verdict/" + purpose))
	h.Write(buf[:])
	return binary.BigEndian.Uint64(h.Sum(nil)[:8]) % n
}

// simJobIsCheat reports whether the simulated provider of a job cheated.
func simJobIsCheat(jobID uint64) bool { return verdictDraw("cheat", 0, jobID, 0, 7) == 0 }

// simVerdict is validator val's verdict on a job at a height; ok is false
// when the validator is absent.
func simVerdict(height int64, jobID uint64, val int) (computetypes.Verdict, bool) {
	if verdictDraw("absent", height, jobID, val, 4) == 0 {
		return computetypes.Verdict_VERDICT_UNSPECIFIED, false
	}
	if simJobIsCheat(jobID) {
		if verdictDraw("unavailable", height, jobID, val, 4) == 0 {
			return computetypes.Verdict_VERDICT_UNAVAILABLE, true
		}
		return computetypes.Verdict_VERDICT_INVALID, true
	}
	if verdictDraw("faulty", height, jobID, val, 20) == 0 {
		return computetypes.Verdict_VERDICT_INVALID, true
	}
	return computetypes.Verdict_VERDICT_VALID, true
}

// verifyingJobs returns the ids of the jobs under verification, read from
// x/compute's by-state index (no scan of the jobs).
func verifyingJobs(ctx sdk.Context, app *App) ([]uint64, error) {
	it, err := app.ComputeKeeper.Jobs.Indexes.State.MatchExact(ctx, int32(computetypes.JobState_JOB_STATE_VERIFYING))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var ids []uint64
	for ; it.Valid(); it.Next() {
		id, err := it.PrimaryKey()
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// apply has the bonded validators vote on every job under verification and
// counts the jobs that reached an outcome. Like the PreBlocker, it applies
// the verdicts in a cache context written only on success.
func (s *simVerdicts) apply(ctx sdk.Context, app *App) error {
	ids, err := verifyingJobs(ctx, app)
	if err != nil || len(ids) == 0 {
		return err
	}
	s.mu.Lock()
	if s.seen == nil {
		s.seen = map[uint64]bool{}
	}
	for _, id := range ids {
		s.seen[id] = true
	}
	s.mu.Unlock()
	vals, err := app.StakingKeeper.GetBondedValidatorsByPower(ctx)
	if err != nil {
		return err
	}
	reduction := app.StakingKeeper.PowerReduction(ctx)
	var total int64
	votes := make([]computetypes.ValidatorVerdicts, 0, len(vals))
	for i, v := range vals {
		power := v.GetConsensusPower(reduction)
		if power <= 0 {
			continue
		}
		total += power
		cons, err := v.GetConsAddr()
		if err != nil {
			return err
		}
		vv := computetypes.ValidatorVerdicts{ConsAddress: cons, Power: power}
		for _, id := range ids {
			if verdict, ok := simVerdict(ctx.BlockHeight(), id, i); ok {
				vv.Verdicts = append(vv.Verdicts, computetypes.JobVerdict{JobId: id, Verdict: verdict})
			}
		}
		if len(vv.Verdicts) == 0 {
			continue
		}
		if vv.Verdicts, err = s.throughCodec(ctx.BlockHeight(), i, vv.Verdicts); err != nil {
			return err
		}
		if len(vv.Verdicts) > 0 {
			votes = append(votes, vv)
		}
	}
	if len(votes) == 0 {
		return nil
	}
	cache, write := ctx.CacheContext()
	if err := app.ComputeKeeper.ApplyVerdicts(cache, total, votes); err != nil {
		return fmt.Errorf("apply verdicts: %w", err)
	}
	write()
	s.applied.Add(1)
	for _, id := range ids {
		j, err := app.ComputeKeeper.GetJob(ctx, id)
		if err != nil {
			return err
		}
		switch j.State {
		case computetypes.JobState_JOB_STATE_SETTLED:
			s.verified.Add(1)
		case computetypes.JobState_JOB_STATE_FAILED:
			s.fraud.Add(1)
		}
	}
	return nil
}

// checkUnknownKinds fails a run with many jobs under verification in which
// no verdict of an unknown kind went through the codec.
func (s *simVerdicts) checkUnknownKinds(tb testing.TB, seen int) {
	if s.unknown.Load() == 0 && seen >= minVerifyingForBoth {
		tb.Fatalf("%d jobs under verification, but no verdict of an unknown kind went through the codec", seen)
	}
}

// seenJobs returns how many distinct jobs were under verification.
func (s *simVerdicts) seenJobs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// TestSimVerdictsAreDeterministicAndMixed: the simulated verdicts depend only
// on (height, job, validator), a job's cheat flag only on the job, and over
// many draws every kind of vote and absences occur in about the intended
// proportions.
func TestSimVerdictsAreDeterministicAndMixed(t *testing.T) {
	counts := map[computetypes.Verdict]int{}
	absent, cheats := 0, 0
	const jobs, vals = 700, 10
	for job := uint64(1); job <= jobs; job++ {
		if simJobIsCheat(job) {
			cheats++
		}
		for val := 0; val < vals; val++ {
			v, ok := simVerdict(42, job, val)
			v2, ok2 := simVerdict(42, job, val)
			if v != v2 || ok != ok2 {
				t.Fatalf("job %d validator %d: two draws differ", job, val)
			}
			if !ok {
				absent++
				continue
			}
			if simJobIsCheat(job) && v == computetypes.Verdict_VERDICT_VALID {
				t.Fatalf("job %d cheats but validator %d votes VALID", job, val)
			}
			counts[v]++
		}
	}
	if cheats < jobs/14 || cheats > jobs/4 {
		t.Fatalf("%d cheats in %d jobs, want about 1/7", cheats, jobs)
	}
	if absent < jobs*vals/8 || absent > jobs*vals/2 {
		t.Fatalf("%d absences in %d draws, want about 1/4", absent, jobs*vals)
	}
	for _, v := range []computetypes.Verdict{computetypes.Verdict_VERDICT_VALID, computetypes.Verdict_VERDICT_INVALID, computetypes.Verdict_VERDICT_UNAVAILABLE} {
		if counts[v] == 0 {
			t.Fatalf("no %s vote in %v", v, counts)
		}
	}
	same := 0
	for job := uint64(1); job <= jobs; job++ {
		_, a := simVerdict(1, job, 0)
		_, b := simVerdict(2, job, 0)
		if a == b {
			same++
		}
	}
	if same == jobs {
		t.Fatal("absences do not depend on the height")
	}
}

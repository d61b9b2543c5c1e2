package types

import (
	"fmt"
	stdmath "math"
	"math/bits"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

// MaxAssuranceSamples bounds the chunks a job's assurance may buy (samples,
// or the chunk count of a full job): the sampled indices are stored on the
// job and listed in every PendingVerifications page (200 entries of at most
// this many indices stay well under gRPC's 4 MiB message limit), and the
// sampling draw of at most this many distinct indices is a few thousand
// hashes in the block after submission.
const MaxAssuranceSamples = 2048

// Validate checks an assurance without state: samples and full are
// exclusive (full checks every chunk: set one or the other), and samples is
// at most MaxAssuranceSamples. A nil assurance buys none.
func (a *Assurance) Validate() error {
	if a == nil {
		return nil
	}
	if a.Full && a.Samples != 0 {
		return ErrInvalidAssurance.Wrapf("full and samples %d both set: full checks every chunk; set one", a.Samples)
	}
	if a.Samples > MaxAssuranceSamples {
		return ErrInvalidAssurance.Wrapf("samples %d exceed %d", a.Samples, MaxAssuranceSamples)
	}
	return nil
}

// Bought reports whether the assurance buys verification.
func (a Assurance) Bought() bool { return a.Full || a.Samples > 0 }

// AssuranceTerms is what a job's assurance buys and costs.
type AssuranceTerms struct {
	// Samples is the number of chunks every result is checked on (0: none bought).
	Samples uint64
	// Fee is verification_fee_per_sample × Samples (empty when nothing is bought or the fee is zero).
	Fee sdk.Coins
	// DetectionBps is Samples × 10000 / chunks, rounded down (10000 for full).
	DetectionBps uint32
}

// AdmitAssurance checks a new job's assurance against the params and its
// shape (chunks chunks of chunkRows rows), and returns what it buys and
// costs. Samples must be at least samples_per_job (the floor) and at most
// the chunk count (more is full); full buys every chunk. Either way at most
// MaxAssuranceSamples chunks, and the work every validator's sidecar does
// stays within the chain's limits over one verification window:
//   - bytes: samples × the chunk response size ≤ max_chunk_bytes ×
//     verification_blocks (one largest chunk per block of the window);
//   - work, when the chain knows it (mul_adds): the sampled share of the
//     job's multiply-adds ≤ max_work_per_exec_block × verification_blocks
//     (the pace admission holds the provider to).
func (p Params) AdmitAssurance(a Assurance, s WorkloadShape, chunkRows, chunks uint64) (AssuranceTerms, error) {
	if err := a.Validate(); err != nil {
		return AssuranceTerms{Fee: sdk.NewCoins()}, err
	}
	if !a.Bought() {
		// Unbought, the job is still checked on samples_per_job chunks
		// whenever it is sampled (keeper samplesFor): that work must fit
		// too (TestAttackMLPJobWithoutAssuranceSkipsTheVerificationBudget).
		if n := min(uint64(p.SamplesPerJob), chunks); n > 0 {
			if err := p.admitVerificationWork(s, chunkRows, chunks, n); err != nil {
				return AssuranceTerms{}, err
			}
		}
		return AssuranceTerms{Fee: sdk.NewCoins()}, nil
	}
	samples := uint64(a.Samples)
	if a.Full {
		samples = chunks
	} else if a.Samples < p.SamplesPerJob {
		return AssuranceTerms{}, ErrInvalidAssurance.Wrapf("samples %d below samples_per_job %d", a.Samples, p.SamplesPerJob)
	} else if samples > chunks {
		return AssuranceTerms{}, ErrInvalidAssurance.Wrapf("samples %d exceed the job's %d chunks: buy full", a.Samples, chunks)
	}
	if samples == 0 || samples > MaxAssuranceSamples {
		return AssuranceTerms{}, ErrInvalidAssurance.Wrapf("%d chunks: assurance buys 1 to %d", samples, MaxAssuranceSamples)
	}
	if err := p.admitVerificationWork(s, chunkRows, chunks, samples); err != nil {
		return AssuranceTerms{}, err
	}
	fee := sdk.NewCoins(sdk.NewCoin(p.VerificationFeePerSample.Denom, p.VerificationFeePerSample.Amount.Mul(math.NewIntFromUint64(samples))))
	return AssuranceTerms{Samples: samples, Fee: fee, DetectionBps: uint32(samples * common.BasisPoints / chunks)}, nil
}

// admitVerificationWork bounds what checking samples of chunks chunks costs
// each validator's sidecar (AdmitAssurance).
func (p Params) admitVerificationWork(s WorkloadShape, chunkRows, chunks, samples uint64) error {
	size, ok := s.ChunkBytes(chunkRows)
	total, ok2 := mul(size, samples)
	budget, ok3 := mul(p.MaxChunkBytes, p.VerificationBlocks)
	if !ok || !ok2 || (ok3 && total > budget) {
		return ErrInvalidAssurance.Wrapf("%d chunks of %d bytes exceed max_chunk_bytes %d × verification_blocks %d",
			samples, size, p.MaxChunkBytes, p.VerificationBlocks)
	}
	if work, over := p.checkedWork(s.MulAdds, chunks, samples); over {
		return ErrInvalidAssurance.Wrapf("checking %d of %d chunks is %d multiply-adds, more than max_work_per_exec_block %d × verification_blocks %d",
			samples, chunks, work, p.MaxWorkPerExecBlock, p.VerificationBlocks)
	}
	return nil
}

// checkedWork is what checking samples of a job's chunks chunks costs each
// validator's sidecar, ceil(mul_adds × samples / chunks), and whether it is
// over the verification budget, max_work_per_exec_block ×
// verification_blocks (an overflow is over; a job whose work the chain does
// not know, mul_adds 0, never is).
func (p Params) checkedWork(mulAdds, chunks, samples uint64) (uint64, bool) {
	if mulAdds == 0 || chunks == 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(mulAdds, samples)
	if hi >= chunks {
		return stdmath.MaxUint64, true
	}
	work, rem := bits.Div64(hi, lo, chunks)
	if rem > 0 {
		work++
	}
	budget, ok := mul(p.MaxWorkPerExecBlock, p.VerificationBlocks)
	return work, ok && work > budget
}

// AdmitDispute bounds a dispute's verification: the chunks it checks, at
// most the job's sampled ones (samples) and the requester's (requested),
// must be work one verification window can check, as a job's sampled
// chunks are at its creation: a requester naming chunks no sidecar can
// recompute in time would end the job inconclusive, its escrow and fee
// back and the result kept (TestAttackDisputeMakesAnMLPVerificationUndoable).
//
// A job's work is 0 only when it is unknown: an mlp-f32 job created before
// its model recorded layer widths (every kind records positive work now).
// No chunk it names can be bounded, so a dispute of such a job checks only
// its sampled chunks (TestAttackPreUpgradeMLPJobDisputesEveryChunk: 16
// named chunks were 1.7 × both windows' budget, and the job ended
// inconclusive, its escrow and fee back and the result kept).
func (p Params) AdmitDispute(mulAdds, chunks, samples, requested uint64) error {
	if mulAdds == 0 && requested > 0 {
		return ErrDisputeTooLarge.Wrapf("the job's work is unknown (its model recorded no layer widths when it was created): a dispute checks only its %d sampled chunks: name none", samples)
	}
	checked := min(samples+requested, chunks)
	if work, over := p.checkedWork(mulAdds, chunks, checked); over {
		return ErrDisputeTooLarge.Wrapf("checking up to %d of %d chunks is %d multiply-adds, more than max_work_per_exec_block %d × verification_blocks %d: name fewer chunks",
			checked, chunks, work, p.MaxWorkPerExecBlock, p.VerificationBlocks)
	}
	return nil
}

// validAssurance checks a job's assurance record (genesis): a valid
// assurance, at most MaxAssuranceSamples bought, and a verification fee
// (and the part of it paid) that are valid coins within the escrow.
func validAssurance(j Job) error {
	if err := j.Assurance.Validate(); err != nil {
		return err
	}
	if j.SamplesBought > MaxAssuranceSamples || j.DetectionBps > common.BasisPoints {
		return fmt.Errorf("samples_bought %d or detection_bps %d out of range", j.SamplesBought, j.DetectionBps)
	}
	for name, c := range map[string]sdk.Coins{"verification_fee": j.VerificationFee, "verification_fee_paid": j.VerificationFeePaid} {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	counted := make(map[string]bool, len(j.CountedVerdicts))
	for _, cv := range j.CountedVerdicts {
		if len(cv.Validator) == 0 || cv.Power <= 0 {
			return fmt.Errorf("counted verdict of %X with power %d", cv.Validator, cv.Power)
		}
		if counted[string(cv.Validator)] {
			return fmt.Errorf("validator %X counted twice: it would be paid twice", cv.Validator)
		}
		counted[string(cv.Validator)] = true
	}
	if !j.VerificationFeePaid.IsAllLTE(j.VerificationFee) {
		return fmt.Errorf("verification_fee_paid %s exceeds verification_fee %s", j.VerificationFeePaid, j.VerificationFee)
	}
	if !j.State.IsTerminal() && !j.VerificationFee.IsAllLTE(j.Escrow) {
		return fmt.Errorf("verification_fee %s exceeds escrow %s", j.VerificationFee, j.Escrow)
	}
	return nil
}

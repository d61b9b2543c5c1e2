package types

import (
	"fmt"

	"github.com/aichain/aichain/types/common"
)

// NewJobParamTerms records the params a job created under p depends on for
// the rest of its life, with the dataset market's and the model registry's
// fee cuts in force (marketFeeBps, platformFeeBps): the job keeps them
// whatever governance votes while it runs, as it keeps its protocol_fee_bps
// (TestAttackParamsCompensationCutUnderRunningJob and the other
// TestAttackParams* tests).
func NewJobParamTerms(p Params, marketFeeBps, platformFeeBps uint32) *JobParamTerms {
	return &JobParamTerms{
		CollateralRatioBps:       p.CollateralRatioBps,
		SampleRateFloorBps:       p.SampleRateFloorBps,
		SamplesPerJob:            p.SamplesPerJob,
		ChallengeBlocks:          p.ChallengeBlocks,
		VerificationBlocks:       p.VerificationBlocks,
		SlashFractionFraud:       p.SlashFractionFraud,
		SlashFractionTimeout:     p.SlashFractionTimeout,
		RequesterCompensationBps: p.RequesterCompensationBps,
		MaxChunkBytes:            p.MaxChunkBytes,
		MaxWorkPerExecBlock:      p.MaxWorkPerExecBlock,
		UnavailableSpanBlocks:    p.UnavailableSpanBlocks,
		MaxDisputeChunks:         p.MaxDisputeChunks,
		MarketFeeBps:             marketFeeBps,
		PlatformFeeBps:           platformFeeBps,
	}
}

// Under returns p with t's values in place of the params of the same name:
// the params a job with terms t is handled under. The params its terms do
// not name (jail_blocks, queue sizes, fees of new actions) are p's. Nil
// terms (a job imported without them) leave p as it is.
func (t *JobParamTerms) Under(p Params) Params {
	if t == nil {
		return p
	}
	p.CollateralRatioBps = t.CollateralRatioBps
	p.SampleRateFloorBps = t.SampleRateFloorBps
	p.SamplesPerJob = t.SamplesPerJob
	p.ChallengeBlocks = t.ChallengeBlocks
	p.VerificationBlocks = t.VerificationBlocks
	p.SlashFractionFraud = t.SlashFractionFraud
	p.SlashFractionTimeout = t.SlashFractionTimeout
	p.RequesterCompensationBps = t.RequesterCompensationBps
	p.MaxChunkBytes = t.MaxChunkBytes
	p.MaxWorkPerExecBlock = t.MaxWorkPerExecBlock
	p.UnavailableSpanBlocks = t.UnavailableSpanBlocks
	p.MaxDisputeChunks = t.MaxDisputeChunks
	return p
}

// Validate checks terms as Params.Validate checks the params they were
// taken from (genesis): fractions of at most 100%, a collateral ratio of at
// most MaxCollateralRatio, and positive windows and limits, which a job's
// draw, dispute and check divide by or wait on.
func (t *JobParamTerms) Validate() error {
	if t == nil {
		return nil
	}
	if t.CollateralRatioBps > MaxCollateralRatio {
		return fmt.Errorf("terms: collateral_ratio_bps %d exceeds %d", t.CollateralRatioBps, MaxCollateralRatio)
	}
	for _, f := range []struct {
		name string
		bps  uint32
	}{
		{"sample_rate_floor_bps", t.SampleRateFloorBps}, {"slash_fraction_fraud", t.SlashFractionFraud},
		{"slash_fraction_timeout", t.SlashFractionTimeout}, {"requester_compensation_bps", t.RequesterCompensationBps},
		{"market_fee_bps", t.MarketFeeBps}, {"platform_fee_bps", t.PlatformFeeBps},
	} {
		if f.bps > common.BasisPoints {
			return fmt.Errorf("terms: %s %d exceeds %d", f.name, f.bps, common.BasisPoints)
		}
	}
	if t.SamplesPerJob == 0 || t.SamplesPerJob > MaxSamplesPerJob || t.MaxDisputeChunks == 0 ||
		t.ChallengeBlocks == 0 || t.VerificationBlocks == 0 || t.MaxChunkBytes == 0 || t.MaxWorkPerExecBlock == 0 {
		return fmt.Errorf("terms: samples_per_job (at most %d), max_dispute_chunks, challenge_blocks, verification_blocks, "+
			"max_chunk_bytes and max_work_per_exec_block must be positive: %v", MaxSamplesPerJob, t)
	}
	return nil
}

package types

import (
	"fmt"
)

// NewJobParamTerms records the params a job created under p depends on for
// the rest of its life, with the dataset market's and the model registry's
// fee cuts in force (marketFeeBps, platformFeeBps): the job keeps them
// whatever governance votes while it runs, as it keeps its protocol_fee_bps
// (TestAttackParamsCompensationCutUnderRunningJob and the other
// TestAttackParams* tests).
func NewJobParamTerms(p Params, marketFeeBps, platformFeeBps uint32) *JobParamTerms {
	return &JobParamTerms{
		CollateralRatioBps:          p.CollateralRatioBps,
		SampleRateFloorBps:          p.SampleRateFloorBps,
		SamplesPerJob:               p.SamplesPerJob,
		ChallengeBlocks:             p.ChallengeBlocks,
		VerificationBlocks:          p.VerificationBlocks,
		SlashFractionFraud:          p.SlashFractionFraud,
		SlashFractionTimeout:        p.SlashFractionTimeout,
		RequesterCompensationBps:    p.RequesterCompensationBps,
		MaxChunkBytes:               p.MaxChunkBytes,
		MaxWorkPerExecBlock:         p.MaxWorkPerExecBlock,
		UnavailableSpanBlocks:       p.UnavailableSpanBlocks,
		MaxDisputeChunks:            p.MaxDisputeChunks,
		MarketFeeBps:                marketFeeBps,
		PlatformFeeBps:              platformFeeBps,
		BidDeposit:                  p.BidDeposit,
		DisputeFee:                  p.DisputeFee,
		JailBlocks:                  p.JailBlocks,
		RecentSlashWindowMultiplier: p.RecentSlashWindowMultiplier,
		TimeoutJailThreshold:        p.TimeoutJailThreshold,
	}
}

// Under returns p with t's values in place of the params of the same name:
// the params a job with terms t is handled under. The params its terms do
// not name (queue sizes, windows of new auctions, fees of new jobs) are
// p's, and so is timeout_jail_threshold on terms written before it was a
// term (0, which no params hold: a chain already at ConsensusVersion 10,
// until InitGenesis fills it). Nil terms (a job imported without them)
// leave p as it is.
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
	p.BidDeposit = t.BidDeposit
	p.DisputeFee = t.DisputeFee
	p.JailBlocks = t.JailBlocks
	p.RecentSlashWindowMultiplier = t.RecentSlashWindowMultiplier
	if t.TimeoutJailThreshold != 0 {
		p.TimeoutJailThreshold = t.TimeoutJailThreshold
	}
	return p
}

// Validate checks terms as Params.Validate checks the params they were
// taken from, with the same bounds: a term out of them is one no params
// could have given the job, and a window past MaxWindowBlocksLimit
// overflows the deadline computed from it (a challenge_blocks of 2^63 put
// challenge_end in the past: the result settled with no challenge window,
// TestAttackGenesisTermsChallengeWindowOverflows). The checks are the
// params' own, run on p (the genesis params) under t, so that the two
// cannot drift apart (the terms' bid_deposit, for one, must be in the
// genesis bond denom, as the params' is; a timeout_jail_threshold of 0,
// from terms written before it was a term, is checked as p's, which
// InitGenesis gives the job).
func (t *JobParamTerms) Validate(p Params) error {
	if t == nil {
		return nil
	}
	for _, f := range []struct {
		name string
		bps  uint32
	}{{"market_fee_bps", t.MarketFeeBps}, {"platform_fee_bps", t.PlatformFeeBps}} {
		if err := validBps(f.name, f.bps); err != nil {
			return fmt.Errorf("terms: %w", err)
		}
	}
	under := t.Under(p)
	// verdict_grace_blocks is the params' in force, not a term: a raise
	// after the job was created may exceed its verification window, which
	// the params alone may not, and is harmless there (a grace past the
	// window leaves the window's end as it is: awaitGrace).
	under.VerdictGraceBlocks = 0
	if err := under.validate(); err != nil {
		return fmt.Errorf("terms: %w", err)
	}
	return nil
}

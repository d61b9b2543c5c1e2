package types_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestJobParamTerms: terms taken from valid params are valid and give those
// params back under any later params (and the later params' others); nil terms leave the params as they
// are; terms out of range are refused (a genesis job's).
func TestJobParamTerms(t *testing.T) {
	at := types.DefaultParams()
	terms := types.NewJobParamTerms(at, 250, 500)
	if err := terms.Validate(at); err != nil {
		t.Fatalf("terms of the default params: %v", err)
	}
	later := at
	later.RequesterCompensationBps, later.MaxChunkBytes, later.SampleRateFloorBps = 0, types.MinChunkBytesLimit, 0
	later.JailBlocks++
	later.TimeoutJailThreshold = 1
	later.CloseBatchSize++
	got := terms.Under(later)
	if got.RequesterCompensationBps != at.RequesterCompensationBps || got.MaxChunkBytes != at.MaxChunkBytes ||
		got.SampleRateFloorBps != at.SampleRateFloorBps || got.JailBlocks != at.JailBlocks ||
		got.TimeoutJailThreshold != at.TimeoutJailThreshold || got.CloseBatchSize != later.CloseBatchSize {
		t.Fatalf("terms under later params: %+v", got)
	}
	// Terms written before timeout_jail_threshold was a term (0) read the
	// params' in force, and are valid.
	unset := *terms
	unset.TimeoutJailThreshold = 0
	if got := unset.Under(later); got.TimeoutJailThreshold != later.TimeoutJailThreshold || unset.Validate(at) != nil {
		t.Fatalf("terms without timeout_jail_threshold under later params: %d", got.TimeoutJailThreshold)
	}
	var none *types.JobParamTerms
	if got := none.Under(later); got.MaxChunkBytes != later.MaxChunkBytes || none.Validate(at) != nil {
		t.Fatalf("nil terms: %+v", got)
	}
	for name, bad := range map[string]func(*types.JobParamTerms){
		"market fee over 100%":            func(t *types.JobParamTerms) { t.MarketFeeBps = 10_001 },
		"compensation over 100%":          func(t *types.JobParamTerms) { t.RequesterCompensationBps = 10_001 },
		"no verification window":          func(t *types.JobParamTerms) { t.VerificationBlocks = 0 },
		"no chunk bound":                  func(t *types.JobParamTerms) { t.MaxChunkBytes = 0 },
		"collateral over the cap":         func(t *types.JobParamTerms) { t.CollateralRatioBps = types.MaxCollateralRatio + 1 },
		"challenge window past the limit": func(t *types.JobParamTerms) { t.ChallengeBlocks = types.MaxWindowBlocksLimit + 1 },
		"no bid deposit": func(t *types.JobParamTerms) {
			t.BidDeposit.Amount = t.BidDeposit.Amount.SubRaw(t.BidDeposit.Amount.Int64())
		},
		"bid deposit off the bond denom": func(t *types.JobParamTerms) { t.BidDeposit.Denom = "uother" },
		"timeout jail threshold past the limit": func(t *types.JobParamTerms) {
			t.TimeoutJailThreshold = types.MaxTimeoutJailLimit + 1
		},
	} {
		c := *terms
		bad(&c)
		if err := c.Validate(at); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

package types_test

import (
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAdmitAssurance: what an assurance buys and costs, and what is refused.
func TestAdmitAssurance(t *testing.T) {
	p := types.DefaultParams() // samples_per_job 4, 10000uaic per sample
	shape := types.WorkloadShape{Rows: 64, Cols: 32, MulAdds: 64 * 32 * 16}
	for _, c := range []struct {
		name      string
		a         types.Assurance
		chunks    uint64
		samples   uint64
		fee       int64
		detection uint32
		err       error
	}{
		{"none", types.Assurance{}, 16, 0, 0, 0, nil},
		{"floor", types.Assurance{Samples: 4}, 16, 4, 40_000, 2_500, nil},
		{"rounded down", types.Assurance{Samples: 5}, 12, 5, 50_000, 4_166, nil},
		{"full", types.Assurance{Full: true}, 16, 16, 160_000, 10_000, nil},
		{"all chunks by count", types.Assurance{Samples: 16}, 16, 16, 160_000, 10_000, nil},
		{"below the floor", types.Assurance{Samples: 3}, 16, 0, 0, 0, types.ErrInvalidAssurance},
		{"more than the chunks", types.Assurance{Samples: 17}, 16, 0, 0, 0, types.ErrInvalidAssurance},
		{"full and samples", types.Assurance{Samples: 4, Full: true}, 16, 0, 0, 0, types.ErrInvalidAssurance},
		{"full beyond the bound", types.Assurance{Full: true}, types.MaxAssuranceSamples + 1, 0, 0, 0, types.ErrInvalidAssurance},
	} {
		got, err := p.AdmitAssurance(c.a, shape, 4, c.chunks)
		if !errors.Is(err, c.err) {
			t.Fatalf("%s: error %v, want %v", c.name, err, c.err)
		}
		if err != nil {
			continue
		}
		wantFee := sdk.NewCoins(sdk.NewInt64Coin(types.DefaultBondDenom, c.fee))
		if got.Samples != c.samples || !got.Fee.Equal(wantFee) || got.DetectionBps != c.detection {
			t.Fatalf("%s: bought %d samples for %s, detection %d bps; want %d for %s, %d bps",
				c.name, got.Samples, got.Fee, got.DetectionBps, c.samples, wantFee, c.detection)
		}
	}
}

// TestAssuranceParamValidated: verification_fee_per_sample must be a valid
// coin in the bond denom (zero allowed).
func TestAssuranceParamValidated(t *testing.T) {
	p := types.DefaultParams()
	p.VerificationFeePerSample = sdk.NewInt64Coin("ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2", 5)
	if err := p.Validate(); !errors.Is(err, types.ErrInvalidParams) {
		t.Fatalf("a fee in another denom: %v", err)
	}
	p.VerificationFeePerSample = sdk.Coin{}
	if err := p.Validate(); !errors.Is(err, types.ErrInvalidParams) {
		t.Fatalf("an unset fee: %v", err)
	}
	p.VerificationFeePerSample = sdk.NewInt64Coin(types.DefaultBondDenom, 0)
	if err := p.Validate(); err != nil {
		t.Fatalf("a zero fee: %v", err)
	}
}

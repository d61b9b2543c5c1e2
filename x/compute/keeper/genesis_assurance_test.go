package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestGenesisKeepsAssurance: an assured job under verification, with a
// counted verdict, exports and imports with its assurance, fee, detection
// probability and counted verdicts; the imported chain pays the fee when the
// verification is decided.
func TestGenesisKeepsAssurance(t *testing.T) {
	s, _ := assuranceSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.assuredJob(req, prov, types.Assurance{Samples: 4})
	s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 10)
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	must(t, gs.Validate())
	fresh := newSuite(t)
	must(t, fresh.k.InitGenesis(fresh.ta.Ctx, gs))
	again, err := fresh.k.ExportGenesis(fresh.ta.Ctx)
	must(t, err)
	if gs.String() != again.String() {
		t.Fatalf("genesis differs after import:\n%s\n%s", gs, again)
	}
	j := fresh.job(id)
	counted := fresh.counted(id)
	if j.Assurance.Samples != 4 || j.SamplesBought != 4 || j.DetectionBps != 10_000 ||
		!j.VerificationFee.Equal(sdk.NewCoins(coin(400))) || len(counted) != 1 || counted[0].Power != 10 {
		t.Fatalf("imported job lost its assurance: %+v, counted %+v", j, counted)
	}
	if len(j.CountedVerdicts) != 0 {
		t.Fatalf("imported job under check keeps %d counted verdicts in its record, want them in Counted", len(j.CountedVerdicts))
	}
	// A job whose fee exceeds its escrow is refused.
	j.VerificationFee = sdk.NewCoins(coin(1_000_000))
	bad := *gs
	bad.Jobs = append([]types.Job{}, gs.Jobs...)
	for i := range bad.Jobs {
		if bad.Jobs[i].Id == id {
			bad.Jobs[i] = j
		}
	}
	wantErr(t, bad.Validate(), types.ErrInvalidGenesis)
	// A validator counted twice (it would be paid twice) is refused.
	twice := *gs
	twice.Jobs = append([]types.Job{}, gs.Jobs...)
	for i := range twice.Jobs {
		if twice.Jobs[i].Id == id {
			cv := twice.Jobs[i].CountedVerdicts[0]
			twice.Jobs[i].CountedVerdicts = []types.CountedVerdict{cv, cv}
		}
	}
	wantErr(t, twice.Validate(), types.ErrInvalidGenesis)
}

// TestGenesisKeepsFeesBurned: the stats' verification_fees_burned survives an
// export and import; a genesis whose stats hold invalid coins is refused.
func TestGenesisKeepsFeesBurned(t *testing.T) {
	s, _ := assuranceSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.assuredJob(req, prov, types.Assurance{Full: true})
	s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 10, 10) // 10 of 30 unpaid: 134 burned
	s.graceOver(id)                                        // the quorum's grace
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	if !gs.Stats.VerificationFeesBurned.Equal(sdk.NewCoins(coin(134))) {
		t.Fatalf("exported verification_fees_burned %s, want 134", gs.Stats.VerificationFeesBurned)
	}
	fresh := newSuite(t)
	must(t, fresh.k.InitGenesis(fresh.ta.Ctx, gs))
	if got := fresh.feesBurned(); !got.Equal(math.NewInt(134)) {
		t.Fatalf("imported verification_fees_burned %s, want 134", got)
	}
	bad := *gs
	bad.Stats.VerificationFeesBurned = sdk.Coins{sdk.Coin{Denom: denom, Amount: math.NewInt(-1)}}
	wantErr(t, bad.Validate(), types.ErrInvalidGenesis)
}

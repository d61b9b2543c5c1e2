package keeper_test

import (
	"testing"

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
	if j.Assurance.Samples != 4 || j.SamplesBought != 4 || j.DetectionBps != 10_000 ||
		!j.VerificationFee.Equal(sdk.NewCoins(coin(400))) || len(j.CountedVerdicts) != 1 || j.CountedVerdicts[0].Power != 10 {
		t.Fatalf("imported job lost its assurance: %+v", j)
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
}

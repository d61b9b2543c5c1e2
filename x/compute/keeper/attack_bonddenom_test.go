package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackBondDenomChangeBreaksExportReimport: a governance proposal
// moves x/compute's bond denom (min_provider_bond, bid_deposit,
// job_creation_fee and verification_fee_per_sample) to another allowed
// denom. Every parameter check passes, so MsgUpdateParams takes it. From
// then on every job the chain still stores (live, and terminal ones until
// they are pruned) carries terms whose bid_deposit is in the old bond denom,
// and genesis Validate (JobParamTerms.Validate under the exported params)
// refuses the chain's own export: an upgrade export or a zero-height restart
// cannot be imported. x/staking-rewards refuses the same change of its
// lock_denom while locks exist (UpdateParams); x/compute now refuses a
// bond-denom change while a provider is registered or a job is stored
// (checkBondDenomChange). A chain with neither may still move it
// (TestBondDenomChangesOnAnEmptyChain).
func TestAttackBondDenomChangeBreaksExportReimport(t *testing.T) {
	s := newSuite(t)
	s.allowIBC()
	req, p1 := s.acc(0), s.acc(1)
	s.register(p1, 1_000_000)
	id, err := s.createIn(req, coin(5_000))
	must(t, err)
	must(t, s.commitIn(p1, id, coin(4_000)))

	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	must(t, gs.Validate()) // the honest state before the change exports fine

	p := s.params()
	p.MinProviderBond = sdk.NewCoin(ibcDenom, p.MinProviderBond.Amount)
	p.BidDeposit = sdk.NewCoin(ibcDenom, p.BidDeposit.Amount)
	p.JobCreationFee = sdk.NewCoin(ibcDenom, p.JobCreationFee.Amount)
	p.VerificationFeePerSample = sdk.NewCoin(ibcDenom, p.VerificationFeePerSample.Amount)
	_, err = s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{
		Authority: authtypes.NewModuleAddress(govtypes.ModuleName).String(), Params: p,
	})
	if err != nil {
		// Refused while providers and jobs hold the old denom: typed, and
		// nothing changed.
		wantErr(t, err, types.ErrInvalidParams)
		if got := s.params().MinProviderBond.Denom; got != "uaic" {
			t.Fatalf("a refused change left the bond denom %q", got)
		}
		return
	}

	gs, err = s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	if err := gs.Validate(); err != nil {
		t.Fatalf("the chain's own export no longer validates after a bond-denom change (job %d in %s): %v",
			id, types.JobState_JOB_STATE_OPEN, err)
	}
	fresh := newSuite(t)
	if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); err != nil {
		t.Fatalf("the chain's own export is refused on import: %v", err)
	}
}

// TestBondDenomChangesOnAnEmptyChain: with no provider registered and no job
// stored, nothing holds the old bond denom, and governance may move it.
func TestBondDenomChangesOnAnEmptyChain(t *testing.T) {
	s := newSuite(t)
	s.allowIBC()
	p := s.params()
	p.MinProviderBond = sdk.NewCoin(ibcDenom, p.MinProviderBond.Amount)
	p.BidDeposit = sdk.NewCoin(ibcDenom, p.BidDeposit.Amount)
	p.JobCreationFee = sdk.NewCoin(ibcDenom, p.JobCreationFee.Amount)
	p.VerificationFeePerSample = sdk.NewCoin(ibcDenom, p.VerificationFeePerSample.Amount)
	_, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{
		Authority: authtypes.NewModuleAddress(govtypes.ModuleName).String(), Params: p,
	})
	must(t, err)
	if got := s.params().MinProviderBond.Denom; got != ibcDenom {
		t.Fatalf("bond denom %q after the change, want %q", got, ibcDenom)
	}
}

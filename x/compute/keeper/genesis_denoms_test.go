package keeper_test

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestGenesisRoundTripPerDenom: allowed_denoms, a voucher job won (its
// winner's price collateral) and a voucher job in auction (a commitment's)
// survive export and import unchanged; a genesis whose price collateral is
// not in its job's denom, or whose params drop the bond denom from
// allowed_denoms, is refused.
func TestGenesisRoundTripPerDenom(t *testing.T) {
	s := newSuite(t)
	s.allowIBC()
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	s.fundIBC(1_000_000, req, p1, p2)
	won := s.ibcAuction(req, p1, p2, nil, 3_000, 4_000, 10_000)
	open, err := s.createIn(req, icoin(5_000))
	must(t, err)
	must(t, s.commitIn(p2, open, icoin(4_000)))

	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	must(t, gs.Validate())
	if len(gs.Params.AllowedDenoms) != 2 {
		t.Fatalf("exported allowed_denoms %v", gs.Params.AllowedDenoms)
	}
	var held bool
	for _, j := range gs.Jobs {
		held = held || (j.Id == won && j.WinnerPriceCollateral.IsEqual(icoin(20_000)))
	}
	if !held {
		t.Fatal("the won job's price collateral is not in the export")
	}
	fresh := newSuite(t)
	must(t, fresh.k.InitGenesis(fresh.ta.Ctx, gs))
	again, err := fresh.k.ExportGenesis(fresh.ta.Ctx)
	must(t, err)
	if gs.String() != again.String() {
		t.Fatalf("genesis differs after import:\n%s\n%s", gs, again)
	}

	bad := *gs
	bad.BidCommits = append([]types.BidCommit(nil), gs.BidCommits...)
	for i := range bad.BidCommits {
		bad.BidCommits[i].PriceCollateral = coin(10_000) // uaic, for a voucher job
	}
	if err := bad.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("price collateral in another denom: %v", err)
	}
	bad = *gs
	bad.Params.AllowedDenoms = []string{ibcDenom}
	if err := bad.Validate(); err == nil {
		t.Fatal("allowed_denoms without the bond denom accepted")
	}
}

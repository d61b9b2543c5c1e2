package cli

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
)

func TestParseOffer(t *testing.T) {
	good := map[string]types.LicenseOffer{
		"perpetual:100uaic":                 {Kind: types.LICENSE_KIND_PERPETUAL, Price: sdk.NewCoins(sdk.NewInt64Coin("uaic", 100))},
		"rental:20:1000uaic":                {Kind: types.LICENSE_KIND_RENTAL, DurationBlocks: 20, Price: sdk.NewCoins(sdk.NewInt64Coin("uaic", 1000))},
		"subscription:7:5uaic:transferable": {Kind: types.LICENSE_KIND_SUBSCRIPTION, PeriodBlocks: 7, Price: sdk.NewCoins(sdk.NewInt64Coin("uaic", 5)), Transferable: true},
		"per-job:free":                      {Kind: types.LICENSE_KIND_PER_JOB},
	}
	for in, want := range good {
		got, err := ParseOffer(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got.Kind != want.Kind || got.DurationBlocks != want.DurationBlocks || got.PeriodBlocks != want.PeriodBlocks ||
			!got.Price.Equal(want.Price) || got.Transferable != want.Transferable {
			t.Fatalf("%s: got %+v, want %+v", in, got, want)
		}
	}
	for _, in := range []string{"", "lease:5uaic", "rental:5uaic", "rental:0:5uaic", "rental:x:5uaic", "perpetual", "perpetual:5:5uaic",
		"perpetual:-5uaic", "per-job:5uaic:transferable"} {
		if _, err := ParseOffer(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if s, err := ParseShare("aic1abc:3"); err != nil || s.Weight != 3 || s.Address != "aic1abc" {
		t.Fatalf("share: %+v, %v", s, err)
	}
	for _, in := range []string{"aic1abc", "aic1abc:0", "aic1abc:x"} {
		if _, err := ParseShare(in); err == nil {
			t.Errorf("share %q accepted", in)
		}
	}
}

func TestDefaultMaxPrice(t *testing.T) {
	if c, err := DefaultMaxPrice(sdk.NewCoins(sdk.NewInt64Coin("uaic", 1000))); err != nil || c.String() != "1000uaic" {
		t.Fatalf("one coin: %v, %v", c, err)
	}
	if c, err := DefaultMaxPrice(nil); err != nil || !c.IsZero() || c.Denom != sdk.DefaultBondDenom {
		t.Fatalf("free: %v, %v", c, err)
	}
	if _, err := DefaultMaxPrice(sdk.NewCoins(sdk.NewInt64Coin("uaic", 1), sdk.NewInt64Coin("ufoo", 1))); err == nil {
		t.Fatal("two denoms: no error")
	}
}

// TestRenewMsgCarriesQueriedTerms: a renewal carries the queried offer's
// term and transferability, so that either changed first refuses it; offline
// (no offer) it carries neither.
func TestRenewMsgCarriesQueriedTerms(t *testing.T) {
	max := sdk.NewInt64Coin("uaic", 100)
	offer := types.LicenseOffer{Kind: types.LICENSE_KIND_RENTAL, DurationBlocks: 50, Price: sdk.NewCoins(max), Transferable: true}
	m := renewMsg("aic1x", 7, max, &offer)
	if m.LicenseId != 7 || !m.MaxPrice.Equal(max) || m.MinTermBlocks != 50 || !m.RequireTransferable {
		t.Fatalf("renewal under a transferable 50-block rental: %+v", m)
	}
	if err := types.CheckRenewalTerms(offer, m); err != nil {
		t.Fatalf("the queried offer itself refused: %v", err)
	}
	withdrawn := offer
	withdrawn.Transferable = false
	if err := types.CheckRenewalTerms(withdrawn, m); err == nil {
		t.Fatal("an offer whose transferability was withdrawn passed")
	}
	offer.Transferable = false
	if m := renewMsg("aic1x", 7, max, &offer); m.RequireTransferable {
		t.Fatal("a renewal of a non-transferable offer requires transferability")
	}
	if m := renewMsg("aic1x", 7, max, nil); m.MinTermBlocks != 0 || m.RequireTransferable {
		t.Fatalf("offline renewal carries terms: %+v", m)
	}
}

package keeper_test

import (
	"slices"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestSaleDenoms: the denoms x/staking-rewards' 2→3 migration takes as
// x/datamarket's fee denoms are those of licences sold and of per-job fees
// charged, sorted, each once; an offer that no one bought, a free licence
// and a job access not yet charged add none (a listing costs its lister no
// market fee, so it proves nothing).
func TestSaleDenoms(t *testing.T) {
	s := setup(t)
	const licenceDenom, jobDenom, unsold = "ibc/0000000000000000000000000000000000000000000000000000000000000002",
		"ibc/0000000000000000000000000000000000000000000000000000000000000001",
		"ibc/0000000000000000000000000000000000000000000000000000000000000000"
	priced := func(kind types.LicenseKind, c sdk.Coin) types.LicenseOffer {
		return types.LicenseOffer{Kind: kind, Price: sdk.NewCoins(c)}
	}
	sold := s.list(listMsg(s.owner.String(), priced(types.LICENSE_KIND_PERPETUAL, sdk.NewInt64Coin(licenceDenom, 400))))
	s.list(listMsg(s.owner.String(), priced(types.LICENSE_KIND_PERPETUAL, sdk.NewInt64Coin(unsold, 400))))
	free := s.list(listMsg(s.owner.String(), types.LicenseOffer{Kind: types.LICENSE_KIND_PERPETUAL}))
	perJobID := s.list(listMsg(s.owner.String(), priced(types.LICENSE_KIND_PER_JOB, sdk.NewInt64Coin(jobDenom, 1000))))
	s.ta.MintTo(s.buyer.Address, sdk.NewCoins(sdk.NewInt64Coin(licenceDenom, 400), sdk.NewInt64Coin(jobDenom, 1000)))

	got := func() []string {
		t.Helper()
		d, err := s.k.SaleDenoms(s.ta.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := got(); len(d) != 0 {
		t.Fatalf("sale denoms before any sale: %v", d)
	}
	s.buy(s.buyer.String(), sold, 0)
	s.buy(s.buyer.String(), free, 0)
	escrow := govtypes.ModuleName // stands in for x/compute's account
	if err := s.ta.BankKeeper.SendCoinsFromAccountToModule(s.ta.Ctx, s.buyer.Address, escrow, sdk.NewCoins(sdk.NewInt64Coin(jobDenom, 1000))); err != nil {
		t.Fatal(err)
	}
	if err := s.k.GrantJobAccessVersion(s.ta.Ctx, perJobID, 4, 0, s.other.String()); err != nil {
		t.Fatal(err)
	}
	if d := got(); !slices.Equal(d, []string{licenceDenom}) {
		t.Fatalf("sale denoms after one licence sale and an uncharged job access: %v, want [%s]", d, licenceDenom)
	}
	shares := []common.Share{{Address: s.owner.String(), Weight: 1}}
	if err := s.k.ChargeJobDatasetFee(s.ta.Ctx, perJobID, 4, escrow, sdk.NewCoins(sdk.NewInt64Coin(jobDenom, 1000)), shares); err != nil {
		t.Fatal(err)
	}
	if d := got(); !slices.Equal(d, []string{jobDenom, licenceDenom}) {
		t.Fatalf("sale denoms: %v, want [%s %s]", d, jobDenom, licenceDenom)
	}
	if bal := s.ta.BankKeeper.GetBalance(s.ta.Ctx, authtypes.NewModuleAddress(common.RewardPoolName), jobDenom); !bal.IsPositive() {
		t.Fatalf("set-up: the per-job fee paid the reward pool no market fee (%s)", bal)
	}
}

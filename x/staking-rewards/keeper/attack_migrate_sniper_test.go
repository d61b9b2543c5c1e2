package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"

	"github.com/aichain/aichain/x/staking-rewards/keeper"
)

// TestAttackSniperLocksBeforeLegacyDenomListing: a licence denom version 2
// paid lockers in keeps earning market fees after the upgrade. An attempt
// (dbaea4f) left a dropped denom's backlog to the weight of the moment
// governance listed it: mallory, who knew the proposal's execution height,
// locked as much as alice just before it and took half of the fees that
// arrived while alice was the only locker. Now:
//   - named in the upgrade plan (namedInPlan), the denom stays listed: its
//     fees reach alice as they arrive, and mallory, locking later, gets none;
//   - not named, and listed by governance later, its backlog goes to the
//     community pool, as any newly listed denom's: mallory gets none of it.
func TestAttackSniperLocksBeforeLegacyDenomListing(t *testing.T) {
	const licenceDenom = "ibc/498A0751C798A0D9A389AA3691123DADA57DAA4FE165D5C75894505B876BA6E4"
	for _, named := range []bool{true, false} {
		f := setup(t, 4)
		alice, seller, buyer, mallory := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address, f.ta.Accounts[3].Address
		f.mustLock(alice, 10_000_000, week)
		restore := f.asVersion2(licenceDenom)
		f.sellLicence(seller, buyer, sdk.NewInt64Coin(licenceDenom, 70_000))
		f.ta.NextBlock()
		restore()
		feeDenoms := f.ta.RewardFeeDenoms
		if named {
			feeDenoms = f.namedInPlan(licenceDenom)
		}
		if err := keeper.NewMigrator(f.k).WithFeeDenoms(feeDenoms).Migrate2to3(f.ta.Ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.claim(alice); err != nil {
			t.Fatal(err)
		}

		// Months of market fees while alice alone is locked.
		backlog := f.sellLicence(seller, buyer, sdk.NewInt64Coin(licenceDenom, 1_000_000))
		f.ta.NextBlock()
		community := f.distrBalance(licenceDenom)

		// Mallory locks just before governance lists the denom.
		f.mustLock(mallory, 10_000_000, week)
		if !named {
			p, err := f.k.GetParams(f.ta.Ctx)
			if err != nil {
				t.Fatal(err)
			}
			f.listRewardDenoms(append(p.RewardDenoms, licenceDenom)...)
		}
		f.ta.NextBlock()

		mal, al := f.paidOf(mallory, licenceDenom), f.paidOf(alice, licenceDenom)
		toCommunity := f.distrBalance(licenceDenom).Sub(community)
		want, wantCommunity := backlog, math.ZeroInt()
		if !named {
			want, wantCommunity = math.ZeroInt(), backlog
		}
		if !mal.IsZero() || !al.Equal(want) || !toCommunity.Equal(wantCommunity) {
			t.Fatalf("named in the plan %t: of %s%s of market fees that arrived while alice was the only locker, mallory (locked just before the listing) took %s, alice %s, the community pool %s; want 0, %s, %s",
				named, backlog, licenceDenom, mal, al, toCommunity, want, wantCommunity)
		}
	}
}

// distrBalance is x/distribution's module balance of denom, which holds the
// community pool.
func (f *fixture) distrBalance(denom string) math.Int {
	return f.ta.Balance(f.ta.AccountKeeper.GetModuleAddress(distrtypes.ModuleName), denom)
}

package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// TestAttackSelfSoldJunkLicencesDropTheMarketFeeDenom: x/compute's denoms
// come first in the migration's candidates, but x/datamarket's sale denoms
// follow in denom order, with no regard to how much was paid in them. Before
// the upgrade an attacker lists 16 datasets of its own, each priced at 100
// units of a junk IBC denom sorting before the chain's real licence denom,
// and buys each licence with a second account of its own: every junk denom
// is now "a denom market fees were paid in" (the pool got 16 × a couple of
// units). An honest seller's licences are priced in the real IBC denom; on
// the default chain x/compute's only denom is the lock denom, so the 16 junk
// denoms take every reward_denoms slot and the real market-fee denom leaves
// the index. Honest outcome: alice, the only locker, keeps being paid the
// market fees of the honest sales after the upgrade, to the coin.
func TestAttackSelfSoldJunkLicencesDropTheMarketFeeDenom(t *testing.T) {
	f := setup(t, 5)
	alice, seller, buyer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	attacker, sock := f.ta.Accounts[3].Address, f.ta.Accounts[4].Address
	f.mustLock(alice, 10_000_000, week) // the only weight
	const licenceDenom = "ibc/498A0751C798A0D9A389AA3691123DADA57DAA4FE165D5C75894505B876BA6E4"

	junk := apptesting.JunkDenoms(types.MaxRewardDenoms, 100)
	restore := f.asVersion2(append(denomsOf(junk), licenceDenom)...)
	before := f.sellLicence(seller, buyer, sdk.NewInt64Coin(licenceDenom, 70_000)) // an honest sale
	for _, c := range junk {                                                       // the attacker's self-sold licences
		f.sellLicence(attacker, sock, c)
	}
	f.ta.NextBlock()
	restore()

	f.migrateNamed(alice, licenceDenom, before)
	after := f.sellLicence(seller, buyer, sdk.NewInt64Coin(licenceDenom, 30_000)) // honest sale after the upgrade
	f.ta.NextBlock()
	if got := f.paidOf(alice, licenceDenom); !got.Equal(after) {
		p, _ := f.k.GetParams(f.ta.Ctx)
		t.Fatalf("alice, the only locker, was paid %s of the %s %s market fees of an honest sale after the upgrade: the attacker's 16 self-sold junk denoms took every slot (reward_denoms %v; pool %s)",
			got, after, licenceDenom, p.RewardDenoms, f.poolBalance())
	}
}

package keeper_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
)

// sellLicence lists a dataset of seller's with one perpetual offer at price
// and sells it to buyer (minted the price first): the market fee reaches the
// reward pool as x/datamarket pays it. It returns that fee.
func (f *fixture) sellLicence(seller, buyer sdk.AccAddress, price sdk.Coin) math.Int {
	f.t.Helper()
	ms := dmkeeper.NewMsgServerImpl(f.ta.DataMarketKeeper)
	file := fmt.Sprint(seller, "/", price)
	sum := sha256.Sum256([]byte(file))
	root := sha256.Sum256([]byte("root:" + file))
	listed, err := ms.ListDataset(f.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: seller.String(), Name: "iris", Description: "150 flowers", Format: dmtypes.FormatNpyF32,
		Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: root[:], Sha256: hex.EncodeToString(sum[:]), RowsSha256: hex.EncodeToString(sum[:]),
		Uri:    "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PERPETUAL, Price: sdk.NewCoins(price)}},
	})
	if err != nil {
		f.t.Fatalf("list a dataset priced %s: %v", price, err)
	}
	f.ta.MintTo(buyer, sdk.NewCoins(price))
	before := f.ta.BankKeeper.GetBalance(f.ta.Ctx, f.k.RewardPoolAddress(), price.Denom)
	if _, err := ms.PurchaseLicense(f.ta.Ctx, &dmtypes.MsgPurchaseLicense{
		Buyer: buyer.String(), DatasetId: listed.DatasetId, MaxPrice: price,
	}); err != nil {
		f.t.Fatalf("buy the licence at %s: %v", price, err)
	}
	fee := f.ta.BankKeeper.GetBalance(f.ta.Ctx, f.k.RewardPoolAddress(), price.Denom).Amount.Sub(before.Amount)
	if !fee.IsPositive() {
		f.t.Fatalf("set-up: the sale at %s paid the reward pool no market fee", price)
	}
	return fee
}

// TestAttackMigrationDropsTheMarketFeeDenom: the reward pool receives every
// protocol, market and platform fee (DESIGN §7). x/datamarket licence offers
// may be priced in any denom, and their market_fee_bps goes to the pool in
// that denom, which version 2 distributed. A migration that listed only
// x/compute's allowed_denoms (the first fix of the junk-denom attacks,
// a5cce71) dropped a licence denom lockers were paid in before the upgrade:
// from then on the market fees in it stayed in the pool, and when
// governance listed it again that backlog went to the community pool. The
// honest outcome: alice, the only locker, is paid, to the coin, the market
// fees of the denom she was paid in before the upgrade. Nothing on chain
// tells that denom from junk (TestAttackSelfSoldJunkLicencesDropTheMarketFeeDenom),
// so governance names it in the upgrade plan (its info's
// reward_fee_denoms, App.RewardFeeDenoms; modelled by namedInPlan).
func TestAttackMigrationDropsTheMarketFeeDenom(t *testing.T) {
	f := setup(t, 3)
	alice, seller, buyer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	f.mustLock(alice, 10_000_000, week) // the only weight
	const licenceDenom = "ibc/498A0751C798A0D9A389AA3691123DADA57DAA4FE165D5C75894505B876BA6E4"

	// Version 2's state: every pool denom is distributed.
	restore := f.asVersion2(licenceDenom)
	before := f.sellLicence(seller, buyer, sdk.NewInt64Coin(licenceDenom, 70_000)) // a sale before the upgrade
	f.ta.NextBlock()
	restore()
	f.migrateNamed(alice, licenceDenom, before)

	// After the upgrade, licence sales keep paying market fees.
	after := f.sellLicence(seller, buyer, sdk.NewInt64Coin(licenceDenom, 30_000))
	f.ta.NextBlock()
	if got := f.paidOf(alice, licenceDenom); !got.Equal(after) {
		p, _ := f.k.GetParams(f.ta.Ctx)
		t.Fatalf("alice, the only locker, was paid %s of the %s %s market fees that arrived after the upgrade (reward_denoms %v; pool %s)",
			got, after, licenceDenom, p.RewardDenoms, f.poolBalance())
	}
}

package keeper_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/staking-rewards/keeper"
	"github.com/aichain/aichain/x/staking-rewards/types"
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
		Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: root[:], Sha256: hex.EncodeToString(sum[:]),
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
// honest outcome: alice, the only locker, keeps being paid, to the coin, the
// market fees of the denom she was paid in before the upgrade.
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
	if idx, _ := f.k.GetRewardIndex(f.ta.Ctx); idx.AmountOf(licenceDenom).IsZero() {
		t.Fatalf("set-up: the licence denom is not in the reward index %s", idx)
	}

	// The migration as the app registers it.
	if err := keeper.NewMigrator(f.k).WithFeeDenoms(f.ta.RewardFeeDenoms).Migrate2to3(f.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	if paid, err := f.claim(alice); err != nil || !paid.AmountOf(licenceDenom).Equal(before) {
		t.Fatalf("alice claimed %s (%v) of the market fees before the upgrade, want %s%s", paid, err, before, licenceDenom)
	}

	// After the upgrade, licence sales keep paying market fees.
	after := f.sellLicence(seller, buyer, sdk.NewInt64Coin(licenceDenom, 30_000))
	f.ta.NextBlock()
	paid, err := f.claim(alice)
	if err != nil && !errors.Is(err, types.ErrNoRewards) {
		t.Fatal(err)
	}
	if got := paid.AmountOf(licenceDenom); !got.Equal(after) {
		p, _ := f.k.GetParams(f.ta.Ctx)
		t.Fatalf("alice, the only locker, was paid %s of the %s %s market fees that arrived after the upgrade (reward_denoms %v; pool %s)",
			got, after, licenceDenom, p.RewardDenoms, f.poolBalance())
	}
}

// TestAttackSelfSoldJunkLicencesDisplaceTheJobFeeDenom: the migration lists
// the denoms of x/datamarket's sales, and a licence may be priced in any
// denom. An attacker lists 16 datasets of its own before the upgrade, each
// priced in a junk denom sorting before the chain's IBC job-fee denom, and
// buys each licence itself: every junk denom is then a denom market fees
// were paid in. The job-fee denom must still be listed (x/compute's denoms
// come first), and the fees jobs pay in it after the upgrade reach the only
// locker to the coin.
func TestAttackSelfSoldJunkLicencesDisplaceTheJobFeeDenom(t *testing.T) {
	f := setup(t, 3)
	alice, attacker, sock := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	f.mustLock(alice, 10_000_000, week)
	const feeDenom = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"

	junk := apptesting.JunkDenoms(types.MaxRewardDenoms, 100)
	restore := f.asVersion2(append(denomsOf(junk), feeDenom)...)
	for _, c := range junk { // the attacker's self-sold licences
		f.sellLicence(attacker, sock, c)
	}
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin(feeDenom, 7_000))) // job fees before the upgrade
	f.ta.NextBlock()
	restore()
	cp, err := f.ta.ComputeKeeper.Params.Get(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp.AllowedDenoms = append(cp.AllowedDenoms, feeDenom)
	if err := f.ta.ComputeKeeper.Params.Set(f.ta.Ctx, cp); err != nil {
		t.Fatal(err)
	}
	if err := keeper.NewMigrator(f.k).WithFeeDenoms(f.ta.RewardFeeDenoms).Migrate2to3(f.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	got, err := f.k.GetParams(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.RewardDenoms) != types.MaxRewardDenoms || got.RewardDenoms[0] != feeDenom {
		t.Fatalf("reward_denoms after the migration %v: want the job-fee denom first, then %d sale denoms", got.RewardDenoms, types.MaxRewardDenoms-1)
	}
	if _, err := f.claim(alice); err != nil { // everything before the upgrade
		t.Fatal(err)
	}
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin(feeDenom, 3_000)))
	f.ta.NextBlock()
	paid, err := f.claim(alice)
	if err != nil {
		t.Fatal(err)
	}
	if got := paid.AmountOf(feeDenom).Int64(); got != 3_000 {
		t.Fatalf("alice was paid %d of the 3,000 %s job fees after the upgrade; pool %s", got, feeDenom, f.poolBalance())
	}
	f.checkInvariants()
}

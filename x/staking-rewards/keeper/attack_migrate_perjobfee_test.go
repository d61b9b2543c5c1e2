package keeper_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
)

// chargePerJobFee charges job jobID the PER_JOB fee of dataset id for
// requester, as x/compute does (grant, charge from the job's escrow, revoke
// when the job ends), and returns the market fee the reward pool got.
func (f *fixture) chargePerJobFee(id, jobID uint64, requester, provider sdk.AccAddress) math.Int {
	f.t.Helper()
	dk := f.ta.DataMarketKeeper
	terms, err := dk.DatasetTermsForJob(f.ta.Ctx, id, requester.String(), 0)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.ta.BankKeeper.MintCoins(f.ta.Ctx, minttypes.ModuleName, terms.Fee); err != nil {
		f.t.Fatal(err)
	}
	if err := f.ta.BankKeeper.SendCoinsFromModuleToModule(f.ta.Ctx, minttypes.ModuleName, "compute", terms.Fee); err != nil {
		f.t.Fatal(err)
	}
	denom := terms.Fee[0].Denom
	before := f.ta.BankKeeper.GetBalance(f.ta.Ctx, f.k.RewardPoolAddress(), denom).Amount
	if err := dk.GrantJobAccess(f.ta.Ctx, id, jobID, provider.String()); err != nil {
		f.t.Fatal(err)
	}
	if err := dk.ChargeJobDatasetFee(f.ta.Ctx, id, jobID, "compute", terms.Fee, terms.Shares); err != nil {
		f.t.Fatal(err)
	}
	if err := dk.RevokeJobAccess(f.ta.Ctx, id, jobID); err != nil { // the job ended
		f.t.Fatal(err)
	}
	fee := f.ta.BankKeeper.GetBalance(f.ta.Ctx, f.k.RewardPoolAddress(), denom).Amount.Sub(before)
	if !fee.IsPositive() {
		f.t.Fatalf("set-up: job %d paid the reward pool no market fee", jobID)
	}
	return fee
}

// TestAttackPerJobFeeDenomOfEndedJobsIsDropped: an honest dataset owner
// sells only per-job access (a PER_JOB offer, priced in an IBC denom, which
// x/compute does not restrict), and every job that paid it ended before the
// v3-verification upgrade. Version 2 distributed the market fees of those
// jobs to lockers, so the denom is in the reward index. SaleDenoms reads
// only the job accesses "still recorded", and RevokeJobAccess removes a
// job's access when the job ends: the migration finds no trace of the
// denom and drops it. The market fees of every job after the upgrade wait
// in the pool. Honest outcome: alice, the only locker, keeps being paid the
// market fees of the per-job sales after the upgrade.
func TestAttackPerJobFeeDenomOfEndedJobsIsDropped(t *testing.T) {
	f := setup(t, 4)
	alice, owner, requester, provider := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address, f.ta.Accounts[3].Address
	f.mustLock(alice, 10_000_000, week) // the only weight
	const feeDenom = "ibc/498A0751C798A0D9A389AA3691123DADA57DAA4FE165D5C75894505B876BA6E4"

	ms := dmkeeper.NewMsgServerImpl(f.ta.DataMarketKeeper)
	sum := sha256.Sum256([]byte("per-job"))
	root := sha256.Sum256([]byte("root:per-job"))
	listed, err := ms.ListDataset(f.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: owner.String(), Name: "iris", Description: "150 flowers", Format: dmtypes.FormatNpyF32,
		Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: root[:], Sha256: hex.EncodeToString(sum[:]), RowsSha256: hex.EncodeToString(sum[:]),
		Uri:    "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(sdk.NewInt64Coin(feeDenom, 40_000))}},
	})
	if err != nil {
		t.Fatal(err)
	}

	restore := f.asVersion2(feeDenom)
	before := f.chargePerJobFee(listed.DatasetId, 1, requester, provider) // a job before the upgrade
	f.ta.NextBlock()
	restore()
	f.migrateNamed(alice, feeDenom, before)
	after := f.chargePerJobFee(listed.DatasetId, 2, requester, provider) // a job after the upgrade
	f.ta.NextBlock()
	if got := f.paidOf(alice, feeDenom); !got.Equal(after) {
		p, _ := f.k.GetParams(f.ta.Ctx)
		t.Fatalf("alice, the only locker, was paid %s of the %s %s market fees of a job after the upgrade (reward_denoms %v; pool %s)",
			got, after, feeDenom, p.RewardDenoms, f.poolBalance())
	}
}

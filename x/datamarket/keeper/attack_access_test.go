package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

// The x/compute side of item 3 this file relies on: the job pins its dataset
// version at creation and passes it to GrantJobAccessVersion, then charges
// the fee with ChargeJobDatasetFee when access is granted.

// TestJobWinnerReadsOnlyPinnedVersion (item 3): a requester with its own
// provider runs a PER_JOB job pinned to version 1 of a two-version dataset.
// The winning provider may read version 1 only — not version 2, not "the
// current one" — and nothing once the job ends.
func TestJobWinnerReadsOnlyPinnedVersion(t *testing.T) {
	s := setup(t)
	owner, provider := s.owner.String(), s.other.String()
	id := s.list(listMsg(owner, perJob(10)))
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: rootOf("v2"), Sha256: shaOf("v2"), RowsSha256: rowsOf(shaOf("v2")),
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.k.GrantJobAccessVersion(s.ta.Ctx, id, 7, 1, provider); err != nil {
		t.Fatal(err)
	}
	at := func(v uint64) *types.QueryHasAccessResponse {
		t.Helper()
		a, err := s.q.HasAccess(s.ta.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: provider, Version: v})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := at(1); !a.HasAccess || a.Reason != "job" || a.JobId != 7 {
		t.Fatalf("the pinned version: %+v", a)
	}
	for _, v := range []uint64{0, 2} {
		if a := at(v); a.HasAccess {
			t.Fatalf("version %d (not pinned) readable: %+v", v, a)
		}
	}
	// The old entry point grants the current version only.
	if err := s.k.GrantJobAccess(s.ta.Ctx, id, 8, provider); err != nil {
		t.Fatal(err)
	}
	if a := at(2); !a.HasAccess || a.JobId != 8 {
		t.Fatalf("current version through GrantJobAccess: %+v", a)
	}
	if err := s.k.RevokeJobAccess(s.ta.Ctx, id, 8); err != nil {
		t.Fatal(err)
	}
	if at(2).HasAccess || !at(1).HasAccess {
		t.Fatal("revoking job 8 must end version 2 access and keep job 7's")
	}
	if err := s.k.GrantJobAccessVersion(s.ta.Ctx, id, 9, 3, provider); !types.ErrVersionNotFound.Is(err) {
		t.Fatalf("a version that does not exist: %v", err)
	}
	if err := s.k.RevokeJobAccess(s.ta.Ctx, id, 7); err != nil {
		t.Fatal(err)
	}
	if at(1).HasAccess {
		t.Fatal("access after the job ended")
	}
}

// TestJobDatasetFeeChargedAtGrant (item 3): the dataset fee is taken from the
// escrow when the provider gets access, once per job whatever is called
// again, and is not given back: a requester cannot download through its own
// provider and then let the job time out for a refund. Balances to the coin.
func TestJobDatasetFeeChargedAtGrant(t *testing.T) {
	s := setup(t)
	id := s.list(listMsg(s.owner.String(), perJob(1000)))
	escrow := govtypes.ModuleName // stands in for x/compute's account
	escrowAddr := authtypes.NewModuleAddress(escrow)
	if err := s.ta.BankKeeper.SendCoinsFromAccountToModule(s.ta.Ctx, s.buyer.Address, escrow, coins(5000)); err != nil {
		t.Fatal(err)
	}
	shares := []common.Share{{Address: s.owner.String(), Weight: 1}}
	l := s.ledger(escrowAddr, s.owner.Address, s.pool)
	s.expectFail("charge before access", types.ErrJobAccessNotFound, func() error {
		return s.k.ChargeJobDatasetFee(s.ta.Ctx, id, 4, escrow, coins(1000), shares)
	})
	if err := s.k.GrantJobAccessVersion(s.ta.Ctx, id, 4, 0, s.other.String()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // once, however often it is called
		if err := s.k.ChargeJobDatasetFee(s.ta.Ctx, id, 4, escrow, coins(1000), shares); err != nil {
			t.Fatal(err)
		}
	}
	l.expect("charged at grant", -1000, 975, 25)
	// A new winner (re-grant) keeps the charge.
	if err := s.k.GrantJobAccessVersion(s.ta.Ctx, id, 4, 0, s.buyer.String()); err != nil {
		t.Fatal(err)
	}
	if err := s.k.ChargeJobDatasetFee(s.ta.Ctx, id, 4, escrow, coins(1000), shares); err != nil {
		t.Fatal(err)
	}
	ja, err := s.k.JobAccess.Get(s.ta.Ctx, collections.Join(id, uint64(4)))
	if err != nil || !ja.FeeCharged || !ja.Fee.Equal(coins(1000)) || ja.Version != 1 {
		t.Fatalf("job access: %+v, %v", ja, err)
	}
	l.expect("a re-grant", -1000, 975, 25)
	// A fee the escrow cannot cover, or shares naming a module account: refused, nothing moves.
	if err := s.k.GrantJobAccessVersion(s.ta.Ctx, id, 5, 0, s.other.String()); err != nil {
		t.Fatal(err)
	}
	s.expectFail("more than the escrow holds", types.ErrInsufficientFunds, func() error {
		return s.k.ChargeJobDatasetFee(s.ta.Ctx, id, 5, escrow, coins(4001), shares)
	})
	s.expectFail("a share to the reward pool", types.ErrInvalidShares, func() error {
		return s.k.ChargeJobDatasetFee(s.ta.Ctx, id, 5, escrow, coins(10),
			[]common.Share{{Address: authtypes.NewModuleAddress(common.RewardPoolName).String(), Weight: 1}})
	})
	if !hasEvent(s.ta.Ctx, "aichain.datamarket.v1.EventDatasetFeePaid") {
		t.Fatal("no EventDatasetFeePaid")
	}
}

// TestDatasetOwnerControls (item 11): the owner alone updates the shares and
// transfers the dataset; licences stay valid across a transfer; revenue then
// follows the new shares, to the coin, and the new owner controls the
// dataset.
func TestDatasetOwnerControls(t *testing.T) {
	s := setup(t)
	owner, buyer, other := s.owner.String(), s.buyer.String(), s.other.String()
	id := s.list(listMsg(owner, perpetual(1000, false), rental(10, 100)))
	lic := s.buy(buyer, id, 0)
	c1 := s.ta.NewAccount(coins(1))

	s.expectFail("shares by a stranger", types.ErrUnauthorized, func() error {
		_, err := s.ms.UpdateDatasetShares(s.ta.Ctx, &types.MsgUpdateDatasetShares{Owner: other, DatasetId: id, Shares: []common.Share{{Address: other, Weight: 1}}})
		return err
	})
	s.expectFail("transfer by a stranger", types.ErrUnauthorized, func() error {
		_, err := s.ms.TransferDataset(s.ta.Ctx, &types.MsgTransferDataset{Owner: other, DatasetId: id, NewOwner: buyer})
		return err
	})
	s.expectFail("shares of an unknown dataset", types.ErrDatasetNotFound, func() error {
		_, err := s.ms.UpdateDatasetShares(s.ta.Ctx, &types.MsgUpdateDatasetShares{Owner: owner, DatasetId: 9, Shares: []common.Share{{Address: owner, Weight: 1}}})
		return err
	})
	if _, err := s.ms.TransferDataset(s.ta.Ctx, &types.MsgTransferDataset{Owner: owner, DatasetId: id, NewOwner: other}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ms.AcceptDataset(s.ta.Ctx, &types.MsgAcceptDataset{NewOwner: other, DatasetId: id, OfferSeq: s.dataset(id).OfferSeq}); err != nil {
		t.Fatal(err)
	}
	if !hasEvent(s.ta.Ctx, "aichain.datamarket.v1.EventDatasetTransferred") {
		t.Fatal("no EventDatasetTransferred")
	}
	if a := s.access(id, buyer); !a.HasAccess || a.LicenseId != lic.LicenseId {
		t.Fatalf("licence after the transfer: %+v", a)
	}
	if a := s.access(id, other); !a.HasAccess || a.Reason != "owner" {
		t.Fatalf("the new owner's access: %+v", a)
	}
	if s.access(id, owner).HasAccess {
		t.Fatal("the previous owner keeps owner access")
	}
	s.expectFail("the previous owner updates shares", types.ErrUnauthorized, func() error {
		_, err := s.ms.UpdateDatasetShares(s.ta.Ctx, &types.MsgUpdateDatasetShares{Owner: owner, DatasetId: id, Shares: []common.Share{{Address: owner, Weight: 1}}})
		return err
	})
	if _, err := s.ms.UpdateDatasetShares(s.ta.Ctx, &types.MsgUpdateDatasetShares{Owner: other, DatasetId: id,
		Shares: []common.Share{{Address: other, Weight: 3}, {Address: c1.String(), Weight: 1}}}); err != nil {
		t.Fatal(err)
	}
	if !hasEvent(s.ta.Ctx, "aichain.datamarket.v1.EventDatasetSharesUpdated") {
		t.Fatal("no EventDatasetSharesUpdated")
	}
	newcomer := s.ta.NewAccount(coins(10_000))
	l := s.ledger(newcomer.Address, s.owner.Address, s.other.Address, c1.Address, s.pool)
	s.buy(newcomer.String(), id, 0)
	// 1000: 25 to the pool; 975 split 3:1 = 731 (+1 remainder) / 243.
	l.expect("a sale after the transfer", -1000, 0, 732, 243, 25)
	if got, err := s.q.Datasets(s.ta.Ctx, &types.QueryDatasetsRequest{Owner: other}); err != nil || len(got.Datasets) != 1 {
		t.Fatalf("the owner index after the transfer: %+v, %v", got, err)
	}
}

// TestAttackGiftedLicenceHidesTheWinnersJob: a job's winner that also holds
// a licence of the dataset (bought earlier, or sent to it by a rival: a
// transfer needs no consent of its recipient) was answered reason
// "license" without its job, so a dataset server keeping download slots for
// job winners (by job_id) put it among the licensees, whose slots a rival's
// licences had filled: the winner aborted and forfeited its collateral. The
// answer now names the job whenever one grants access.
func TestAttackGiftedLicenceHidesTheWinnersJob(t *testing.T) {
	s := setup(t)
	owner, provider := s.owner.String(), s.other.String()
	id := s.list(listMsg(owner, perpetual(10, true)))
	if err := s.k.GrantJobAccessVersion(s.ta.Ctx, id, 7, 1, provider); err != nil {
		t.Fatal(err)
	}
	s.buy(provider, id, 0)
	if a := s.access(id, provider); !a.HasAccess || a.Reason != "license" || a.LicenseId == 0 || a.JobId != 7 {
		t.Fatalf("a licensed job winner: %+v; want access by licence naming job 7", a)
	}
	if err := s.k.RevokeJobAccess(s.ta.Ctx, id, 7); err != nil {
		t.Fatal(err)
	}
	if a := s.access(id, provider); !a.HasAccess || a.JobId != 0 {
		t.Fatalf("after the job ended: %+v; want the licence alone", a)
	}
}

package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackSellerChangesDatasetWhileOfferPending: the owner offers its
// dataset (one perpetual offer at 1,000) to a buyer that agreed a price off
// chain. Seeing the buyer's MsgAcceptDataset, the seller slips in ahead of
// it an update that adds a perpetual offer at 1, which a friend buys: the
// buyer then owns a dataset anyone can read for good for 1, bought for what
// the 1,000 offer was worth. Or the seller delists it, for good. The offer
// bound nothing and the acceptance said nothing of what it accepted.
// Expected: while the offer is pending the owner may neither update nor
// delist the dataset (ErrOfferPending), and an acceptance names its offer,
// so one withdrawn and made again (after a change) is refused
// (ErrOfferChanged); the buyer accepts the dataset as offered.
func TestAttackSellerChangesDatasetWhileOfferPending(t *testing.T) {
	s := setup(t)
	owner, buyer, friend := s.owner.String(), s.buyer.String(), s.other.String()
	id := s.list(listMsg(owner, perpetual(1000, false)))
	s.offer(owner, id, buyer)
	seq := s.dataset(id).OfferSeq

	s.expectFail("an update adding a cheap offer while on offer", types.ErrOfferPending, func() error {
		_, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16,
			ContentRoot: rootOf("cheap"), Sha256: shaOf("cheap"), RowsSha256: rowsOf(shaOf("cheap")), Offers: []types.LicenseOffer{perpetual(1000, false), perpetual(1, false)}})
		return err
	})
	s.expectFail("a delisting while on offer", types.ErrOfferPending, func() error {
		_, err := s.ms.DelistDataset(s.ta.Ctx, &types.MsgDelistDataset{Owner: owner, DatasetId: id})
		return err
	})

	// Withdrawn, changed and offered again: the acceptance of the first
	// offer is refused.
	if _, err := s.ms.CancelDatasetTransfer(s.ta.Ctx, &types.MsgCancelDatasetTransfer{Owner: owner, DatasetId: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16,
		ContentRoot: rootOf("cheap"), Sha256: shaOf("cheap"), RowsSha256: rowsOf(shaOf("cheap")), Offers: []types.LicenseOffer{perpetual(1000, false), perpetual(1, false)}}); err != nil {
		t.Fatal(err)
	}
	s.buy(friend, id, 1)
	s.offer(owner, id, buyer)
	s.expectFail("accepting the offer withdrawn and made again", types.ErrOfferChanged, func() error {
		_, err := s.ms.AcceptDataset(s.ta.Ctx, &types.MsgAcceptDataset{NewOwner: buyer, DatasetId: id, OfferSeq: seq})
		return err
	})
	if d := s.dataset(id); d.Owner != owner || d.PendingOwner != buyer {
		t.Fatalf("owner %s, pending %s", d.Owner, d.PendingOwner)
	}
	// The buyer, having read the dataset as it is now, accepts this offer.
	if _, err := s.ms.AcceptDataset(s.ta.Ctx, &types.MsgAcceptDataset{NewOwner: buyer, DatasetId: id, OfferSeq: s.dataset(id).OfferSeq}); err != nil {
		t.Fatal(err)
	}
	if d := s.dataset(id); d.Owner != buyer {
		t.Fatalf("owner %s after the acceptance", d.Owner)
	}
}

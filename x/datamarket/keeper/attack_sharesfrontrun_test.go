package keeper_test

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackSellerReroutesSharesWhileOfferPending: the owner sells its
// dataset off chain. As agreed, it first routes the revenue to the buyer
// (shares [buyer:1]) and offers the dataset to it; the buyer reads the
// dataset (shares included) and signs MsgAcceptDataset naming that offer.
// Seeing the acceptance in the mempool, the seller slips in ahead of it a
// MsgUpdateDatasetShares that routes the revenue back to itself: while an
// offer is pending the owner may neither update nor delist the dataset
// (ErrOfferPending), but it may still replace the shares, and the
// acceptance's offer_seq does not change. The buyer becomes the owner of a
// dataset whose sales, renewals and the per-job fees of every job created
// until it notices pay the seller: here a licence sold for 1,000 pays the
// seller 975 and the new owner nothing.
// Now: the shares are part of the dataset as offered; while an offer is
// pending the owner may not replace them (ErrOfferPending), as for
// UpdateDataset and DelistDataset, and the sale pays the new owner.
func TestAttackSellerReroutesSharesWhileOfferPending(t *testing.T) {
	s := setup(t)
	seller, newOwner, licensee := s.owner.String(), s.buyer.String(), s.other.String()
	id := s.list(listMsg(seller, perpetual(1000, false)))
	// As agreed: the revenue is the buyer's from the acceptance on.
	if _, err := s.ms.UpdateDatasetShares(s.ta.Ctx, &types.MsgUpdateDatasetShares{Owner: seller, DatasetId: id,
		Shares: []common.Share{{Address: newOwner, Weight: 1}}}); err != nil {
		t.Fatal(err)
	}
	s.offer(seller, id, newOwner)
	seen := s.dataset(id) // what the buyer read before signing its acceptance

	// The seller's front-run, ahead of the acceptance in the same block.
	_, frontRunErr := s.ms.UpdateDatasetShares(s.ta.Ctx, &types.MsgUpdateDatasetShares{Owner: seller, DatasetId: id,
		Shares: []common.Share{{Address: seller, Weight: 1}}})
	if _, err := s.ms.AcceptDataset(s.ta.Ctx, &types.MsgAcceptDataset{NewOwner: newOwner, DatasetId: id, OfferSeq: seen.OfferSeq}); err != nil {
		t.Fatal(err)
	}
	if d := s.dataset(id); d.Owner != newOwner {
		t.Fatalf("owner %s after the acceptance", d.Owner)
	}

	// A licence sold right after the acceptance.
	l := s.ledger(s.owner.Address, s.buyer.Address, s.other.Address, s.pool)
	s.buy(licensee, id, 0)
	if !errors.Is(frontRunErr, types.ErrOfferPending) {
		t.Errorf("the seller replaced the shares of dataset %d while it was on offer: %v, want ErrOfferPending (shares the buyer read %v, now %v)",
			id, frontRunErr, seen.Shares, s.dataset(id).Shares)
	}
	// The new owner, as the shares it accepted say, gets 975.
	l.expect("a sale after the acceptance", 0, 975, -1000, 25)
}

package keeper_test

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackCopierTakesOwnersRootUnderAnotherContentKey: the oldest
// commitment is enforced only under the content key of the exact pair
// (root, sha256), but a file is taken per digest (checkContent refuses a
// listing whose root OR sha256 another dataset holds). A copier who reads
// the owner's digests from its relayed listing (public on the controller
// chain before aichain executes it, as in
// TestAttackRelayedListingLosesToCopiersLaterCommitment) commits to
// (owner's root, any other sha256): a different content key, under which
// the owner's older commitment is not filed, so nothing older verifies. K
// blocks later the copier lists it ahead of the relayed packet, and the
// owner's listing, on the older commitment, is refused for good
// (ErrContentTaken: content_root is the copier's dataset's). The owner never
// sells its file; the buyer pays the copier for a dataset carrying the
// owner's root.
//
// What the test wants: the owner's older commitment lists the owner's file
// and the buyer's 1,000 pays the owner 975, the copier nothing. Now the
// owner commits to each digest apart, under its own key (RootKey, ShaKey),
// and a listing is refused while another owner holds an older commitment to
// either digest (the copier's: ErrOlderCommitment).
func TestAttackCopierTakesOwnersRootUnderAnotherContentKey(t *testing.T) {
	s := setup(t)
	s.withCommits(100)
	owner, copier, buyer := s.owner.String(), s.other.String(), s.buyer.String()
	pending := listMsg(owner, perpetual(1000, false))
	s.commit(s.owner.Address, pending.ContentRoot, pending.Sha256)
	s.blocks(commitDelay)

	// The owner's packet is public on the controller chain: the copier
	// commits to the owner's root with a sha256 of its own.
	squat := *pending
	squat.Owner = copier
	squat.Sha256 = shaOf("copier's own bytes")
	s.commit(s.other.Address, squat.ContentRoot, squat.Sha256)
	s.blocks(commitDelay)
	copyRes, copyErr := s.ms.ListDataset(s.ta.Ctx, &squat)
	if !errors.Is(copyErr, types.ErrOlderCommitment) {
		t.Errorf("the copier's listing of the owner's root with its own sha256: %v, want ErrOlderCommitment", copyErr)
	}
	l := s.ledger(s.owner.Address, s.other.Address, s.buyer.Address)
	res, err := s.ms.ListDataset(s.ta.Ctx, pending)
	if err != nil {
		t.Errorf("the owner's relayed listing, on the older commitment: %v (the copier's listing of the owner's root on a younger commitment: id %v, err %v)",
			err, copyRes, copyErr)
		if copyErr == nil {
			copierBefore := s.ta.Balance(s.other.Address, denom)
			s.buy(buyer, copyRes.DatasetId, 0)
			t.Logf("the buyer's 1,000 for the dataset carrying the owner's root paid the copier %s", s.ta.Balance(s.other.Address, denom).Sub(copierBefore))
			l.expect("the buyer's purchase of the dataset with the owner's root (want the owner paid 975)", 975, 0, -1000)
		}
		return
	}
	s.buy(buyer, res.DatasetId, 0)
	l.expect("the buyer's purchase of the owner's file", 975, 0, -1000)
}

package keeper_test

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackRelayedListingLosesToCopiersLaterCommitment: commit-then-list
// assumes that a listing's digests become public only in a block that could
// include the listing ("a copier learns the digests only from the owner's
// listing, so its commitment is too recent in every block that could hold
// the owner's listing"). A listing sent by an interchain account is public
// earlier: the controller chain's MsgSendTx carries the MsgListDataset (root,
// sha256) in its packet, in the controller's mempool, block and
// send_packet event, and aichain executes it only when a relayer delivers
// it (the controller's block, its next header, a client update: routinely
// several aichain blocks, and unbounded when the owner's relayer is slow or
// the packet times out and is sent again). No proposer needs to collude: a
// copier who watches the controller chain commits on aichain at once and
// lists content_commit_delay_blocks (K, default 10) later; the owner's
// listing, relayed K or more blocks after the packet was sent, is refused
// for good (ErrContentTaken), though its commitment is older than the
// copier's, and buyers pay the copier.
//
// What the test wants: the older commitment wins (each is filed under the
// file's content key, and a listing is refused while another owner holds an
// older unexpired one that verifies: ErrOlderCommitment). The owner
// committed K blocks before its packet; the copier committed after the
// digests were public; the buyer's 1,000 pays the owner 975.
func TestAttackRelayedListingLosesToCopiersLaterCommitment(t *testing.T) {
	s := setup(t)
	s.withCommits(100)
	owner, copier, buyer := s.owner.String(), s.other.String(), s.buyer.String()
	pending := listMsg(owner, perpetual(1000, false))
	s.commit(s.owner.Address, pending.ContentRoot, pending.Sha256)
	s.blocks(commitDelay)

	// The owner's packet is sent on the controller chain: the copier reads
	// the digests there and commits on aichain in the next block.
	squat := *pending
	squat.Owner = copier
	s.commit(s.other.Address, squat.ContentRoot, squat.Sha256)
	// The relayer delivers the packet K blocks later; the copier's listing
	// lands in that block ahead of it.
	s.blocks(commitDelay)
	if _, err := s.ms.ListDataset(s.ta.Ctx, &squat); !errors.Is(err, types.ErrOlderCommitment) {
		t.Errorf("the copier's listing, on a commitment made after the owner's listing was public and younger than the owner's: %v, want ErrOlderCommitment", err)
	}
	res, err := s.ms.ListDataset(s.ta.Ctx, pending)
	if err != nil {
		t.Fatalf("the owner's relayed listing, on the older commitment: %v", err)
	}
	l := s.ledger(s.owner.Address, s.other.Address, s.buyer.Address)
	s.buy(buyer, res.DatasetId, 0)
	l.expect("the buyer's purchase of the owner's file", 975, 0, -1000)
}

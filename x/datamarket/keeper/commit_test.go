package keeper_test

import (
	"encoding/hex"
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

// commitDelay is the content_commit_delay_blocks of these tests.
const commitDelay = 3

// withCommits sets content_commit_delay_blocks to commitDelay and the ttl to
// ttl (the test chain lists without commitments: apptesting).
func (s *suite) withCommits(ttl uint64) {
	s.t.Helper()
	p, err := s.k.GetParams(s.ta.Ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	p.ContentCommitDelayBlocks, p.ContentCommitTtlBlocks = commitDelay, ttl
	if err := s.k.Params.Set(s.ta.Ctx, p); err != nil {
		s.t.Fatal(err)
	}
}

// commit sends owner's commitment to (root, sha) and to the file's rows
// (rowsOf(sha)).
func (s *suite) commit(owner sdk.AccAddress, root []byte, sha string) *types.MsgCommitContentResponse {
	s.t.Helper()
	return s.commitRows(owner, root, sha, rowsOf(sha))
}

// commitRows sends owner's commitment to (root, sha, rowsSha).
func (s *suite) commitRows(owner sdk.AccAddress, root []byte, sha, rowsSha string) *types.MsgCommitContentResponse {
	s.t.Helper()
	res, err := s.ms.CommitContent(s.ta.Ctx, types.NewMsgCommitContent(owner, root, sha, rowsSha))
	if err != nil {
		s.t.Fatalf("commit: %v", err)
	}
	return res
}

// blocks runs n blocks (their EndBlockers too).
func (s *suite) blocks(n int) {
	for range n {
		s.ta.NextBlock()
	}
}

// TestAttackMempoolCopierListsOwnersFileFirst: "a file belongs to the first
// dataset that lists it", and a listing carries the file's content_root,
// sha256 and uri in the clear. The owner broadcasts MsgListDataset for its
// file X; a copier (any mempool watcher, or the block's proposer) copied
// root, sha256 and uri into a listing of its own that landed first: the
// owner's listing was refused for good (ErrContentTaken), and a buyer who
// looked X up by its sha256 paid the copier (975 of 1,000) for a licence no
// dataset server honours. Now a listing of new content reveals its owner's
// commitment made content_commit_delay_blocks before: the copier, who sees
// the digests only in the owner's listing, has no commitment (refused), and
// one it makes then is too recent (refused) in the block that holds the
// owner's listing, and every later one, since the file is then the owner's.
// The buyer pays the owner.
func TestAttackMempoolCopierListsOwnersFileFirst(t *testing.T) {
	s := setup(t)
	s.withCommits(100)
	owner, copier, buyer := s.owner.String(), s.other.String(), s.buyer.String()
	pending := listMsg(owner, perpetual(1000, false))
	s.commit(s.owner.Address, pending.ContentRoot, pending.Sha256)
	s.blocks(commitDelay)
	// pending is in the mempool now: the copier copies it.
	squat := *pending
	squat.Owner = copier
	before := s.snap(s.owner.Address, s.other.Address, s.buyer.Address)
	if _, err := s.ms.ListDataset(s.ta.Ctx, &squat); !errors.Is(err, types.ErrNoCommitment) {
		t.Fatalf("the copier's listing without a commitment: %v, want ErrNoCommitment", err)
	}
	s.unchanged(before, "a copier's refused listing", s.owner.Address, s.other.Address, s.buyer.Address)
	s.commit(s.other.Address, squat.ContentRoot, squat.Sha256)
	if _, err := s.ms.ListDataset(s.ta.Ctx, &squat); !errors.Is(err, types.ErrCommitTooRecent) {
		t.Fatalf("the copier's listing on a commitment made after it saw the digests: %v, want ErrCommitTooRecent", err)
	}

	l := s.ledger(s.owner.Address, s.other.Address, s.buyer.Address)
	id := s.list(pending)
	s.buy(buyer, id, 0)
	l.expect("the buyer's purchase of X", 975, 0, -1000)

	// K blocks later the copier's commitment is old enough, and the file is
	// the owner's.
	s.blocks(commitDelay)
	if _, err := s.ms.ListDataset(s.ta.Ctx, &squat); !errors.Is(err, types.ErrContentTaken) {
		t.Fatalf("the copier's listing once its commitment is old enough: %v, want ErrContentTaken", err)
	}
}

// TestCommitmentIsOneOwnersAndUsedOnce: a commitment binds its owner (the
// owner's digest sent by another account is that account's, and lists
// nothing of either's), is used by one listing, and the owner's second
// commitment to the same digests keeps the first one's height and renews
// it (a ttl from now).
func TestCommitmentIsOneOwnersAndUsedOnce(t *testing.T) {
	s := setup(t)
	s.withCommits(100)
	msg := listMsg(s.owner.String(), perpetual(1000, false))
	first := s.commit(s.owner.Address, msg.ContentRoot, msg.Sha256)
	s.blocks(1)
	copied := types.NewMsgCommitContent(s.owner.Address, msg.ContentRoot, msg.Sha256, msg.RowsSha256)
	copied.Sender = s.other.String() // the owner's digest, as another account's
	if _, err := s.ms.CommitContent(s.ta.Ctx, copied); err != nil {
		t.Fatal(err)
	}
	again := s.commit(s.owner.Address, msg.ContentRoot, msg.Sha256)
	if again.ListableHeight != first.ListableHeight || again.ExpiresHeight != first.ExpiresHeight+1 {
		t.Fatalf("the owner's commitment again a block later: %+v, first %+v; want the same listable height, renewed a block", again, first)
	}
	s.blocks(commitDelay - 1)
	other := *msg
	other.Owner = s.other.String()
	if _, err := s.ms.ListDataset(s.ta.Ctx, &other); !errors.Is(err, types.ErrNoCommitment) {
		t.Fatalf("another owner's listing on the owner's commitment: %v, want ErrNoCommitment", err)
	}
	id := s.list(msg)
	if _, err := s.q.ContentCommit(s.ta.Ctx, &types.QueryContentCommitRequest{Owner: s.owner.String(),
		Commitment: hex.EncodeToString(types.RootCommitment(s.owner.Address, msg.ContentRoot)),
	}); status.Code(err) != codes.NotFound {
		t.Fatalf("a used commitment: %v, want NotFound", err)
	}
	if res, err := s.q.ContentCommit(s.ta.Ctx, &types.QueryContentCommitRequest{Owner: s.other.String(),
		Commitment: hex.EncodeToString(copied.RootCommitment),
	}); err != nil || res.ContentCommit.Owner != s.other.String() || res.ContentCommit.Height != first.ListableHeight-commitDelay+1 {
		t.Fatalf("the other account's copy: %+v, %v", res, err)
	}
	// A new version needs a commitment of its own; the file of an earlier
	// version comes back without one.
	v2 := &types.MsgUpdateDataset{Owner: s.owner.String(), DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16,
		ContentRoot: rootOf("v2"), Sha256: shaOf("v2"), RowsSha256: rowsOf(shaOf("v2"))}
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, v2); !errors.Is(err, types.ErrNoCommitment) {
		t.Fatalf("a new version without a commitment: %v, want ErrNoCommitment", err)
	}
	s.commit(s.owner.Address, v2.ContentRoot, v2.Sha256)
	s.blocks(commitDelay)
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, v2); err != nil {
		t.Fatalf("a new version on its commitment: %v", err)
	}
	back := *v2
	back.ContentRoot, back.Sha256 = msg.ContentRoot, msg.Sha256
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &back); err != nil {
		t.Fatalf("version 1's file published again: %v", err)
	}
}

// TestCommitmentsExpireAndArePrunedWithinTheBudget: a commitment lists its
// file until its ttl, and the EndBlocker prunes expired ones at most
// max_expiries_per_block a block, the rest in later blocks.
func TestCommitmentsExpireAndArePrunedWithinTheBudget(t *testing.T) {
	s := setup(t)
	const ttl = commitDelay + 2
	s.withCommits(ttl)
	p, err := s.k.GetParams(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.MaxExpiriesPerBlock = 2
	if err := s.k.Params.Set(s.ta.Ctx, p); err != nil {
		t.Fatal(err)
	}
	msg := listMsg(s.owner.String(), perpetual(1000, false))
	s.commit(s.owner.Address, msg.ContentRoot, msg.Sha256)
	for i := range 4 {
		s.commit(s.owner.Address, rootOf(string(rune('a'+i))), shaOf(string(rune('a'+i))))
	}
	count := func() int {
		n := 0
		if err := s.k.ContentCommits.Map.Walk(s.ta.Ctx, nil, func([]byte, common.Commitment) (bool, error) { n++; return false, nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	s.blocks(ttl)
	if _, err := s.ms.ListDataset(s.ta.Ctx, msg); !errors.Is(err, types.ErrNoCommitment) {
		t.Fatalf("a listing on an expired commitment: %v, want ErrNoCommitment", err)
	}
	s.blocks(ttl) // kept a ttl past its expiry
	// Expired at this height: the EndBlocker of this block is the first to prune.
	for _, want := range []int{13, 11, 9, 7, 5, 3, 1, 0} { // three records a commitment
		s.blocks(1)
		if got := count(); got != want {
			t.Fatalf("%d commitments left, want %d (2 pruned a block)", got, want)
		}
	}
}

// TestContentCommitsSurviveExport: the commitments not yet used move
// through an exported genesis, their queue rebuilt.
func TestContentCommitsSurviveExport(t *testing.T) {
	s := setup(t)
	s.withCommits(100)
	msg := listMsg(s.owner.String(), perpetual(1000, false))
	s.commit(s.owner.Address, msg.ContentRoot, msg.Sha256)
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil || len(gs.ContentCommits) != 3 { // the root's, the sha256's and the rows'
		t.Fatalf("exported %d commitments: %v", len(gs.ContentCommits), err)
	}
	fresh := setup(t)
	if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); err != nil {
		t.Fatal(err)
	}
	fresh.ta.Ctx = fresh.ta.Ctx.WithBlockHeight(s.ta.Ctx.BlockHeight() + commitDelay)
	if _, err := fresh.ms.ListDataset(fresh.ta.Ctx, msg); err != nil {
		t.Fatalf("a listing on an imported commitment: %v", err)
	}
	bad := *gs
	bad.ContentCommits = append(bad.ContentCommits, gs.ContentCommits[0])
	if err := bad.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("a commitment twice: %v, want ErrInvalidGenesis", err)
	}
}

// TestCommitAgainAfterKeepingBeforePruning: a commitment past its keeping
// (a ttl after its expiry) that the EndBlocker has not pruned yet (its
// budget carries a backlog over) is made anew by a second commitment: the
// owner, committing again, lists its file the delay later, not after the
// pruning. One expired but still kept is renewed with its first height:
// it lists at once.
func TestCommitAgainAfterKeepingBeforePruning(t *testing.T) {
	s := setup(t)
	const ttl = commitDelay + 2
	s.withCommits(ttl)
	msg := listMsg(s.owner.String(), perpetual(1000, false))
	first := s.commit(s.owner.Address, msg.ContentRoot, msg.Sha256)
	// Past its expiry, still kept: renewed, its height kept.
	s.ta.Ctx = s.ta.Ctx.WithBlockHeight(first.ExpiresHeight)
	renewed := s.commit(s.owner.Address, msg.ContentRoot, msg.Sha256)
	if renewed.ListableHeight != first.ListableHeight || renewed.ExpiresHeight != first.ExpiresHeight+ttl {
		t.Fatalf("committed again at its expiry: %+v, first %+v; want its listable height, a ttl more", renewed, first)
	}
	// Past its keeping, with no block run: nothing pruned it.
	s.ta.Ctx = s.ta.Ctx.WithBlockHeight(renewed.ExpiresHeight + ttl)
	again := s.commit(s.owner.Address, msg.ContentRoot, msg.Sha256)
	if again.ListableHeight != s.ta.Ctx.BlockHeight()+commitDelay {
		t.Fatalf("committed again at %d: listable from %d, want %d", s.ta.Ctx.BlockHeight(), again.ListableHeight, s.ta.Ctx.BlockHeight()+commitDelay)
	}
	s.ta.Ctx = s.ta.Ctx.WithBlockHeight(again.ListableHeight)
	s.list(msg)
}

// TestOnlyAnOlderCommitmentThatVerifiesHoldsTheContent: under a file's
// root's key, an older entry of another owner that does not verify (junk
// filed under the key), one no longer kept (a ttl past its expiry), and
// the lister's own older one do not refuse the listing; a younger one of
// another owner that verifies does not either.
func TestOnlyAnOlderCommitmentThatVerifiesHoldsTheContent(t *testing.T) {
	s := setup(t)
	const ttl = commitDelay + 4
	s.withCommits(ttl)
	msg := listMsg(s.owner.String(), perpetual(1000, false))
	key := types.RootKey(msg.ContentRoot)
	// Expired by the listing: the other account's real commitment.
	expired := s.commit(s.other.Address, msg.ContentRoot, msg.Sha256)
	s.blocks(ttl + 2)
	// Junk under the key, older than the owner's.
	junk := types.NewMsgCommitContent(s.buyer.Address, rootOf("junk"), shaOf("junk"), rowsOf(shaOf("junk")))
	junk.RootKey = key // a junk root commitment under the owner's root's key
	if _, err := s.ms.CommitContent(s.ta.Ctx, junk); err != nil {
		t.Fatal(err)
	}
	s.blocks(1)
	s.commit(s.owner.Address, rootOf("owner's other file"), shaOf("owner's other file"))
	s.commit(s.owner.Address, msg.ContentRoot, msg.Sha256)
	s.blocks(1)
	// Younger than the owner's, and verifies.
	s.commit(s.buyer.Address, msg.ContentRoot, msg.Sha256)
	s.blocks(commitDelay)
	if h := s.ta.Ctx.BlockHeight(); h < expired.ExpiresHeight+ttl {
		t.Fatalf("at height %d the other account's commitment is still kept (until %d)", h, expired.ExpiresHeight+ttl)
	}
	s.list(msg)
}

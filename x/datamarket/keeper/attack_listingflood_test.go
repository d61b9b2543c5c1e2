package keeper_test

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/testutil/storeiter"
	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackListingFloodOpensTwoIteratorsPerListing: anyone lists datasets
// for the gas alone (x/datamarket charges no listing fee), each with fresh
// content. ListDataset and UpdateDataset check that no other dataset holds
// the content root or the sha256 (checkContent), which looked them up with
// indexes.Multi.MatchExact, an iterator on the module's store: two per
// listing and two per new version. An iterator inside a block scans the
// block's writes to the module's store so far (testutil/storeiter's
// package doc), work no gas pays for, so a block of listings cost every
// node quadratic time in the block's writes. Now the content is filed by
// key (ContentRoots, ContentShas): a listing and a version read by key
// only, refusals included.
func TestAttackListingFloodOpensTwoIteratorsPerListing(t *testing.T) {
	s := setup(t)
	owner, other := s.owner.String(), s.other.String()
	first := s.list(listMsg(owner, perpetual(100, true)))

	ctx, iters := storeiter.Wrap(s.ta.Ctx)
	const n = 10
	for range n {
		if _, err := s.ms.ListDataset(ctx, listMsg(other, perpetual(1, false))); err != nil {
			t.Fatal(err)
		}
	}
	listings := iters.Total()
	iters.Reset()
	m := listMsg(owner)
	if _, err := s.ms.UpdateDataset(ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: first, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: m.ContentRoot, Sha256: m.Sha256, RowsSha256: rowsOf(m.Sha256), Uri: m.Uri,
	}); err != nil {
		t.Fatal(err)
	}
	version := iters.Total()
	iters.Reset()
	// A listing of content another dataset holds is refused.
	taken := listMsg(other, perpetual(1, false))
	taken.ContentRoot, taken.Sha256 = m.ContentRoot, m.Sha256
	s.expectFail("taken content", types.ErrContentTaken, func() error {
		_, err := s.ms.ListDataset(ctx, taken)
		return err
	})
	refusal := iters.Total()
	if listings+version+refusal != 0 {
		t.Fatalf("%d listings opened %d iterators, a new version %d, a refused listing %d (%s): each content check "+
			"(ByRoot, BySha256 MatchExact) scans the block's writes to the module's store, unpaid by gas",
			n, listings, version, refusal, iters)
	}
}

// TestAttackListingFloodAtCommitDelayOpensNoIterators: at a commit delay
// above 0 (every chain but the unit tests'), a listing of new content
// checks that no other owner holds an older commitment under each digest's
// key (modkit.Commitments.Use), which read the key's entries with an
// iterator: one per digest of every listing, each scanning the block's
// writes before it, so a block of listings cost every node quadratic time
// again. Now the entries under a key are counted (Holders): a key that
// holds the publisher's own commitment only, the usual case, is read by
// key. The same listings by a copier that committed under the owner's keys
// still read them (refused: ErrOlderCommitment).
func TestAttackListingFloodAtCommitDelayOpensNoIterators(t *testing.T) {
	s := setup(t)
	s.withCommits(100)
	const n = 10
	var msgs []*types.MsgListDataset
	for range n {
		m := listMsg(s.other.String(), perpetual(1, false))
		s.commit(s.other.Address, m.ContentRoot, m.Sha256)
		msgs = append(msgs, m)
	}
	s.blocks(commitDelay)
	ctx, iters := storeiter.Wrap(s.ta.Ctx)
	for _, m := range msgs {
		if _, err := s.ms.ListDataset(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if got := iters.Total(); got != 0 {
		t.Fatalf("%d listings at a commit delay opened %d iterators (%s): each older-commitment check scans the block's writes, unpaid by gas", n, got, iters)
	}
	// A copier's younger commitment under an owner's keys: the owner's
	// listing reads the key (and publishes), the copier's is refused.
	m := listMsg(s.owner.String(), perpetual(1, false))
	s.commit(s.owner.Address, m.ContentRoot, m.Sha256)
	s.blocks(1)
	copied := *m
	copied.Owner = s.other.String()
	s.commit(s.other.Address, copied.ContentRoot, copied.Sha256)
	s.blocks(commitDelay)
	if _, err := s.ms.ListDataset(s.ta.Ctx, &copied); !errors.Is(err, types.ErrOlderCommitment) {
		t.Fatalf("the copier's listing on a younger commitment: %v, want ErrOlderCommitment", err)
	}
	if _, err := s.ms.ListDataset(s.ta.Ctx, m); err != nil {
		t.Fatalf("the owner's listing: %v", err)
	}
}

// TestMigrate4to5FilesStoredContent: versions stored before version 5 (no
// content files) are filed by the migration, so their content stays
// refused to other datasets and open to its own dataset's new versions.
func TestMigrate4to5FilesStoredContent(t *testing.T) {
	s := setup(t)
	owner, other := s.owner.String(), s.other.String()
	m := listMsg(owner, perpetual(100, true))
	id := s.list(m)
	// As a version-4 store holds it: the version without its content files.
	if err := s.k.ContentRoots.Remove(s.ta.Ctx, m.ContentRoot); err != nil {
		t.Fatal(err)
	}
	if err := s.k.ContentShas.Remove(s.ta.Ctx, m.Sha256); err != nil {
		t.Fatal(err)
	}
	if err := keeper.NewMigrator(s.k).Migrate4to5(s.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := s.k.ContentRoots.Get(s.ta.Ctx, m.ContentRoot); err != nil || got != id {
		t.Fatalf("root filed as dataset %d (%v), want %d", got, err, id)
	}
	taken := listMsg(other, perpetual(1, false))
	taken.ContentRoot, taken.Sha256 = m.ContentRoot, m.Sha256
	s.expectFail("content of a dataset stored before the migration", types.ErrContentTaken, func() error {
		_, err := s.ms.ListDataset(s.ta.Ctx, taken)
		return err
	})
}

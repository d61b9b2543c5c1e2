package keeper_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/types"
)

// rowsFile is a 150×4 file of the owner's rows, framed with a .npy header
// of major version major and described with rowsPerChunk rows a chunk.
func rowsFile(t *testing.T, major int, rowsPerChunk uint64) *dataset.Description {
	t.Helper()
	m := &workload.Matrix{Rows: 150, Cols: 4, Data: make([]float32, 600)}
	for i := range m.Data {
		m.Data[i] = float32(i%97) * 0.25
	}
	file, err := workload.EncodeNPYVersion(m, major)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dataset.Describe(file, rowsPerChunk)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// listing is owner's listing of f at price.
func listingOf(owner string, f *dataset.Description, price int64) *types.MsgListDataset {
	m := listMsg(owner, perpetual(price, false))
	m.Rows, m.Cols, m.RowsPerChunk = f.Rows, f.Cols, f.RowsPerChunk
	m.ContentRoot, m.Sha256, m.RowsSha256 = f.Root(), f.Sha256, f.RowsSha256
	return m
}

// TestAttackRechunkedCopyListsOwnersRowsAsCopiersDataset: "a file belongs to
// the first dataset that lists it" was enforced on the file's two digests,
// the content_root and the sha256. Neither identifies the rows: the
// content_root is the Merkle root over chunks of rows_per_chunk rows, a
// number the lister picks, and the sha256 covers the .npy header, which
// nobody reads (dataset.DescribeRecord takes the file's last rows·cols·4
// bytes). A licensee who bought the owner's file listed the very same rows
// as its dataset with --rows-per-chunk 17 instead of 16 and a version-2
// .npy header: both digests new, no content check and no commitment of the
// owner's stood in the way, and each buyer's 500 paid the copier 488 and
// the owner nothing. A listing now declares the sha256 of its rows alone
// (rows_sha256, which the CLI computes and whoever downloads the file
// checks), and a rows key another dataset holds is refused.
func TestAttackRechunkedCopyListsOwnersRowsAsCopiersDataset(t *testing.T) {
	s := setup(t)
	s.withCommits(100)
	owner, copier, buyer := s.owner.String(), s.other.String(), s.buyer.String()

	orig := rowsFile(t, 1, 16)
	list := listingOf(owner, orig, 1000)
	s.commitRows(s.owner.Address, list.ContentRoot, list.Sha256, list.RowsSha256)
	s.blocks(commitDelay)
	id := s.list(list)

	// The copier buys the owner's file (1,000: 975 to the owner, 25 to the pool).
	s.buy(copier, id, 0)

	// Same rows, re-framed (v2 header) and re-chunked (17 rows a chunk).
	cp := rowsFile(t, 2, 17)
	body := func(f []byte) []byte { return f[len(f)-150*4*4:] }
	if !bytes.Equal(body(orig.Data), body(cp.Data)) || orig.Sha256 == cp.Sha256 || bytes.Equal(orig.Root(), cp.Root()) {
		t.Fatal("set-up: the copy must hold the owner's rows under two new digests")
	}
	steal := listingOf(copier, cp, 500)
	s.commitRows(s.other.Address, steal.ContentRoot, steal.Sha256, steal.RowsSha256)
	s.blocks(commitDelay)

	l := s.ledger(s.owner.Address, s.other.Address, s.buyer.Address, s.pool)
	next := func() uint64 {
		n, err := s.k.DatasetSeq.Peek(s.ta.Ctx)
		mustOK(t, err)
		return n
	}
	before := next()
	if res, err := s.ms.ListDataset(s.ta.Ctx, steal); !errors.Is(err, types.ErrContentTaken) {
		t.Fatalf("the copier listed the owner's 150×4 rows re-chunked as its dataset (%v, %v), want ErrContentTaken", res, err)
	}
	if got := next(); got != before {
		t.Fatalf("a refused listing moved the next dataset id to %d, want %d", got, before)
	}
	// Nor may it bring them in as a new version of a dataset of its own.
	ownList := listMsg(copier, perpetual(1, false))
	s.commit(s.other.Address, ownList.ContentRoot, ownList.Sha256)
	s.blocks(commitDelay)
	own := s.list(ownList)
	upd := &types.MsgUpdateDataset{Owner: copier, DatasetId: own, Rows: cp.Rows, Cols: cp.Cols, RowsPerChunk: cp.RowsPerChunk,
		ContentRoot: cp.Root(), Sha256: cp.Sha256, RowsSha256: cp.RowsSha256}
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, upd); !errors.Is(err, types.ErrContentTaken) {
		t.Fatalf("the copier published the owner's rows as a new version of its dataset %d: %v, want ErrContentTaken", own, err)
	}
	l.expect("the refused copies", 0, 0, 0, 0)

	s.buy(buyer, id, 0)
	l.expect("the buyer's purchase of the owner's rows", 975, 0, -1000, 25)
}

// TestOwnerPublishesItsRowsRechunked: the owner of rows may publish them
// re-chunked and re-framed as a new version of its own dataset: the rows key
// is already its, and only the new root and sha256 need its commitment.
func TestOwnerPublishesItsRowsRechunked(t *testing.T) {
	s := setup(t)
	s.withCommits(100)
	orig := rowsFile(t, 1, 16)
	list := listingOf(s.owner.String(), orig, 1000)
	s.commitRows(s.owner.Address, list.ContentRoot, list.Sha256, list.RowsSha256)
	s.blocks(commitDelay)
	id := s.list(list)

	v2 := rowsFile(t, 2, 20)
	mine := &types.MsgUpdateDataset{Owner: s.owner.String(), DatasetId: id, Rows: v2.Rows, Cols: v2.Cols, RowsPerChunk: v2.RowsPerChunk,
		ContentRoot: v2.Root(), Sha256: v2.Sha256, RowsSha256: v2.RowsSha256}
	// A commitment to the new root and sha256 alone: the rows key is its.
	s.commitRows(s.owner.Address, v2.Root(), v2.Sha256, shaOf("unrelated"))
	s.blocks(commitDelay)
	if res, err := s.ms.UpdateDataset(s.ta.Ctx, mine); err != nil || res.Version != 2 {
		t.Fatalf("the owner's own rows re-chunked as its new version: %v, %v", res, err)
	}
	if got, err := s.k.RowsShas.Get(s.ta.Ctx, v2.RowsSha256); err != nil || got != id {
		t.Fatalf("the rows key is dataset %d's (%v), want %d", got, err, id)
	}
}

// TestAttackMempoolCopierTakesOwnersRowsKey: the listing carries the rows
// key in the clear, so a mempool watcher could pair the owner's rows key
// with a root and sha256 of its own, committed to long before, and list
// first: the owner's listing would then be refused for good. A rows key is
// claimed by a commitment of its own (MsgCommitContent's rows_commitment),
// which the watcher, who learns the key from the owner's listing, cannot
// have made before the owner.
func TestAttackMempoolCopierTakesOwnersRowsKey(t *testing.T) {
	s := setup(t)
	s.withCommits(100)
	orig := rowsFile(t, 1, 16)
	list := listingOf(s.owner.String(), orig, 1000)
	// The watcher's own digests, committed to early (rows key and all).
	squat := listMsg(s.other.String(), perpetual(1, false))
	s.commit(s.other.Address, squat.ContentRoot, squat.Sha256)
	s.commitRows(s.owner.Address, list.ContentRoot, list.Sha256, list.RowsSha256)
	s.blocks(commitDelay)

	// The owner's listing is in the mempool: the watcher copies its rows key,
	// and commits to it too late.
	squat.RowsSha256 = list.RowsSha256
	if _, err := s.ms.ListDataset(s.ta.Ctx, squat); !errors.Is(err, types.ErrNoCommitment) {
		t.Fatalf("the watcher listed the owner's rows key without a commitment to it: %v, want ErrNoCommitment", err)
	}
	s.commitRows(s.other.Address, squat.ContentRoot, squat.Sha256, squat.RowsSha256)
	if _, err := s.ms.ListDataset(s.ta.Ctx, squat); !errors.Is(err, types.ErrCommitTooRecent) {
		t.Fatalf("the watcher listed the owner's rows key on a commitment made in the owner's block: %v, want ErrCommitTooRecent", err)
	}
	s.blocks(commitDelay)
	if _, err := s.ms.ListDataset(s.ta.Ctx, squat); !errors.Is(err, types.ErrOlderCommitment) {
		t.Fatalf("the watcher listed the owner's rows key while the owner's older commitment stands: %v, want ErrOlderCommitment", err)
	}
	id := s.list(list)
	if got, err := s.k.RowsShas.Get(s.ta.Ctx, list.RowsSha256); err != nil || got != id {
		t.Fatalf("the rows key is dataset %d's (%v), want the owner's %d", got, err, id)
	}
}

// TestLegacyDatasetDeclaresItsRowsWithTheSameFile: a dataset listed before
// the rows key has none, and its rows could be listed re-chunked by anyone.
// Its owner declares them by publishing its current file again with the rows
// key (the one new version that may repeat the sha256); once declared, the
// same file again is no new version, and a re-chunked copy is refused.
func TestLegacyDatasetDeclaresItsRowsWithTheSameFile(t *testing.T) {
	s := setup(t)
	ctx := s.ta.Ctx
	orig := rowsFile(t, 1, 16)
	list := listingOf(s.owner.String(), orig, 1000)
	id := s.list(list)
	unindexContent(t, s, ctx) // listed before the rows key: none recorded
	mustOK(t, keeper.NewMigrator(s.k).Migrate4to5(ctx))

	again := &types.MsgUpdateDataset{Owner: s.owner.String(), DatasetId: id, Rows: orig.Rows, Cols: orig.Cols,
		RowsPerChunk: orig.RowsPerChunk, ContentRoot: orig.Root(), Sha256: orig.Sha256, RowsSha256: orig.RowsSha256}
	res, err := s.ms.UpdateDataset(ctx, again)
	if err != nil || res.Version != 2 {
		t.Fatalf("the owner declaring its legacy rows: %v, %v", res, err)
	}
	d, err := s.k.GetDataset(ctx, id)
	if err != nil || d.RowsSha256 != orig.RowsSha256 || d.Sha256 != orig.Sha256 {
		t.Fatalf("dataset after the declaration: %+v, %v", d, err)
	}
	if _, err := s.ms.UpdateDataset(ctx, again); !errors.Is(err, types.ErrInvalidDataset) {
		t.Fatalf("the same file a second time: %v, want ErrInvalidDataset", err)
	}
	cp := rowsFile(t, 2, 17)
	if _, err := s.ms.ListDataset(ctx, listingOf(s.other.String(), cp, 1)); !errors.Is(err, types.ErrContentTaken) {
		t.Fatalf("a re-chunked copy of declared rows: %v, want ErrContentTaken", err)
	}
}

// TestRowsKeySurvivesGenesis: the rows keys move through an exported
// genesis (each version's rows_sha256) and InitGenesis files them again, so
// a re-chunked copy is refused on the new chain too; a genesis with a
// malformed rows key, or a dataset whose rows key is not its current
// version's, is refused.
func TestRowsKeySurvivesGenesis(t *testing.T) {
	s := setup(t)
	orig := rowsFile(t, 1, 16)
	id := s.list(listingOf(s.owner.String(), orig, 1000))
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	mustOK(t, err)
	fresh := setup(t)
	mustOK(t, fresh.k.InitGenesis(fresh.ta.Ctx, gs))
	if got, err := fresh.k.RowsShas.Get(fresh.ta.Ctx, orig.RowsSha256); err != nil || got != id {
		t.Fatalf("imported rows key filed as dataset %d's (%v), want %d", got, err, id)
	}
	if _, err := fresh.ms.ListDataset(fresh.ta.Ctx, listingOf(s.other.String(), rowsFile(t, 2, 17), 1)); !errors.Is(err, types.ErrContentTaken) {
		t.Fatalf("a re-chunked copy on the imported chain: %v, want ErrContentTaken", err)
	}

	for name, edit := range map[string]func(*types.GenesisState){
		"upper-case rows key": func(g *types.GenesisState) {
			g.DatasetVersions[0].RowsSha256 = string(bytes.ToUpper([]byte(g.DatasetVersions[0].RowsSha256)))
			g.Datasets[0].RowsSha256 = g.DatasetVersions[0].RowsSha256
		},
		"dataset's rows key not its version's": func(g *types.GenesisState) { g.Datasets[0].RowsSha256 = "" },
	} {
		bz, err := gs.Marshal()
		mustOK(t, err)
		bad := new(types.GenesisState)
		mustOK(t, bad.Unmarshal(bz))
		edit(bad)
		if err := bad.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
			t.Errorf("%s: %v, want ErrInvalidGenesis", name, err)
		}
	}
}

package types_test

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/x/datamarket/types"
)

// TestChunkTooSmallIsIndexOverValues: over every chunking of small shapes,
// a version is refused exactly when it has more than one chunk and
// ⌈rows / rows_per_chunk⌉ chunks of 88 bytes of index outweigh its
// rows·cols·4 bytes of values, and MinRowsPerChunk is the finest chunking
// admitted.
func TestChunkTooSmallIsIndexOverValues(t *testing.T) {
	if types.ChunkIndexBytes != 88 {
		t.Fatalf("ChunkIndexBytes %d, want 88 (a 24-byte slice header and two 32-byte hashes)", types.ChunkIndexBytes)
	}
	for rows := uint64(1); rows <= 120; rows++ {
		for cols := uint64(1); cols <= 30; cols++ {
			minRPC := types.MinRowsPerChunk(rows, cols)
			for rpc := uint64(1); rpc <= rows; rpc++ {
				chunks := (rows + rpc - 1) / rpc
				want := chunks > 1 && chunks*88 > rows*cols*4
				if got := types.ChunkTooSmall(rows, cols, rpc); got != want {
					t.Fatalf("%d×%d in chunks of %d: too small %t, want %t", rows, cols, rpc, got, want)
				}
				if want != (rpc < minRPC) {
					t.Fatalf("%d×%d: MinRowsPerChunk %d, but chunks of %d are too small: %t", rows, cols, minRPC, rpc, want)
				}
			}
		}
	}
	for _, c := range []struct{ rows, cols, want uint64 }{
		{880, 1, 22}, {1<<28 - 1<<18 - 4, 1, 23}, {1 << 20, 22, 1}, {1 << 20, 11, 2}, {21, 1, 21}, {1 << 40, 1 << 20, 1},
	} {
		if got := types.MinRowsPerChunk(c.rows, c.cols); got != c.want {
			t.Errorf("MinRowsPerChunk(%d, %d) = %d, want %d", c.rows, c.cols, got, c.want)
		}
	}
}

// TestListingAndVersionRefuseChunksSmallerThanTheirIndex: both messages
// that publish a version refuse one cut finer than MinRowsPerChunk with
// ErrChunksTooSmall and take it at MinRowsPerChunk; one chunk always passes.
func TestListingAndVersionRefuseChunksSmallerThanTheirIndex(t *testing.T) {
	const rows, cols = 1000, 2
	min := types.MinRowsPerChunk(rows, cols) // 1000 rows × 8 bytes / 88: 90 chunks of 12 rows
	if min != 12 {
		t.Fatalf("MinRowsPerChunk(%d, %d) = %d, want 12", rows, cols, min)
	}
	for _, c := range []struct {
		rpc  uint64
		want error
	}{{1, types.ErrChunksTooSmall}, {min - 1, types.ErrChunksTooSmall}, {min, nil}, {rows, nil}} {
		l := validList()
		l.Rows, l.Cols, l.RowsPerChunk = rows, cols, c.rpc
		u := &types.MsgUpdateDataset{Owner: l.Owner, DatasetId: 1, Rows: rows, Cols: cols, RowsPerChunk: c.rpc,
			ContentRoot: l.ContentRoot, Sha256: l.Sha256, RowsSha256: l.RowsSha256}
		for _, err := range []error{l.ValidateBasic(), u.ValidateBasic()} {
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("chunks of %d rows: %v, want %v", c.rpc, err, c.want)
			}
		}
	}
	// A tiny version in one chunk: its index outweighs its 4 bytes of values.
	l := validList()
	l.Rows, l.Cols, l.RowsPerChunk = 1, 1, 1
	if err := l.ValidateBasic(); err != nil {
		t.Fatalf("one value in one chunk: %v", err)
	}
}

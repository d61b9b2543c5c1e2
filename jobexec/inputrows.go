package jobexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aichain/aichain/internal/loadcache"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// A provider serves the input rows under every output chunk a validator
// samples of an mlp or gpt job (serveMLPInputs). Dataset versions are
// kept in memory only datasetsInMemory at a time, so a provider holding jobs
// on more versions than that loaded a whole file (up to 1 GiB: read, hashed,
// its tree rebuilt) for each signed request of a validator that asked for
// the jobs in turn (TestAttackValidatorCyclesFiveDatasetVersionsToReloadEach).
// So a version whose file is in the disk cache is served from InputRows:
// its Merkle tree in memory (64 bytes a chunk, for up to maxRowsTrees
// versions within rowsTreeBytes), its chunks read from the file by offset,
// each checked against its leaf before it is served. The file itself is
// read whole once, to check it and build the tree.

// maxRowsTrees and rowsTreeBudget bound the trees InputRows keeps.
const (
	maxRowsTrees   = 1024
	rowsTreeBudget = 256 << 20
)

// rowsTreeBytes is the memory InputRows' trees may take: a quarter of the
// dataset versions' (ResolverConfig.DatasetMemoryBytes), at most
// rowsTreeBudget.
func rowsTreeBytes(datasetMemory int64) int64 {
	return max(min(datasetMemory/4, rowsTreeBudget), 1) // 0 would be no bound
}

// ErrRowsNotOnDisk is a version InputRows cannot serve from the disk cache
// (none, or the file is not in it): serve it from DatasetFile.
var ErrRowsNotOnDisk = errors.New("the dataset version's file is not in the disk cache")

// InputRows is a dataset version served from its file in the disk cache.
type InputRows struct {
	Record datamarkettypes.Dataset
	Tree   *merkle.Tree
	path   string
	body   int64 // the offset of the rows in the file
	size   int64 // the file's size when checked
}

// inputChunkSource is a version's chunks and tree: a DatasetFile in memory,
// or InputRows on disk.
type inputChunkSource interface {
	record() datamarkettypes.Dataset
	tree() *merkle.Tree
	chunk(j uint64) ([]byte, error)
}

func (r *InputRows) record() datamarkettypes.Dataset { return r.Record }
func (r *InputRows) tree() *merkle.Tree              { return r.Tree }

// chunk reads chunk j from the file and checks it against its leaf.
func (r *InputRows) chunk(j uint64) ([]byte, error) {
	rec := r.Record
	if j >= uint64(r.Tree.Len()) {
		return nil, fmt.Errorf("input chunk %d of %d", j, r.Tree.Len())
	}
	rowBytes := int64(rec.Cols) * 4
	first := int64(j * rec.RowsPerChunk)
	n := min(int64(rec.RowsPerChunk), int64(rec.Rows)-first)
	f, err := os.Open(r.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || info.Size() != r.size {
		return nil, fmt.Errorf("%s changed since it was checked", r.path)
	}
	b := make([]byte, n*rowBytes)
	if _, err := f.ReadAt(b, r.body+first*rowBytes); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	leaf, err := r.Tree.Leaf(int(j))
	if err != nil {
		return nil, err
	}
	if merkle.LeafHash(j, b) != leaf {
		return nil, fmt.Errorf("input chunk %d of %s does not match its leaf", j, r.path)
	}
	return b, nil
}

func (f *DatasetFile) record() datamarkettypes.Dataset { return f.Record }
func (f *DatasetFile) tree() *merkle.Tree              { return f.Tree }

// chunk is chunk j: its view of the file, or, in a version the resolver
// keeps without its file (held), its rows' values encoded as the file holds
// them and checked against its leaf.
func (f *DatasetFile) chunk(j uint64) ([]byte, error) {
	if f.Chunks != nil {
		if j >= uint64(len(f.Chunks)) {
			return nil, fmt.Errorf("input chunk %d of %d", j, len(f.Chunks))
		}
		return f.Chunks[j], nil
	}
	if f.Tree == nil || j >= uint64(f.Tree.Len()) || f.RowsPerChunk == 0 {
		return nil, fmt.Errorf("input chunk %d of a version without chunks", j)
	}
	r0 := j * f.RowsPerChunk
	r1 := min(r0+f.RowsPerChunk, f.Rows)
	var b []byte
	switch {
	case f.Matrix != nil:
		b = workload.EncodeFloats(f.Matrix.Data[r0*f.Cols : r1*f.Cols])
	case f.Tokens != nil:
		b = workload.EncodeInts(f.Tokens.Data[r0*f.Cols : r1*f.Cols])
	default:
		return nil, fmt.Errorf("input chunk %d of a version without values", j)
	}
	leaf, err := f.Tree.Leaf(int(j))
	if err != nil {
		return nil, err
	}
	if merkle.LeafHash(j, b) != leaf {
		return nil, fmt.Errorf("input chunk %d of dataset %d does not match its leaf", j, f.Record.Id)
	}
	return b, nil
}

// size is the version's file size.
func (f *DatasetFile) size() int64 {
	if f.Data != nil {
		return int64(len(f.Data))
	}
	return f.fileBytes
}

// InputRows returns a version (both non-zero) served from its file in the
// disk cache: ErrRowsNotOnDisk when it is not there (after one load of the
// whole file, whose values DatasetFile then holds in memory).
func (r *ChainResolver) InputRows(ctx context.Context, datasetID, version uint64) (*InputRows, error) {
	if r.disk == nil {
		return nil, ErrRowsNotOnDisk
	}
	key := datasetKey{datasetID, version}
	if rows, ok := r.rows.Get(key); ok {
		return rows, nil
	}
	f, err := r.DatasetFile(ctx, datasetID, version)
	if err != nil {
		return nil, err
	}
	return r.rows.Load(ctx, key, func() (*InputRows, int64, error) {
		sha := strings.ToLower(f.Record.Sha256)
		rel := datasetRel(sha)
		if !r.disk.touchIfPresent(rel) {
			return nil, 0, ErrRowsNotOnDisk
		}
		path := filepath.Join(r.cfg.CacheDir, rel)
		info, err := os.Stat(path)
		if err != nil || info.Size() != f.size() {
			return nil, 0, ErrRowsNotOnDisk
		}
		body := f.size() - int64(f.Record.Rows*f.Record.Cols*4)
		rows := &InputRows{Record: f.Record, Tree: f.Tree, path: path, body: body, size: info.Size()}
		return rows, int64(f.Tree.Len()) * 2 * merkle.HashSize, nil
	})
}

// newRowsCache is InputRows' memory, within budget bytes.
func newRowsCache(budget int64) loadcache.Cache[datasetKey, *InputRows] {
	return loadcache.Cache[datasetKey, *InputRows]{MaxEntries: maxRowsTrees, Budget: budget}
}

package jobexec

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/aichain/aichain/accel/treehash"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// datasetsInMemory is how many checked dataset versions a resolver keeps in
// memory at most, least recently used out first, within
// ResolverConfig.DatasetMemoryBytes: the versions of the jobs an agent holds
// at once.
const datasetsInMemory = 4

// DefaultDatasetMemoryBytes is the checked dataset versions a resolver keeps
// in memory when ResolverConfig.DatasetMemoryBytes is 0: 1 GiB, about one
// version of the parser's largest (its values and chunk index), or several
// smaller ones. A provider counts it in its memory budget (MemoryBytes).
const DefaultDatasetMemoryBytes = 1 << 30

// A version in memory is its values, its tree and its record
// (DatasetFile.held): not its file, whose bytes are its values again, nor
// the chunks' views of them, which pinned the file (DatasetFile.chunk
// encodes a chunk from the values). With the file beside them, 4 versions
// of the parser's largest held 8 GiB, counted nowhere, on a 16 GiB host
// whose agent spent its 8 GiB budget on the jobs
// (TestAttackCachedDatasetFilesOverrunTheMemoryBudget). Now what the cache
// keeps is bounded by bytes (datasetMemBytes), and the bound is counted in
// the agent's memory budget (MemoryBytes).

// datasetMemBytes is what a version of rows × cols values in chunks of
// rowsPerChunk rows takes in memory: its values and its chunk index
// (datasetIndexBytes), saturating.
func datasetMemBytes(rows, cols, rowsPerChunk uint64) int64 {
	n := common.SatAdd(valuesBytes(rows, cols), datasetIndexBytes(rows, rowsPerChunk))
	return int64(min(n, math.MaxInt64))
}

// held is f as the resolver keeps it: its record, values and tree, without
// its file and the chunks' views of it (the file's size kept for
// InputRows).
func (f *DatasetFile) held() *DatasetFile {
	d := *f.Description
	size := int64(len(d.Data))
	d.Data, d.Chunks = nil, nil
	return &DatasetFile{Record: f.Record, Description: &d, fileBytes: size}
}

// memBytes is what f takes in memory as the resolver keeps it (held).
func (f *DatasetFile) memBytes() int64 { return datasetMemBytes(f.Rows, f.Cols, f.RowsPerChunk) }

// datasetKey names a dataset version. A version's record never changes on
// chain, so what is cached under its key never goes stale.
type datasetKey struct{ id, version uint64 }

// datasetName and datasetRel are a dataset file's name in the disk cache
// (by its lower-case sha256) and its path relative to the cache, as
// weightsName and weightsRel are a weights file's.
func datasetName(sha string) string { return sha + ".npy" }
func datasetRel(sha string) string  { return filepath.Join("datasets", datasetName(sha)) }

// DatasetRef names a dataset version (both non-zero).
type DatasetRef struct{ ID, Version uint64 }

// KeepDatasets sets the dataset versions whose files the disk cache never
// evicts, replacing the previous set (the models' stay: KeepModels). A
// provider passes the versions of the jobs it has executed and still holds:
// it serves their rows with every output chunk a validator samples, and
// their owner may have taken them down since (TestAttackDatasetOwnerTakesRowsDownAfterExecution),
// so a flood of files it merely sized must not evict them. A version's
// sha256 is read from the chain once per process; a version that cannot be
// read now is left out, and its error returned (the call is repeated at
// every step of the agent).
func (r *ChainResolver) KeepDatasets(ctx context.Context, refs []DatasetRef) error {
	if r.disk == nil {
		return nil
	}
	var errs []error
	rels := make([]string, 0, len(refs))
	for _, ref := range refs {
		sha, err := r.datasetSha(ctx, datasetKey{ref.ID, ref.Version})
		if err != nil {
			errs = append(errs, fmt.Errorf("dataset %d version %d: %w", ref.ID, ref.Version, err))
			continue
		}
		rels = append(rels, datasetRel(sha))
	}
	r.disk.keep("datasets", rels)
	return errors.Join(errs...)
}

// datasetSha is the lower-case sha256 of a version's file, from the chain
// the first time.
func (r *ChainResolver) datasetSha(ctx context.Context, key datasetKey) (string, error) {
	r.shaMu.Lock()
	sha, ok := r.datasetShas[key]
	r.shaMu.Unlock()
	if ok {
		return sha, nil
	}
	rec, err := r.DatasetRecord(ctx, key.id, key.version)
	if err != nil {
		return "", err
	}
	if rec.Version != key.version {
		return "", fmt.Errorf("the chain answered version %d", rec.Version)
	}
	sha = strings.ToLower(rec.Sha256)
	r.shaMu.Lock()
	if r.datasetShas == nil {
		r.datasetShas = map[datasetKey]string{}
	}
	r.datasetShas[key] = sha
	r.shaMu.Unlock()
	return sha, nil
}

// DatasetFile returns a version of the dataset (0: current) checked against
// its on-chain sha256, shape and content_root, with its chunks and tree. A
// version held in memory is returned without a query: a provider serves a
// validator's chunk of an mlp or gpt job with its input rows from memory,
// and two jobs on two versions of one dataset no longer evict each other
// (TestAttackValidatorRequestsReloadTheDataset).
func (r *ChainResolver) DatasetFile(ctx context.Context, datasetID, version uint64) (*DatasetFile, error) {
	if version != 0 {
		if f, ok := r.datasets.Get(datasetKey{datasetID, version}); ok {
			return f, nil
		}
	}
	rec, err := r.DatasetRecord(ctx, datasetID, version)
	if err != nil {
		return nil, err
	}
	return r.datasets.Load(ctx, datasetKey{datasetID, rec.Version}, func() (*DatasetFile, int64, error) {
		sha := strings.ToLower(rec.Sha256)
		if cf, err := r.cached("datasets", datasetName(sha), sha); err == nil {
			f, err := checkCachedDataset(rec, cf, r.cfg.Limits)
			if err != nil {
				return nil, 0, err
			}
			return f.held(), f.memBytes(), nil
		}
		data, err := r.download(ctx, rec)
		if err != nil {
			return nil, 0, err
		}
		f, err := CheckDataset(rec, data, r.cfg.Limits)
		if err != nil {
			return nil, 0, err
		}
		// Not on disk (a full cache): fetched again when needed.
		_ = r.store("datasets", datasetName(sha), data)
		return f.held(), f.memBytes(), nil
	})
}

// CheckDataset checks a dataset file against its on-chain record and reads
// its rows as the record lays them out (dataset.DescribeRecord): the sha256,
// then the file's last rows·cols·4 bytes, at most workload.MaxNPYPrefixBytes
// before them, chunked by rows_per_chunk under the content_root, hashed to
// the rows_sha256 (when the record has one) and decoded as the recorded
// format. The .npy header is not read: the chain and the
// validators never see it, so a winner that refused a file for its header's
// dtype, shape, order or size would abort on inputs the validators rule
// available and forfeit its collateral
// (TestAttackDatasetHeaderValidatorsNeverSeeForfeitsTheWinnersCollateral).
// A file with more before its rows is refused (its download is cut there:
// dataserver.Expect), by the one rule a dataset server applies to the files
// it serves (dataset.CheckLength), so that the validators' probe finds such
// a version unavailable too.
func CheckDataset(rec datamarkettypes.Dataset, data []byte, lim workload.Limits) (*DatasetFile, error) {
	return checkDataset(rec, lim, func(l dataset.Layout, o dataset.Options) (*dataset.Description, error) {
		return dataset.DescribeRecord(data, l, o)
	})
}

// checkCachedDataset is CheckDataset of a file the disk cache read and
// checked against the record's sha256 (ChainResolver.cached): it is not
// hashed again.
func checkCachedDataset(rec datamarkettypes.Dataset, f workload.Checked, lim workload.Limits) (*DatasetFile, error) {
	return checkDataset(rec, lim, func(l dataset.Layout, o dataset.Options) (*dataset.Description, error) {
		return dataset.DescribeCheckedRecord(f, l, o)
	})
}

func checkDataset(rec datamarkettypes.Dataset, lim workload.Limits,
	describe func(dataset.Layout, dataset.Options) (*dataset.Description, error)) (*DatasetFile, error) {
	// Refused before describe allocates its chunks and tree.
	if err := checkDatasetMemory(rec.Rows, rec.RowsPerChunk, inputLimit(lim)); err != nil {
		return nil, fmt.Errorf("dataset %d: %w", rec.Id, err)
	}
	layout := dataset.Layout{Format: rec.Format, Rows: rec.Rows, Cols: rec.Cols, RowsPerChunk: rec.RowsPerChunk}
	d, err := describe(layout, dataset.Options{Limits: lim, Tree: treehash.New})
	if err != nil {
		return nil, fmt.Errorf("dataset %d: %w", rec.Id, err)
	}
	if err := d.Check(rec.Sha256, rec.Rows, rec.Cols, rec.RowsPerChunk, rec.ContentRoot); err != nil {
		return nil, fmt.Errorf("dataset %d: %w", rec.Id, err)
	}
	if err := d.CheckRows(rec.RowsSha256); err != nil {
		return nil, fmt.Errorf("dataset %d: %w", rec.Id, err)
	}
	return &DatasetFile{Record: rec, Description: d}, nil
}

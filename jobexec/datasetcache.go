package jobexec

import (
	"context"
	"strings"
)

// datasetsInMemory is how many checked dataset versions a resolver keeps in
// memory (each up to MaxFileBytes): the versions of the jobs an agent holds
// at once, least recently used out first.
const datasetsInMemory = 4

// datasetKey names a dataset version. A version's record never changes on
// chain, so what is cached under its key never goes stale.
type datasetKey struct{ id, version uint64 }

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
		data, err := r.cached("datasets", sha+".npy", sha)
		if err != nil {
			if data, err = r.download(ctx, rec); err != nil {
				return nil, 0, err
			}
		}
		f, err := CheckDataset(rec, data, r.cfg.Limits)
		if err != nil {
			return nil, 0, err
		}
		// Not on disk (a full cache): fetched again when needed.
		_ = r.store("datasets", sha+".npy", data)
		return f, 0, nil // bounded by count (datasetsInMemory), not bytes
	})
}

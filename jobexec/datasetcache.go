package jobexec

import (
	"context"
	"strings"
	"sync"
)

// datasetsInMemory is how many checked dataset versions a resolver keeps in
// memory (each up to MaxFileBytes): the versions of the jobs an agent holds
// at once, least recently used out first.
const datasetsInMemory = 4

// datasetKey names a dataset version. A version's record never changes on
// chain, so what is cached under its key never goes stale.
type datasetKey struct{ id, version uint64 }

// datasetCache is the resolver's checked dataset versions in memory, and the
// loads under way: concurrent requests for a version not in memory share
// one load.
type datasetCache struct {
	mu      sync.Mutex
	files   map[datasetKey]*DatasetFile
	order   []datasetKey // least recently used first
	loading map[datasetKey]*datasetLoad
}

type datasetLoad struct {
	done chan struct{}
	f    *DatasetFile
	err  error
}

func (c *datasetCache) get(k datasetKey) (*DatasetFile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.files[k]
	if ok {
		c.touch(k)
	}
	return f, ok
}

// touch moves k to the most recently used end; c.mu is held.
func (c *datasetCache) touch(k datasetKey) {
	for i, o := range c.order {
		if o == k {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	c.order = append(c.order, k)
}

// load returns k's file from memory, from a load under way, or by running
// fn (once for all callers waiting on it) and keeping what it returns.
func (c *datasetCache) load(ctx context.Context, k datasetKey, fn func() (*DatasetFile, error)) (*DatasetFile, error) {
	c.mu.Lock()
	if f, ok := c.files[k]; ok {
		c.touch(k)
		c.mu.Unlock()
		return f, nil
	}
	if l, ok := c.loading[k]; ok {
		c.mu.Unlock()
		select {
		case <-l.done:
			return l.f, l.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l := &datasetLoad{done: make(chan struct{})}
	if c.loading == nil {
		c.loading = map[datasetKey]*datasetLoad{}
	}
	c.loading[k] = l
	c.mu.Unlock()

	l.f, l.err = fn()
	c.mu.Lock()
	delete(c.loading, k)
	if l.err == nil {
		if c.files == nil {
			c.files = map[datasetKey]*DatasetFile{}
		}
		c.files[k] = l.f
		c.touch(k)
		for len(c.order) > datasetsInMemory {
			delete(c.files, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.mu.Unlock()
	close(l.done)
	return l.f, l.err
}

// DatasetFile returns a version of the dataset (0: current) checked against
// its on-chain sha256, shape and content_root, with its chunks and tree. A
// version held in memory is returned without a query: a provider serves a
// validator's chunk of an mlp or gpt job with its input rows from memory,
// and two jobs on two versions of one dataset no longer evict each other
// (TestAttackValidatorRequestsReloadTheDataset).
func (r *ChainResolver) DatasetFile(ctx context.Context, datasetID, version uint64) (*DatasetFile, error) {
	if version != 0 {
		if f, ok := r.datasets.get(datasetKey{datasetID, version}); ok {
			return f, nil
		}
	}
	rec, err := r.DatasetRecord(ctx, datasetID, version)
	if err != nil {
		return nil, err
	}
	return r.datasets.load(ctx, datasetKey{datasetID, rec.Version}, func() (*DatasetFile, error) {
		sha := strings.ToLower(rec.Sha256)
		data, err := r.cached("datasets", sha+".npy", sha)
		if err != nil {
			if data, err = r.download(ctx, rec); err != nil {
				return nil, err
			}
		}
		f, err := CheckDataset(rec, data, r.cfg.Limits)
		if err != nil {
			return nil, err
		}
		r.store("datasets", sha+".npy", data)
		return f, nil
	})
}

package jobexec

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/internal/loadcache"
)

// Concurrent requests for a dataset version not in memory share one load
// (a burst of validators' chunk requests after a restart reads the file
// once), and at most datasetsInMemory versions stay, the least recently
// used leaving first.
func TestDatasetCacheSharesLoadsAndKeepsFew(t *testing.T) {
	c := loadcache.Cache[datasetKey, *DatasetFile]{MaxEntries: datasetsInMemory}
	var loads atomic.Int32
	load := func(k datasetKey) (*DatasetFile, error) {
		return c.Load(context.Background(), k, func() (*DatasetFile, int64, error) {
			loads.Add(1)
			time.Sleep(50 * time.Millisecond)
			return &DatasetFile{}, 0, nil
		})
	}
	var wg sync.WaitGroup
	files := make([]*DatasetFile, 16)
	for i := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := load(datasetKey{1, 1})
			if err != nil {
				t.Error(err)
			}
			files[i] = f
		}()
	}
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Fatalf("16 concurrent requests loaded the version %d times, want 1", n)
	}
	for _, f := range files[1:] {
		if f != files[0] {
			t.Fatal("concurrent requests got different files")
		}
	}
	for v := uint64(2); v <= datasetsInMemory; v++ {
		if _, err := load(datasetKey{1, v}); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := c.Get(datasetKey{1, 1}); !ok { // used: version 2 is now the oldest
		t.Fatal("version 1 left memory before the bound")
	}
	if _, err := load(datasetKey{2, 1}); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get(datasetKey{1, 2}); ok {
		t.Fatal("the least recently used version stayed past the bound")
	}
	if _, ok := c.Get(datasetKey{1, 1}); !ok {
		t.Fatal("a recently used version left memory")
	}
	if n, _ := c.Usage(); n != datasetsInMemory {
		t.Fatalf("%d files, want %d", n, datasetsInMemory)
	}
}

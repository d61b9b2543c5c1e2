// Package treehash builds the Merkle trees of package workload/merkle with
// the leaves hashed on all cores. Package merkle stays sequential so that
// on-chain code can use it; the agents (the provider's chunk store, the
// dataset servers and resolvers) commit to outputs and datasets of up to a
// GiB and build their trees here. The trees are identical to merkle.New's.
package treehash

import (
	"runtime"
	"sync"

	"github.com/aichain/aichain/workload/merkle"
)

// parallelBytes is the total chunk size above which leaves are hashed on all
// cores; below it the goroutines cost more than they save.
const parallelBytes = 1 << 20

// New hashes the chunks as leaves 0..n-1 (on all cores when they are large)
// and builds the tree: the same tree as merkle.New(chunks).
func New(chunks [][]byte) (*merkle.Tree, error) {
	if len(chunks) == 0 {
		return nil, merkle.ErrEmpty
	}
	total := 0
	for _, c := range chunks {
		total += len(c)
	}
	workers := min(runtime.GOMAXPROCS(0), len(chunks))
	if total < parallelBytes || workers < 2 {
		return merkle.New(chunks)
	}
	leaves := make([]merkle.Hash, len(chunks))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(chunks); i += workers {
				leaves[i] = merkle.LeafHash(uint64(i), chunks[i])
			}
		}(w)
	}
	wg.Wait()
	return merkle.FromLeafHashes(leaves)
}

// Root returns the root over the chunks: merkle.RootOf, on all cores.
func Root(chunks [][]byte) (merkle.Hash, error) {
	t, err := New(chunks)
	if err != nil {
		return merkle.Hash{}, err
	}
	return t.Root(), nil
}

package provider

import (
	"context"
	"testing"

	"github.com/aichain/aichain/workload/merkle"
)

// TestAttackHeldJobsTreesOverrunTheMemoryBudget: the agent keeps the Merkle
// trees of the outputs it serves in memory, at most 256 of them whatever
// their size, and its memory budget counted none of it. A tree keeps every
// level: 64 bytes a chunk, 4 MiB for a job of the chain's 65,536 chunks
// (64 MiB at its 2^20 limit). A hostile requester posts cheap jobs of
// many tiny chunks (a gemm of 65,536 rows, N = K = 1, one row a chunk: a
// 256 KiB output) and asks for a chunk of each, which the agent holds for
// --retention: 256 such trees are 1 GiB (16 GiB at the chain's limit)
// beside jobs that fill the budget. Measured at 2048 chunks a job. Now the
// trees are kept within a byte bound that the agent takes out of its
// budget, and a tree past it is rebuilt from the job's leaf hashes when
// asked for (nothing paid for is lost: the same root, the chunk served).
func TestAttackHeldJobsTreesOverrunTheMemoryBudget(t *testing.T) {
	const jobs, count = 256, 2048 // 4095 nodes of 32 bytes a tree: 128 KiB
	a := testAgent(t)
	setMemoryBudget(t, a, 48<<20)
	chunks := make([][]byte, count)
	for i := range chunks {
		chunks[i] = []byte{byte(i), byte(i >> 8), 0, 0}
	}
	base := liveHeap()
	roots := map[uint64]merkle.Hash{}
	for id := uint64(1); id <= jobs; id++ {
		chunks[0][2] = byte(id)
		tree, err := a.chunks.Put(id, chunks)
		if err != nil {
			t.Fatal(err)
		}
		roots[id] = tree.Root()
	}
	held := uint64(max(liveHeap()-base, 0))

	// A job whose Bᵀ (6.25 MiB) in every fetch slot and worker fills the
	// budget.
	job := gemmJobNK(1000, 8, 1280, 1280, 1000)
	need := memoryNeed(t, a, job)
	t.Logf("the trees of %d jobs of %d chunks hold %d KiB (the store's bound: %d KiB); a job like it in every slot %d KiB, budget %d KiB",
		jobs, count, held>>10, a.chunks.MemoryBytes()>>10, need>>10, a.cfg.MaxMemoryBytes>>10)
	if _, why := a.estimate(context.Background(), job); why == "" && held+need > a.cfg.MaxMemoryBytes {
		t.Fatalf("the agent holds the trees of %d jobs of %d chunks (%d MiB) and bids on a job whose like in each of its %d slots "+
			"takes %d MiB: %d MiB, budget %d MiB", jobs, count, held>>20, a.cfg.Fetchers+a.cfg.Workers, need>>20,
			(held+need)>>20, a.cfg.MaxMemoryBytes>>20)
	}
	// A job whose tree alone is over a quarter of the trees' bound (65,536
	// chunks: 4 MiB) is not bid on: it would be rebuilt at every request.
	wide := gemmJobNK(1001, 1<<16, 1, 1, 1000)
	wide.Workload.ChunkRows, wide.ExpectedChunkCount = 1, 1<<16
	if _, why := a.estimate(context.Background(), wide); why != "memory" {
		t.Fatalf("a job of 65,536 chunks (a %d KiB tree, the store holds up to %d KiB of trees): why %q, want memory",
			treeMemBytes(1<<16)>>10, a.chunks.MemoryBytes()>>10, why)
	}
	// Every job's chunks are still served against the root it committed.
	for _, id := range []uint64{1, jobs / 2, jobs} {
		root := roots[id]
		tree, err := a.chunks.Tree(id, count, 4, root[:])
		if err != nil || tree.Root() != roots[id] {
			t.Fatalf("job %d's tree after %d others: %v (the same root: %v)", id, jobs-1, err, err == nil && tree.Root() == roots[id])
		}
	}
}

// setMemoryBudget gives a the memory budget bytes, and a chunk store whose
// trees' bound is sized from it as the command sizes it.
func setMemoryBudget(t *testing.T, a *Agent, bytes uint64) {
	t.Helper()
	a.cfg.MaxMemoryBytes = bytes
	a.chunks = NewChunkStore(t.TempDir(), TreeMemoryBytes(bytes))
}

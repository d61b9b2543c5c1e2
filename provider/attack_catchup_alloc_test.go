package provider

import (
	"fmt"
	"runtime"
	"testing"
	"unsafe"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/aichain/aichain/chainclient"
)

// TestAttackCatchUpCopiesEveryBlockAgainAtEachMerge (found by the review of 79020e7):
// catchUp merges the blocks waiting behind the step one at a time, and
// mergeBlocks copies the events and txs of all the blocks merged so far
// into a new slice and map at each: merging n blocks copies O(n²) events
// and inserts O(n²) txs. The blocks waiting are the watcher's (16) and the
// websocket's (256) buffers, filled exactly when a flood of jobs (full
// blocks of txs, each with its events) has slowed the step: the merge that
// is to catch the agent up costs it the time and garbage of ~136 copies of
// the whole backlog. Expected: a merge of n blocks allocates a small
// multiple of the merged block's own size.
func TestAttackCatchUpCopiesEveryBlockAgainAtEachMerge(t *testing.T) {
	const blocks, perBlock = 256, 200
	a := testAgent(t)
	ch := make(chan chainclient.Block, blocks)
	attrs := []abci.EventAttribute{{Key: "job_id", Value: "1"}}
	for h := range int64(blocks) {
		b := chainclient.Block{Height: 101 + h, Full: true, Txs: map[string]uint32{}}
		for i := range perBlock {
			b.Events = append(b.Events, abci.Event{Type: "aichain.compute.v1.EventJobCreated", Attributes: attrs})
			b.Txs[fmt.Sprintf("%064X", int(h)*perBlock+i)] = 0
		}
		ch <- b
	}
	first := <-ch
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := a.catchUp(first, ch)
	runtime.ReadMemStats(&after)
	if len(m.Events) != blocks*perBlock || len(m.Txs) != blocks*perBlock || m.Height != 100+blocks {
		t.Fatalf("setup: merged %d events, %d txs at height %d", len(m.Events), len(m.Txs), m.Height)
	}
	// The merged block's own size: its events' headers and its txs' keys
	// and codes (a map entry is at least its key and value).
	own := uint64(len(m.Events))*uint64(unsafe.Sizeof(abci.Event{})) + uint64(len(m.Txs))*uint64(unsafe.Sizeof("")+4)
	if got := after.TotalAlloc - before.TotalAlloc; got > 8*own {
		t.Fatalf("merging %d waiting blocks of %d txs and events each allocated %d MiB, %d times the merged block's %d KiB: "+
			"each merge copies all the blocks merged before it", blocks, perBlock, got>>20, got/own, own>>10)
	}
}

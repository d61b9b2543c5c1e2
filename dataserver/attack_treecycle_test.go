package dataserver

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aichain/aichain/testutil/procio"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
)

// cycleFile writes version v's file of a dataset (2048×16 float32, 128 KiB
// of rows, chunks of 64 rows: 32 chunks, 1 KiB of leaves) to dir.
func cycleFile(t *testing.T, dir string, v uint64) *dataset.Description {
	t.Helper()
	m := &workload.Matrix{Rows: 2048, Cols: 16, Data: make([]float32, 2048*16)}
	for i := range m.Data {
		m.Data[i] = float32(v)*1e4 + float32(i%997)
	}
	data, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("cycle-%d.npy", v)), data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Describe(data, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestAttackProbesCyclingVersionsForceFullReads: the server keeps the chunk
// trees of at most MaxTrees versions in memory (--max-trees, 64; 4 here),
// and an owner may hold more versions than that. A probe needs no access
// and records no nonce: the validators, the active providers and every
// account that had access to anything here in the last 10 minutes (a free
// licence's holder) have the tree of the version they probe checked, and a
// copy of one such probe is answered again for the whole window. Probing
// the versions in turn, each probe evicted a tree that a later one needed:
// every probe read a whole file, for a handful of requests signed once and
// replayed. A version's tree is read from its file once; evicted, it comes
// back from its leaves kept in the tree folder (Config.TreeDir), which hold
// 32 bytes a chunk and no row.
func TestAttackProbesCyclingVersionsForceFullReads(t *testing.T) {
	fx := newFixture(t, true)
	const maxTrees, versions, rounds = 4, 8, 4
	fx.srv.cfg.MaxTrees = maxTrees
	fx.srv.trees = newLRU[treeKey, *fileTree](maxTrees)
	var held int64
	for v := uint64(1); v <= versions; v++ {
		f := cycleFile(t, fx.dir, v)
		fx.chain.list(7, v, fx.owner.addr(), f)
		held += int64(len(f.Data))
	}
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}

	// The attacker had access to something here: a licensee of dataset 1.
	if _, err := fx.licensee.client(fx.url).Download(t.Context(), 1, 0, fx.expect()); err != nil {
		t.Fatal(err)
	}
	if pool := fx.srv.pool(fx.licensee.addr()); pool != poolKnown {
		t.Fatalf("the licensee's pool after its download: %d, want the known accounts' (%d)", pool, poolKnown)
	}
	probes := make([]*http.Request, versions)
	for v := range probes {
		probes[v] = fx.probe(t, fx.licensee, fx.url, fmt.Sprintf("/v1/datasets/7?version=%d", v+1))
	}

	// The same signed probes, sent round after round.
	before := procio.ReadBytes(t)
	for r := range rounds {
		for v, p := range probes {
			if status, _ := get(t, p.Clone(t.Context())); status != http.StatusNoContent {
				t.Fatalf("round %d, probe of version %d: %d, want 204", r, v+1, status)
			}
		}
	}
	read := procio.ReadBytes(t) - before
	t.Logf("%d signed probes sent %d times over %d versions (%d trees in memory) read %d KiB; the versions' files hold %d KiB",
		versions, rounds, versions, maxTrees, read>>10, held>>10)
	// An honest workload (each version probed by many validators) needs
	// each version's file read once; a quarter more for the requests'
	// bytes and the leaves read back.
	if read > held+held/4 {
		t.Errorf("%d replayed probes read %.1f times the versions' files: each probe of a version whose tree was evicted read its whole file",
			versions*rounds, float64(read)/float64(held))
	}
}

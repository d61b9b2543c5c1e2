package sidecar

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackNodeHiccupLoadsAFileTwice: a check whose node did not answer
// its model's record query (a restart, a timeout, a query that a hostile
// party's traffic slowed) keyed the model's load by the model id, and a
// check that read the record keyed it by the file's sha256: two loads of
// one file, each holding a load slot, where loads of one file run one at
// a time (loadkey.go). A check whose record
// is not read now starts no load and asks the node again; once it answers,
// the check waits on the file's one load. Scaled: a 1.25 MiB file sent at
// about 3 MiB/s, the node silent at the first check's first query.
func TestAttackNodeHiccupLoadsAFileTwice(t *testing.T) {
	slow, sha, uri := servePacedWeights(t, nil)
	reg := modelreg.Of(modelregistrytypes.Model{Id: 2, Uri: uri, Sha256: sha, InputDim: 3, OutputDim: 2})
	node := &hiccupRecords{Records: reg}
	node.silent.Store(1)
	cfg := testConfig()
	cfg.Workers, cfg.MaxWeightsBytes, cfg.ModelLoadBytes = 2, 4<<20, 16<<20
	cfg.PollInterval, cfg.Fetch.Timeout = 20*time.Millisecond, time.Minute
	cfg.Models = node
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{Fetch: cfg.Fetch, Models: reg})
	v := New(cfg, staticSource{}, cpu.New(), quiet(), NewMetrics("cpu"))
	runVerifier(t, v)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 2)
	awaitModelInto(ctx, v, 1, 2, done)
	for node.silent.Load() > 0 {
		time.Sleep(time.Millisecond)
	}
	awaitModelInto(ctx, v, 2, 2, done)
	most, running := 0, 0
	deadline := time.After(5 * time.Second)
	for ended := 0; ended < 2; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("a check of model 2 after the node's hiccup: %v", err)
			}
			ended++
		case <-time.After(2 * time.Millisecond):
		case <-deadline:
			t.Fatal("the checks of model 2 did not both end within 5 s")
		}
		n, r := loadsOfModel(v, 2)
		most, running = max(most, n), max(running, r)
	}
	t.Logf("%d loads of model 2's file at once, %d of them running; the uri asked %d times", most, running, len(slow.asked()))
	if most > 1 || running > 1 {
		t.Fatalf("one file, one uri: %d loads of it at once, %d running (load slots held), want one", most, running)
	}
}

// loadsOfModel counts v's loads (running, queued or ended and kept) for
// checks of model id, and those running.
func loadsOfModel(v *Verifier, id uint64) (n, running int) {
	v.loads.mu.Lock()
	defer v.loads.mu.Unlock()
	for _, l := range v.loads.runs {
		if l.pv.ModelId == id {
			n++
			if l.running {
				running++
			}
		}
	}
	return n, running
}

// hiccupRecords is a model registry whose node does not answer (codes.
// Unavailable) while silent counts down from its first queries.
type hiccupRecords struct {
	modelreg.Records
	silent atomic.Int32
}

func (h *hiccupRecords) Model(ctx context.Context, in *modelregistrytypes.QueryModelRequest, opts ...grpc.CallOption) (*modelregistrytypes.QueryModelResponse, error) {
	if h.silent.Add(-1) >= 0 {
		return nil, status.Error(codes.Unavailable, "the node is restarting")
	}
	return h.Records.Model(ctx, in, opts...)
}

package provider

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// servedEverywhere fetches models for real and says every dataset is served.
type servedEverywhere struct{ *jobexec.ChainResolver }

func (servedEverywhere) DatasetServed(context.Context, uint64, uint64) error { return nil }

// A hostile requester names a model whose server answers its headers and
// then trickles (or hangs) until the fetch's time limit. The agent sizes a
// job on it before bidding, and that must not hold the block's pipeline:
// reveals, results and other bids of the same block wait behind the bidding
// step, and a reveal that waits past its window forfeits the bid's deposit.
// The job on the slow model is still bid on once its model has arrived.
func TestAttackStallThePipelineWithASlowModelServer(t *testing.T) {
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(file[:1])
		w.(http.Flusher).Flush()
		select {
		case <-release:
			_, _ = w.Write(file[1:])
		case <-r.Context().Done():
		}
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	a := testAgent(t)
	a.cfg.Hardware.Workloads = append(a.cfg.Hardware.Workloads, workload.KindMLP)
	a.cfg.MLP = servedEverywhere{jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelreg.Of(modelregistrytypes.Model{Id: 1, Uri: srv.URL + "/m.safetensors",
			Sha256: workload.SHA256Hex(file), InputDim: 2, OutputDim: 1}),
		Fetch: jobexec.FetchPolicy{AllowLocal: true, Timeout: 5 * time.Second},
	})}
	hostile, honest := mlpBidJob(1), gemmJob(2, 64, 40)
	honest.CommitEnd = hostile.CommitEnd + 1 // decided after the hostile one
	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)

	start := time.Now()
	a.decideOpen(context.Background(), []computetypes.Job{hostile, honest}, rich)
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the bidding step waited %v on a requester's model server: the block's reveals and results waited as long", took.Round(time.Millisecond))
	}
	if a.recs[honest.Id] == nil {
		t.Fatal("no bid on the honest job decided in the same step")
	}
	if _, skipped := a.skip[hostile.Id]; skipped || a.recs[hostile.Id] != nil {
		t.Fatalf("the job on the slow model was decided before its model arrived (skipped %v)", skipped)
	}

	// The model arrives: a later step bids on the job (a slow server is not
	// a reason to refuse it), and no sizing is left running.
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for a.recs[hostile.Id] == nil {
		if _, skipped := a.skip[hostile.Id]; skipped || time.Now().After(deadline) {
			t.Fatalf("no bid on the job once its model arrived (skipped %v)", skipped)
		}
		time.Sleep(20 * time.Millisecond)
		a.decideOpen(context.Background(), []computetypes.Job{hostile}, rich)
	}
	a.sizing.mu.Lock()
	running, kept := a.sizing.running, len(a.sizing.jobs)
	a.sizing.mu.Unlock()
	if running != 0 || kept != 0 {
		t.Fatalf("%d sizings still running and %d kept after the job was decided", running, kept)
	}
}

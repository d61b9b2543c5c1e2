package provider

import (
	"context"
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// mlpBidJob is an mlp job over dataset 5 (version 2 pinned) the agent may
// bid on.
func mlpBidJob(id uint64) computetypes.Job {
	return computetypes.Job{Id: id, Requester: "aic1alice", MaxPrice: sdk.NewInt64Coin("uaic", 5000), CommitEnd: 105, RevealEnd: 110,
		ExecBlocks: 40, ExpectedChunkCount: 4, Rows: 23, DatasetVersion: 2,
		Workload: computetypes.WorkloadSpec{Kind: workload.KindMLP, ChunkRows: 6, Mlp: &computetypes.MlpSpec{ModelId: 1, DatasetId: 5}}}
}

// A bid binds collateral, and the rows of a dataset open to the winner
// only: the agent bids on an mlp job only when the dataset's server says it
// serves the version the job pinned, so that it does not win a job it can
// only time out on.
func TestNoBidOnADatasetNotServed(t *testing.T) {
	a := testAgent(t)
	a.cfg.Hardware.Workloads = append(a.cfg.Hardware.Workloads, workload.KindMLP)
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)

	a.cfg.MLP = fakeMLP{model: model} // serves no dataset
	if r, why := a.decide(context.Background(), mlpBidJob(1), &rich); r != nil || why != "dataset" {
		t.Fatalf("bid on a job whose dataset is not served: %v (%q)", r, why)
	}
	a.cfg.MLP = fakeMLP{model: model, ds: &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}}}
	if r, why := a.decide(context.Background(), mlpBidJob(2), &rich); r == nil {
		t.Fatalf("no bid on a job whose dataset is served: %s", why)
	}
}

// A won job whose inputs cannot be fetched is tried again every few blocks
// through the first half of its execution window (a server briefly down
// costs nothing), then marked for MsgAbortJob, and not run again.
func TestInputsThatFailAreRetriedThenAborted(t *testing.T) {
	a := testAgent(t)
	a.queued = map[uint64]bool{}
	r := &Record{ID: 7, Phase: PhaseWon, ExecBlocks: 40, Deadline: 140} // halfway at 120
	a.recs[7] = r
	a.queued[7] = true
	gone := errors.New("dataset server: connection refused")

	a.height = 100
	a.inputsFailed(r, gone)
	if r.Abort || r.RetryAt != 103 || a.queued[7] || r.InputFailures != 1 {
		t.Fatalf("first failure: abort %v, retry at %d, queued %v, failures %d", r.Abort, r.RetryAt, a.queued[7], r.InputFailures)
	}
	a.execCh = make(chan uint64, 4)
	a.dispatch()
	if len(a.execCh) != 0 {
		t.Fatal("run again before its retry height")
	}
	a.height = 103
	a.dispatch()
	if len(a.execCh) != 1 || !a.queued[7] {
		t.Fatal("not run again at its retry height")
	}
	<-a.execCh

	a.height = 118 // 118 + 3 blocks reaches the halfway point
	a.inputsFailed(r, gone)
	if !r.Abort || r.InputFailures != 2 {
		t.Fatalf("past half the window: abort %v, failures %d", r.Abort, r.InputFailures)
	}
	delete(a.queued, 7)
	a.dispatch()
	if len(a.execCh) != 0 {
		t.Fatal("a job marked for abort was run again")
	}
	// Once its abort is in a block the record ends: no timeout is counted.
	r.PendingTx = "AB"
	a.advance(r)
	if r.Phase != PhaseEnded || r.PendingTx != "" {
		t.Fatalf("after the abort: phase %s, pending %q", r.Phase, r.PendingTx)
	}
}

package provider

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// endsAtDownload is a source whose dataset download, once its file is on
// disk, waits for the pipeline to retire the job (downloaded, then
// retired) before it returns: the job ends between its download and its
// place in the fetch queue. It counts the loads (Model and Dataset: the
// inputs read into memory) and the files held.
type endsAtDownload struct {
	fakeMLP
	downloaded, retired chan struct{}
	loads, held         *atomic.Int64
}

func (s endsAtDownload) Model(ctx context.Context, id uint64) (*workload.Model, error) {
	s.loads.Add(1)
	return s.fakeMLP.Model(ctx, id)
}

func (s endsAtDownload) Dataset(ctx context.Context, id, v uint64) (*workload.Matrix, error) {
	s.loads.Add(1)
	return s.fakeMLP.Dataset(ctx, id, v)
}

func (s endsAtDownload) PrefetchDataset(ctx context.Context, _, _ uint64) (func(), error) {
	s.held.Add(1)
	close(s.downloaded)
	<-s.retired
	return func() { s.held.Add(-1) }, nil
}

// TestEndedJobDownloadedJustBeforeItsQueueIsLoadedInFull: a won job whose
// job ends (its deadline passes) while its dataset download completes is
// retired: endWork drops it from the fetch queue (not in it yet) and
// cancels its fetch context (the download's, done). The download then
// queued it for a fetch slot, whose fetch made a new context for it and
// loaded its model and dataset into memory in full, in a slot, for a job
// no worker runs. A job ended before its fetch now gives its slot and its
// file back without loading anything.
func TestEndedJobDownloadedJustBeforeItsQueueIsLoadedInFull(t *testing.T) {
	a := testAgent(t)
	a.backend = cpu.New()
	a.queued, a.execCh, a.doneCh = map[uint64]bool{}, make(chan uint64, 16), make(chan execResult, 16)
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	rows := make([]float32, 23*2)
	ds := &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}, Description: &dataset.Description{Matrix: &workload.Matrix{Rows: 23, Cols: 2, Data: rows}}}
	src := endsAtDownload{fakeMLP: fakeMLP{model: model, ds: ds}, downloaded: make(chan struct{}), retired: make(chan struct{}),
		loads: new(atomic.Int64), held: new(atomic.Int64)}
	a.cfg.MLP = src
	job := mlpBidJob(1)
	job.State, job.Winner, job.ExecDeadline = computetypes.JobState_JOB_STATE_ASSIGNED, a.me, 140
	a.query = &jobsOnChain{jobs: map[uint64]computetypes.Job{1: job}}
	a.recs[1] = &Record{ID: 1, Requester: job.Requester, Phase: PhaseWon, Deadline: 140, ExecBlocks: 40}
	runPools(t, a, 1)
	a.height = 120
	a.dispatch()
	select {
	case <-src.downloaded:
	case <-time.After(5 * time.Second):
		t.Fatal("setup: the won job's dataset download did not start in 5 s")
	}
	a.height = 141 // past its deadline: retire ends it
	a.retire()
	close(src.retired)
	settled := make(chan struct{})
	go func() { a.fetches.wg.Wait(); close(settled) }()
	select {
	case <-settled:
	case <-time.After(5 * time.Second):
		t.Fatal("the ended job's download and fetch did not settle in 5 s")
	}
	if n := src.loads.Load(); n != 0 {
		t.Fatalf("job 1 ended at height %d (deadline %d) as its download completed, and its fetch then loaded its inputs into memory "+
			"(%d loads) in a fetch slot, for a job no worker runs", a.height, job.ExecDeadline, n)
	}
	if n := src.held.Load(); n != 0 {
		t.Fatalf("the ended job's fetch loaded nothing but %d prefetched files are still held", n)
	}
	if n := fetchesInFlight(t, a); n != 0 {
		t.Fatalf("fetches_in_flight %v after the ended job's fetch settled", n)
	}
}

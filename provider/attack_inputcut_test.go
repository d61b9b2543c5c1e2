package provider

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackHangingDatasetDownloadOutlastsTheAbortDecision (found by
// review): a won job was marked for abort only when a fetch of its inputs
// failed (inputsFailed). A dataset server that takes the connection and
// then sends nothing, or trickles at the fetch policy's minimum rate, makes
// one download (or a load, where the agent has no disk cache) last over two
// minutes, longer than a short execution window: no abort was ever sent,
// the job timed out and the provider forfeited its whole collateral
// (slash_fraction_timeout), where an abort the validators uphold (the
// dataset unavailable to them too) releases it. The fetch is now cut once
// the window can no longer hold the job's estimate (inputCutHeight), and
// the job marked for abort in time for the abort to land.
func TestAttackHangingDatasetDownloadOutlastsTheAbortDecision(t *testing.T) {
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	stalling := stallingDatasets{fakeMLP: fakeMLP{model: model}, ids: map[uint64]bool{66: true}, held: &atomic.Int64{}}
	for name, src := range map[string]MLPResolver{
		"download": stalling,                        // a disk cache: the download hangs
		"load":     struct{ MLPResolver }{stalling}, // none: the load hangs in its slot
	} {
		t.Run(name, func(t *testing.T) {
			a := testAgent(t)
			a.queued, a.execCh, a.doneCh = map[uint64]bool{}, make(chan uint64, 16), make(chan execResult, 16)
			a.cfg.MLP = src
			j := mlpBidJob(7)
			j.Workload.Mlp.DatasetId = 66
			j.ExecDeadline = 140
			a.query = &jobsOnChain{jobs: map[uint64]computetypes.Job{7: j}}
			collateral := sdk.NewCoin("uaic", math.NewInt(25_000))
			// An estimate of 10 blocks in a 40-block window, 5 of them the
			// dataset's download: cut at 140 - 5 - 4, past halfway (120).
			bs := a.cap.blockTime().Seconds()
			r := &Record{ID: 7, Requester: j.Requester, Phase: PhaseWon, ExecBlocks: 40, Deadline: 140, Collateral: collateral.String(),
				EstSeconds: 10 * bs, DatasetBytes: uint64(5 * bs * float64(a.cfg.DownloadRate))}
			a.recs[7] = r
			runPools(t, a, 0)
			cutAt := r.Deadline - 5 - abortMarginBlocks
			for a.height = 100; a.height < r.Deadline && !r.Abort; a.height++ {
				a.drainDone()
				a.cutLateInputs()
				a.dispatch()
				if a.height == 100 {
					waitFetching(t, a, 7) // the download (or load) under way
				}
				if a.height == cutAt && !r.Abort {
					select { // the cut fetch reports its failure
					case res := <-a.doneCh:
						a.executed(res)
					case <-time.After(5 * time.Second):
					}
				}
				if r.Abort && a.height < cutAt {
					t.Fatalf("a fetch under way cut at height %d, before the window could no longer hold the job (%d)", a.height, cutAt)
				}
			}
			if !r.Abort || a.height > cutAt+1 {
				lost := collateral.Amount.MulRaw(int64(a.params.SlashFractionTimeout)).QuoRaw(10_000)
				t.Fatalf("at height %d (deadline %d), job %d's input fetch begun at its award (height 100) still hangs and no abort is marked "+
					"(%d input failures, abort %v): the job times out and the provider forfeits %s of its %s collateral, "+
					"where an abort the validators uphold releases it", a.height, r.Deadline, r.ID, r.InputFailures, r.Abort, lost, collateral)
			}
			if a.height+1 > r.Deadline-abortMarginBlocks+1 {
				t.Fatalf("marked for abort at height %d: the abort could not land by the deadline %d", a.height, r.Deadline)
			}
		})
	}
}

// waitFetching waits until job id's inputs are being fetched (its fetch
// context is open: inputcut.go), at most 5 s.
func waitFetching(t *testing.T, a *Agent, id uint64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		a.fetches.mu.Lock()
		_, ok := a.fetches.cuts[id]
		a.fetches.mu.Unlock()
		if ok {
			return
		}
	}
	t.Fatalf("job %d's fetch did not start within 5 s", id)
}

// A cut cancels a fetch under way with its cause, and leaves alone a job
// waiting for a fetch slot, one whose inputs are fetched, and one that
// gave its slot up once fetched; a drop (the job ended) takes a waiting
// job out of the queue and cancels a fetch under way.
func TestFetchQueueCut(t *testing.T) {
	var q fetchQueue
	job := func(id uint64) computetypes.Job {
		return computetypes.Job{Id: id, Requester: "aic1x", ExecDeadline: int64(id)}
	}
	q.waitLocked(job(1))
	q.waitLocked(job(2))
	ctx1 := q.jobContext(context.Background(), 1) // downloaded, waiting for a slot
	ctx3 := q.jobContext(context.Background(), 3)
	q.jobContext(context.Background(), 4)
	q.fetched(4)
	ctx5 := q.jobContext(context.Background(), 5) // reloading after a yield
	q.yielded = map[uint64]bool{5: true}
	for id := range uint64(6) {
		q.cut(id, errInputsTooLate)
	}
	if len(q.waiting) != 2 || ctx1.Err() != nil || ctx5.Err() != nil {
		t.Fatalf("cut: waiting %v, the waiting job's context %v, the yielded job's %v; want both waiting jobs, neither cancelled",
			q.waiting, ctx1.Err(), ctx5.Err())
	}
	if !errors.Is(context.Cause(ctx3), errInputsTooLate) {
		t.Fatalf("a fetch under way cut: its context's cause %v, want errInputsTooLate", context.Cause(ctx3))
	}
	if err := fetchErr(ctx3, context.Canceled); !errors.Is(err, errInputsTooLate) {
		t.Fatalf("the error of a cut fetch: %v, want errInputsTooLate", err)
	}
	q.drop(1, &workQueue{})
	q.drop(5, &workQueue{})
	if len(q.waiting) != 1 || q.waiting[0].Id != 2 || !errors.Is(context.Cause(ctx1), errJobEnded) || !errors.Is(context.Cause(ctx5), errJobEnded) {
		t.Fatalf("drop: waiting %v, contexts %v and %v; want job 2 alone waiting, both cancelled as ended",
			q.waiting, context.Cause(ctx1), context.Cause(ctx5))
	}
}

// TestYieldedJobIsNotCutAsAnUnfetchedOne (found by review of 2e2825c): a
// fetched job waiting for a worker gives its fetch slot to a waiting job
// due earlier (admitLocked) and goes back to the fetch queue; from there
// cutLateInputs takes it for a job whose inputs are still being fetched
// and marks it for abort at its inputCutHeight, although its inputs were
// fetched (and its dataset is on disk: its next load reads it at once) and
// its execution fits the window. The abort is found false (the inputs are
// available to the validators: this provider fetched them), which costs the
// timeout's slash, where the job, not cut, runs when a worker frees. cut's
// own contract is that a job whose inputs are fetched is not cut.
func TestYieldedJobIsNotCutAsAnUnfetchedOne(t *testing.T) {
	a := testAgent(t)
	a.cfg.Fetchers = 2 // one slot per requester
	a.queued = map[uint64]bool{}
	limit, per := a.cfg.Fetchers, a.fetchesPerRequester()
	job := func(id uint64, requester string, deadline int64) computetypes.Job {
		return computetypes.Job{Id: id, Requester: requester, ExecDeadline: deadline}
	}
	early, honest, later := job(1, "aic1m", 110), job(2, "aic1h", 140), job(3, "aic1w", 130)
	var yields []<-chan struct{}
	for _, j := range []computetypes.Job{early, honest} {
		if got := a.fetches.push(j, limit, per, &a.ready); len(got) != 1 {
			t.Fatalf("job %d not fetched at once: %v", j.Id, got)
		}
		y, _ := a.fetches.load(j, a.ready.push(prepared{job: j}), limit, per, &a.ready) // fetched, waiting for a worker
		yields = append(yields, y.yield)
	}
	bs := a.cap.blockTime().Seconds()
	r := &Record{ID: honest.Id, Requester: honest.Requester, Phase: PhaseWon, ExecBlocks: 40, Deadline: 140, EstSeconds: 5 * bs}
	a.recs[honest.Id], a.queued[honest.Id] = r, true
	if got := a.fetches.push(later, limit, per, &a.ready); len(got) != 1 || got[0].Id != later.Id {
		t.Fatalf("the job due at 130 got no slot: %v", got)
	}
	select {
	case <-yields[1]:
	default:
		t.Fatal("the honest job (due at 140) did not give its slot to the job due at 130")
	}
	// Its cut height: 140 - 5 - 4 = 131, with 9 blocks left for a 5-block
	// execution whose inputs were fetched at height 100.
	a.height = a.inputCutHeight(r)
	a.cutLateInputs()
	if r.Abort {
		t.Fatalf("at height %d (deadline %d), job %d, its inputs fetched at height 100 and its slot given to a job due earlier, "+
			"was cut as a fetch that never ends and marked for abort (%q), with %d blocks left for its %d-block execution",
			a.height, r.Deadline, r.ID, r.Error, r.Deadline-a.height, a.blocksOf(r.EstSeconds))
	}
}

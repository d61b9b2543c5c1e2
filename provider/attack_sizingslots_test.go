package provider

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// stallModels is a model source whose model 66 (the attacker's) never
// finishes arriving — a server sending at just above the fetch policy's
// MinRate (64 KiB/s) keeps a fetch for its whole Timeout, 2 minutes — while
// every other model is at hand.
type stallModels struct {
	fakeMLP
	stalled *atomic.Int32
}

func (s stallModels) Model(ctx context.Context, id uint64) (*workload.Model, error) {
	if id == 66 {
		s.stalled.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.fakeMLP.Model(ctx, id)
}

// TestAttackSizingSlotsHeldByOneRequester: a hostile requester (or a
// competing provider posing as one) posts maxSizings (4) cheap mlp jobs on a
// model whose server trickles just above MinRate. Each sizing holds one of
// the agent's 4 sizing slots for the fetch Timeout (2 minutes), and nothing
// bounds one requester's share of them (the fetch slots after the award are
// bounded per requester; the sizing slots are not), nor stops a sizing
// whose job's commit window has closed. An honest requester's mlp job, whose
// commit window is a few blocks, is never sized and never bid on: the honest
// provider loses the job (and the honest requester its bidder) for the price
// of 4 job creations, repeatable every 2 minutes.
func TestAttackSizingSlotsHeldByOneRequester(t *testing.T) {
	a := testAgent(t)
	a.cfg.Hardware.Workloads = append(a.cfg.Hardware.Workloads, workload.KindMLP)
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	var stalled atomic.Int32
	a.cfg.MLP = stallModels{fakeMLP: fakeMLP{model: model, ds: &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}}}, stalled: &stalled}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.sizing.start(ctx)

	var open []computetypes.Job
	for id := uint64(1); id <= maxSizings; id++ {
		j := mlpBidJob(id)
		j.Requester = "aic1mallory"
		j.CommitEnd = 104 // first in the agent's order
		j.Workload.Mlp.ModelId = 66
		open = append(open, j)
	}
	honest := mlpBidJob(10) // aic1alice, commit end 105, model 1 at hand
	open = append(open, honest)

	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)
	for h := int64(100); h+2 <= honest.CommitEnd; h++ {
		a.height = h
		jobs := append([]computetypes.Job(nil), open...)
		a.decideOpen(ctx, jobs, rich)
	}
	if a.recs[honest.Id] == nil {
		_, skipped := a.skip[honest.Id]
		t.Fatalf("no bid on the honest requester's mlp job %d through its commit window (skipped %v): the %d sizing slots are all "+
			"held by %d jobs of one hostile requester whose model server trickles (%d of its fetches stalled); the honest job was "+
			"never sized", honest.Id, skipped, maxSizings, maxSizings, stalled.Load())
	}
}

// TestAttackStalledSizingOutlivesItsCommitWindow: a sizing whose job's
// commit window has closed can no longer lead to a bid; it is cancelled at
// the commit end and its slot is free again, not held for the fetch
// policy's minutes.
func TestAttackStalledSizingOutlivesItsCommitWindow(t *testing.T) {
	var s sizer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.start(ctx)
	ended := make(chan struct{})
	job := computetypes.Job{Id: 1, Requester: "aic1mallory", CommitEnd: 104}
	waitNone, stop := context.WithCancel(ctx)
	stop() // the step does not wait for it
	_, err := s.size(waitNone, job, time.Hour, func(ctx context.Context) shapeResult {
		<-ctx.Done() // a model server that trickles
		close(ended)
		return shapeResult{why: "model"}
	})
	if !errors.Is(err, ErrStillSizing) {
		t.Fatalf("a stalled sizing: %v, want ErrStillSizing", err)
	}
	s.prune(105)
	<-ended // cancelled at its commit end: without it, this waits an hour
	for {
		s.mu.Lock()
		running := s.running
		s.mu.Unlock()
		if running == 0 {
			return
		}
		runtime.Gosched()
	}
}

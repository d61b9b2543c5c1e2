package provider

import (
	"context"
	"errors"
	"runtime"
	"sync"
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
// commit window has closed can no longer lead to a bid; no step waits for
// it, but its fetch runs on to its own limit (the fetch policy's, so that
// a large model lands in the cache for the next job on it) and its slot is
// free again then, not held beyond it. (Cancelling it at the commit end,
// as first done, threw away every download longer than a commit window:
// TestAttackLargeModelSizingCancelledEveryCommitWindow.)
func TestAttackStalledSizingOutlivesItsCommitWindow(t *testing.T) {
	var s sizer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.start(ctx)
	ended := make(chan error, 1)
	job := computetypes.Job{Id: 1, Requester: "aic1mallory", CommitEnd: 104}
	waitNone, stop := context.WithCancel(ctx)
	stop() // the step does not wait for it
	_, err := s.size(waitNone, job, 20*time.Millisecond, func(ctx context.Context) shapeResult {
		<-ctx.Done() // a model server that trickles
		ended <- ctx.Err()
		return shapeResult{why: "model"}
	})
	if !errors.Is(err, ErrStillSizing) {
		t.Fatalf("a stalled sizing: %v, want ErrStillSizing", err)
	}
	s.prune(105)
	if err := <-ended; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a stalled sizing ended by %v at its commit end, want its own limit (%v)", err, context.DeadlineExceeded)
	}
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

// TestAttackSizingSlotsHeldByTwoRequesterAddresses: the per-requester cap
// of 8858bb6 (sizingsPerRequester = 2 of maxSizings = 4) keys on the
// requester address, which costs nothing to multiply. One attacker with two
// addresses posts 2 trickling mlp jobs from each and again holds all 4
// sizing slots for their whole commit window; an honest requester's mlp job
// whose commit window overlaps is never sized and never bid on.
func TestAttackSizingSlotsHeldByTwoRequesterAddresses(t *testing.T) {
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
		j.Requester = []string{"aic1mallory1", "aic1mallory2"}[id%2] // two addresses, 2 jobs each
		j.CommitEnd = 104
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
		t.Fatalf("no bid on the honest requester's mlp job %d through its commit window: the %d sizing slots are held by %d jobs "+
			"of one attacker split over 2 requester addresses (%d stalled fetches); the per-requester cap (%d) is per address",
			honest.Id, maxSizings, maxSizings, stalled.Load(), sizingsPerRequester)
	}
}

// bigModel is an honest model source (jobexec.ChainResolver's shape)
// whose weights take 'need' blocks to download at the link's rate; a
// finished download is kept in the disk cache, a download whose context
// ends is lost. 'block' is the height the test is at.
type bigModel struct {
	fakeMLP
	block     *atomic.Int64
	need      int64
	mu        *sync.Mutex
	cached    *bool
	cancelled *atomic.Int32
}

func (m bigModel) Model(ctx context.Context, id uint64) (*workload.Model, error) {
	start := m.block.Load()
	for {
		m.mu.Lock()
		if !*m.cached && m.block.Load()-start >= m.need {
			*m.cached = true
		}
		hit := *m.cached
		m.mu.Unlock()
		if hit {
			return m.fakeMLP.Model(ctx, id)
		}
		select {
		case <-ctx.Done():
			m.cancelled.Add(1)
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// TestAttackLargeModelSizingCancelledEveryCommitWindow (honest-party harm):
// 8858bb6 ends a sizing at its job's commit end. An honest requester's
// model whose weights take longer to download than a commit window (8
// blocks here; windows of 5) is then never sized: each job's download is
// cut at its commit end and thrown away, and the next job on the same model
// starts from nothing. Before the fix the first job's download ran on (up
// to the fetch policy's timeout), landed in the disk cache, and every later
// job on the model was bid on at once. Now no job on that model is ever bid
// on by this provider.
func TestAttackLargeModelSizingCancelledEveryCommitWindow(t *testing.T) {
	a := testAgent(t)
	a.cfg.Hardware.Workloads = append(a.cfg.Hardware.Workloads, workload.KindMLP)
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	var block atomic.Int64
	var cancelled atomic.Int32
	cached := false
	a.cfg.MLP = bigModel{fakeMLP: fakeMLP{model: model, ds: &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}}},
		block: &block, need: 8, mu: &sync.Mutex{}, cached: &cached, cancelled: &cancelled}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.sizing.start(ctx)

	// Three honest jobs on the same model, one after the other, each with
	// a 5-block commit window.
	var jobs []computetypes.Job
	for k, created := range []int64{100, 109, 114} {
		j := mlpBidJob(uint64(20 + k))
		j.CommitEnd, j.RevealEnd = created+4, created+9
		jobs = append(jobs, j)
	}
	created := map[uint64]int64{20: 100, 21: 109, 22: 114}
	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)
	for h := int64(100); h <= 118; h++ {
		a.height = h
		block.Store(h)
		var open []computetypes.Job
		for _, j := range jobs {
			if created[j.Id] <= h && h+1 <= j.CommitEnd {
				open = append(open, j)
			}
		}
		a.decideOpen(ctx, open, rich)
	}
	bids := 0
	for _, j := range jobs {
		if a.recs[j.Id] != nil {
			bids++
		}
	}
	if bids == 0 {
		t.Fatalf("no bid on any of %d honest mlp jobs on one model whose weights download in 8 blocks (commit windows of 5): "+
			"%d downloads were cancelled at a commit end and thrown away; the weights were never cached (%v)",
			len(jobs), cancelled.Load(), cached)
	}
}

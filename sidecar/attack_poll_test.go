package sidecar

import (
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aichain/aichain/accel/cpu"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// loopingNode is a node whose PendingVerifications answers every page
// with one job and the same next key.
type loopingNode struct {
	computetypes.QueryClient
	calls atomic.Int64
	stop  int64
}

func (n *loopingNode) PendingVerifications(ctx context.Context, req *computetypes.QueryPendingVerificationsRequest,
	_ ...grpc.CallOption) (*computetypes.QueryPendingVerificationsResponse, error) {
	c := n.calls.Add(1)
	if c >= n.stop {
		// The test's own brake: a real node would go on for ever.
		return nil, context.Canceled
	}
	return &computetypes.QueryPendingVerificationsResponse{
		Height:     100,
		Pending:    []computetypes.PendingVerification{{JobId: uint64(c)}},
		Pagination: &query.PageResponse{NextKey: []byte("same-key")},
	}, nil
}

// TestAttackNodeRepeatsNextKeyForever: hostile party: the node the
// sidecar reads (a node that answers wrongly, or a remote one). NodeSource
// follows next_key page after page with no bound on the pages or the jobs it
// appends and no check that the key moves on: a node answering the same
// next_key for ever keeps Poll in an endless loop (the sidecar never polls
// again, so it never queues a job nor moves its height: the validator's
// verdicts stop) while the appended jobs grow its memory without bound.
// Here the test stops the node after 100,000 pages; correct behaviour: a
// repeated key (or pages past any chain's count) is refused with an error
// after a few pages.
func TestAttackNodeRepeatsNextKeyForever(t *testing.T) {
	node := &loopingNode{stop: 100_000}
	_, err := NodeSource{Query: node}.PendingVerifications(context.Background())
	if calls := node.calls.Load(); calls >= node.stop {
		t.Fatalf("a node repeating the same next_key was asked for %d pages (stopped by the test; err %v): "+
			"an endless poll appending a job a page without bound", calls, err)
	}
}

// hangingNode records whether the poll's context carries a deadline and
// then never answers, as a node whose connection stays open but whose query
// hangs.
type hangingNode struct {
	computetypes.QueryClient
	called chan bool
}

func (n *hangingNode) PendingVerifications(ctx context.Context, _ *computetypes.QueryPendingVerificationsRequest,
	_ ...grpc.CallOption) (*computetypes.QueryPendingVerificationsResponse, error) {
	_, ok := ctx.Deadline()
	select {
	case n.called <- ok:
	default:
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestAttackNodeNeverAnswersStallsPolling: hostile party: the node
// the sidecar reads (or a node stuck under load: its PendingVerifications
// walks every pending job). Run polls with its own context, which has no
// deadline, and NodeSource adds none: a node that accepts the call and never
// answers (the TCP connection open, the query hung) blocks Run's loop for
// ever: no poll, no new job queued, no height moved, nothing logged, and
// the validator sends no verdict on any later job until the sidecar is
// restarted. Correct behaviour: each poll is bounded in time (a deadline on
// the node's query), and a poll that times out is an error the loop logs
// and retries.
func TestAttackNodeNeverAnswersStallsPolling(t *testing.T) {
	node := &hangingNode{called: make(chan bool, 1)}
	v := New(testConfig(), NodeSource{Query: node}, cpu.New(), quiet(), NewMetrics("cpu"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { v.Run(ctx); close(done) }()
	hasDeadline := <-node.called
	cancel()
	<-done
	if !hasDeadline {
		t.Fatal("the sidecar's poll of its node carries no deadline: a node that never answers stops the sidecar's polling for ever")
	}
}

// flakyBackend is the CPU backend, failing every call while failing is set
// (a GPU out of memory a moment, say).
type flakyBackend struct{ failing atomic.Bool }

func (b *flakyBackend) Name() string { return "flaky" }

func (b *flakyBackend) Dense(ctx context.Context, x []float32, rows, in int, w []float32, bias []float32, out int, relu bool) ([]float32, error) {
	if b.failing.Load() {
		return nil, context.DeadlineExceeded
	}
	return cpu.New().Dense(ctx, x, rows, in, w, bias, out, relu)
}

// TestAttackSpanSurvivesServedChunks: hostile party: a requester
// that floods its provider's endpoint for a moment, twice (the attack of
// TestAttackDisputeAndFloodEndpoint, where an outage shorter than
// unavailable_span_blocks gives no verdict). jobState.failingSince is set
// at the first failed fetch and reset only by this sidecar's own outage:
// a later poll at which the provider serves every sampled chunk, but whose
// check ends without a verdict (the sidecar's backend failed the
// recomputation: an abstention, tried again), leaves it standing. A second
// short outage after the span is then UNAVAILABLE at its first failed
// fetch: the provider was down at two instants (heights 10 and 14), served
// at the polls between them (11 and 12), and is voted UNAVAILABLE, its
// collateral forfeit, although no outage lasted a block. Correct behaviour:
// a poll at which the provider served its chunks restarts the span, and a
// single failed poll after it is no verdict.
func TestAttackSpanSurvivesServedChunks(t *testing.T) {
	sw, _, pv := switchableProvider(t)
	pv.UnavailableSpanBlocks = 3
	var served atomic.Int64
	real := sw.real
	sw.real = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		real.ServeHTTP(w, r)
	})
	b := &flakyBackend{}
	src := &chainSource{}
	v := New(testConfig(), src, b, quiet(), NewMetrics("flaky"))

	step(t, v, src, 10, pv) // the requester's first flood: the fetch fails
	sw.up.Store(true)
	b.failing.Store(true)
	step(t, v, src, 11, pv) // served; the sidecar's backend fails: abstains
	step(t, v, src, 12, pv) // served again; abstains again
	if served.Load() == 0 {
		t.Fatal("fixture: the provider served nothing while up")
	}
	b.failing.Store(false)
	sw.up.Store(false)
	step(t, v, src, 14, pv) // the second flood, a moment: one failed fetch
	if got := v.Ready(14); len(got) != 0 {
		t.Fatalf("a provider down at heights 10 and 14 only, serving its %d chunk requests at heights 11 and 12 "+
			"(span %d blocks): verdicts %v at its first failure after serving, want none",
			served.Load(), pv.UnavailableSpanBlocks, got)
	}
}

// endlessNode answers every page with perPage jobs and a next key after the
// one asked for: an honest-looking list that never ends.
type endlessNode struct {
	computetypes.QueryClient
	calls   atomic.Int64
	perPage int
}

func (n *endlessNode) PendingVerifications(_ context.Context, req *computetypes.QueryPendingVerificationsRequest,
	_ ...grpc.CallOption) (*computetypes.QueryPendingVerificationsResponse, error) {
	c := n.calls.Add(1)
	if c > 10*maxPollPages {
		return nil, context.Canceled // the test's own brake
	}
	jobs := make([]computetypes.PendingVerification, n.perPage)
	for i := range jobs {
		jobs[i].JobId = uint64(c)*uint64(n.perPage) + uint64(i)
	}
	return &computetypes.QueryPendingVerificationsResponse{Height: 100, Pending: jobs,
		Pagination: &query.PageResponse{NextKey: append(append([]byte(nil), req.Pagination.Key...), 1)}}, nil
}

// A node whose keys move forward but whose list never ends is read up to
// maxPollPages pages, keeping at most maxPollJobs jobs: the poll ends and
// says it left some out. A page holding more jobs than asked is refused as
// a key that does not move forward is, the jobs before it kept.
func TestNodeListIsBoundedPerPoll(t *testing.T) {
	for _, perPage := range []int{1, pollPageLimit} {
		node := &endlessNode{perPage: perPage}
		got, err := NodeSource{Query: node}.PendingVerifications(context.Background())
		if err != nil || !got.Truncated || len(got.Jobs) > maxPollJobs || node.calls.Load() > maxPollPages {
			t.Fatalf("%d jobs a page: err %v, truncated %v, %d jobs in %d pages (max %d, %d)",
				perPage, err, got.Truncated, len(got.Jobs), node.calls.Load(), maxPollJobs, maxPollPages)
		}
	}
	node := &endlessNode{perPage: pollPageLimit + 1}
	if got, err := (NodeSource{Query: node}).PendingVerifications(context.Background()); !errors.Is(err, ErrBadPage) ||
		!got.Truncated || node.calls.Load() != 1 {
		t.Fatalf("a page longer than asked: err %v, truncated %v, %d pages; want ErrBadPage at the first", err, got.Truncated, node.calls.Load())
	}
	// A key that goes back is refused as a repeated one is.
	looping := &loopingNode{stop: 100}
	if _, err := (NodeSource{Query: looping}).PendingVerifications(context.Background()); !errors.Is(err, ErrBadPage) {
		t.Fatalf("a repeated next_key: err %v, want ErrBadPage", err)
	}
}

// pagingNode answers PendingVerifications as the keeper does
// (modkit.Paginate over PendingChecks, a KeySet[uint64]: by id, next_key the
// big-endian id of the next job).
type pagingNode struct {
	computetypes.QueryClient
	height int64
	jobs   []computetypes.PendingVerification // sorted by id
	// pageDelay: how long the node takes to answer one page (a loaded node).
	pageDelay time.Duration
	pages     atomic.Int64
}

func (n *pagingNode) PendingVerifications(ctx context.Context, req *computetypes.QueryPendingVerificationsRequest,
	_ ...grpc.CallOption) (*computetypes.QueryPendingVerificationsResponse, error) {
	n.pages.Add(1)
	if n.pageDelay > 0 {
		select {
		case <-time.After(n.pageDelay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	start := uint64(0)
	if k := req.Pagination.GetKey(); len(k) == 8 {
		start = binary.BigEndian.Uint64(k)
	}
	limit := int(req.Pagination.GetLimit())
	i := sort.Search(len(n.jobs), func(i int) bool { return n.jobs[i].JobId >= start })
	end := min(i+limit, len(n.jobs))
	res := &computetypes.QueryPendingVerificationsResponse{Height: n.height, Pending: n.jobs[i:end], Pagination: &query.PageResponse{}}
	if end < len(n.jobs) {
		res.Pagination.NextKey = binary.BigEndian.AppendUint64(nil, n.jobs[end].JobId)
	}
	return res, nil
}

// TestAttackFloodOfOldJobsHidesTheUrgentHonestJob: hostile party: a
// requester (its own provider) with many jobs created early (low ids) and
// long verification windows, all under check at once. NodeSource keeps the
// first 20,000 jobs by id and drops the rest (node.go: "the first jobs by id
// (the oldest, whose windows end first)"); but a job's id is its creation
// order, not its window's end: an honest job created later whose window
// ends first is never read, so never queued, although the scheduler would
// have checked it first (jobState.before: the earliest verification_end
// first). With every sidecar running the same code, the honest job gets no
// verdict; its window ends (extended once, then) VERIFICATION_INCONCLUSIVE:
// the honest winner is paid nothing for work it did (outcomes.go
// endInconclusive). Before 22e16a2 the whole list was read and the urgent
// job was checked first. Correct behaviour: the cut (if any) keeps the most
// urgent jobs (earliest verification_end), or the node is asked for them.
func TestAttackFloodOfOldJobsHidesTheUrgentHonestJob(t *testing.T) {
	const height = 100
	node := &pagingNode{height: height}
	const flood = 20_000
	for id := uint64(1); id <= flood; id++ { // the attacker's jobs: windows ending far ahead
		node.jobs = append(node.jobs, computetypes.PendingVerification{JobId: id, Workload: spec,
			Indices: []uint64{0}, ChunkCount: 1, VerificationEnd: height + 10_000, UnavailableSpanBlocks: 3})
	}
	const honestID = flood + 1 // created after the flood, its window ends in 5 blocks
	node.jobs = append(node.jobs, computetypes.PendingVerification{JobId: honestID, Workload: spec,
		Indices: []uint64{0}, ChunkCount: 1, VerificationEnd: height + 5, UnavailableSpanBlocks: 3})

	v := New(testConfig(), NodeSource{Query: node}, cpu.New(), quiet(), NewMetrics("cpu"))
	if err := v.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	v.mu.Lock()
	js := v.jobs[honestID]
	read := len(v.jobs)
	var first uint64
	for id, s := range v.jobs {
		if s.queued && (first == 0 || s.before(v.jobs[first])) {
			first = id
		}
	}
	v.mu.Unlock()
	if js == nil || !js.queued {
		t.Fatalf("the honest job %d, whose window ends first (height %d), is not queued after a poll: %d jobs read, "+
			"the attacker's %d older jobs (windows ending at %d) fill the cut; the first job checked is %d; "+
			"the honest winner's job ends unverified, inconclusive, paid nothing",
			honestID, height+5, read, flood, height+10_000, first)
	}
}

// TestAttackSlowListingBlindsTheSidecar: hostile party: a requester that
// floods the pending list (many jobs under check at once, as in
// TestAttackFloodOfOldJobsHidesTheUrgentHonestJob), or simply a loaded
// validator node. The fix gave one read of PendingVerifications a deadline
// (PollTimeout, default max(10 polls, 5 s)) over all its pages, and a read
// past it is an error that discards every page already read (node.go
// readPending returns Pending{}): when listing the whole backlog takes the
// node longer than the deadline, every poll fails the same way, the
// sidecar queues no job at all, and every job under check (the honest
// winners' and a cheat's alike) ends without a verdict: inconclusive, the
// honest winners paid nothing, the cheat not slashed. Before 22e16a2 the
// poll was slow but complete. Here the node answers each of 20 pages in
// 20 ms against a 100 ms deadline. Correct behaviour: a poll past its
// deadline keeps (and queues) the pages it read.
func TestAttackSlowListingBlindsTheSidecar(t *testing.T) {
	const height = 100
	node := &pagingNode{height: height, pageDelay: 20 * time.Millisecond}
	for id := uint64(1); id <= 20*pollPageLimit; id++ {
		node.jobs = append(node.jobs, computetypes.PendingVerification{JobId: id, Workload: spec,
			Indices: []uint64{0}, ChunkCount: 1, VerificationEnd: height + 50, UnavailableSpanBlocks: 3})
	}
	cfg := testConfig()
	cfg.PollTimeout = 100 * time.Millisecond
	v := New(cfg, NodeSource{Query: node}, cpu.New(), quiet(), NewMetrics("cpu"))
	var errs []error
	for poll := 0; poll < 3; poll++ {
		errs = append(errs, v.Poll(context.Background()))
	}
	v.mu.Lock()
	queued := 0
	for _, js := range v.jobs {
		if js.queued {
			queued++
		}
	}
	v.mu.Unlock()
	if queued == 0 {
		t.Fatalf("after 3 polls (errors %v), %d pages answered by the node, the sidecar has queued 0 of %d pending jobs: "+
			"every page read before the deadline is thrown away, so a backlog the node lists slower than PollTimeout "+
			"leaves every job without a verdict", errs, node.pages.Load(), len(node.jobs))
	}
}

// pendingSource answers one fixed read.
type pendingSource struct{ res Pending }

func (s *pendingSource) PendingVerifications(context.Context) (Pending, error) { return s.res, nil }

// A truncated read says nothing of the jobs it did not list: they stay
// queued, but for one whose window has ended; a read of the whole list
// forgets every job it does not hold.
func TestTruncatedPollKeepsUnreadJobs(t *testing.T) {
	job := func(id uint64, end int64) computetypes.PendingVerification {
		return computetypes.PendingVerification{JobId: id, Workload: spec, Indices: []uint64{0}, ChunkCount: 1,
			VerificationEnd: end, UnavailableSpanBlocks: 3}
	}
	src := &pendingSource{res: Pending{Height: 10, Jobs: []computetypes.PendingVerification{job(1, 50), job(2, 12), job(3, 60)}}}
	v := New(testConfig(), src, cpu.New(), quiet(), NewMetrics("cpu"))
	if err := v.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	src.res = Pending{Height: 12, Jobs: []computetypes.PendingVerification{job(3, 60)}, Truncated: true}
	if err := v.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	v.mu.Lock()
	one, two := v.jobs[1], v.jobs[2]
	v.mu.Unlock()
	if one == nil || !one.queued || two != nil {
		t.Fatalf("after a truncated read at height 12: job 1 (window to 50, not read) %+v, want kept and queued; "+
			"job 2 (window ended at 12) %+v, want forgotten", one, two)
	}
	src.res = Pending{Height: 13, Jobs: []computetypes.PendingVerification{job(3, 60)}}
	if err := v.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	v.mu.Lock()
	n := len(v.jobs)
	v.mu.Unlock()
	if n != 1 {
		t.Fatalf("after a whole read holding 1 job: %d jobs held", n)
	}
}

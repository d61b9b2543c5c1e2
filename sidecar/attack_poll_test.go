package sidecar

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

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

// A node whose keys move forward but whose list never ends, or whose pages
// hold more than asked, is read up to maxPollPages pages and maxPollJobs
// jobs: the poll ends, keeps the first jobs and says it left some out.
func TestNodeListIsBoundedPerPoll(t *testing.T) {
	for _, perPage := range []int{1, pollPageLimit, maxPollJobs + 5} {
		node := &endlessNode{perPage: perPage}
		got, err := NodeSource{Query: node}.PendingVerifications(context.Background())
		if err != nil || !got.Truncated || len(got.Jobs) > maxPollJobs || node.calls.Load() > maxPollPages {
			t.Fatalf("%d jobs a page: err %v, truncated %v, %d jobs in %d pages (max %d, %d)",
				perPage, err, got.Truncated, len(got.Jobs), node.calls.Load(), maxPollJobs, maxPollPages)
		}
	}
	// A key that goes back is refused as a repeated one is.
	node := &loopingNode{stop: 100}
	if _, err := (NodeSource{Query: node}).PendingVerifications(context.Background()); !errors.Is(err, ErrBadPage) {
		t.Fatalf("a repeated next_key: err %v, want ErrBadPage", err)
	}
}

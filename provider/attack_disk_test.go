package provider

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackFullCacheJobIsNotBidOn: the agent serves a won job's weights to
// validators whose fetch from the model's uri fails, from its disk cache. A
// requester whose jobs over many large models filled the cache with files
// the agent must keep (those of the jobs it holds) could then have it win a
// job whose weights were used from memory and never written, take the
// model's uri down, and leave the validators nothing to check: the
// verification inconclusive, the provider unpaid. Now the agent does not
// bid on a job whose weights are not on disk (why "disk"), and bids on one
// whose weights are, keeping them on disk from its decision (PinModel).
func TestAttackFullCacheJobIsNotBidOn(t *testing.T) {
	recs, size := distinctMLPModels(t, 2)
	// Kept weights take at most half the cache: one model here.
	res := jobexec.NewChainResolver(jobexec.ResolverConfig{Models: modelreg.Records{ByID: recs}, CacheDir: filepath.Join(t.TempDir(), "cache"),
		CacheBytes: 2 * size, Fetch: jobexec.FetchPolicy{AllowLocal: true, Timeout: 5 * time.Second}})
	a := diskAgent(t, res, servedEverywhere{res})
	ctx := context.Background()
	held := mlpBidJob(1) // a job the agent bids on: its weights fill the cache and stay
	if why := decideWhy(ctx, a, held); why != "" || a.recs[1].ModelSha != recs[1].Sha256 {
		t.Fatalf("the first job: %q, record %+v", why, a.recs[1])
	}
	flood := mlpBidJob(2)
	flood.Workload.Mlp.ModelId = 2
	if why := decideWhy(ctx, a, flood); why != "disk" {
		t.Fatalf("a job whose weights the full cache did not take: why %q, want \"disk\"", why)
	}
	if used, budget := res.CacheUsage(); used > budget {
		t.Fatalf("the cache holds %d bytes past its budget of %d", used, budget)
	}
	if why := decideWhy(ctx, a, mlpBidJob(3)); why != "" { // model 1 again: on disk
		t.Fatalf("a job whose weights are on disk: %q", why)
	}
}

// flakyModels is a model registry whose record queries fail while down is
// set, as a node too busy to answer in time does.
type flakyModels struct {
	modelreg.Records
	down *atomic.Bool
}

func (f flakyModels) Model(ctx context.Context, in *modelregistrytypes.QueryModelRequest, opts ...grpc.CallOption) (*modelregistrytypes.QueryModelResponse, error) {
	if f.down.Load() {
		return nil, status.Error(codes.DeadlineExceeded, "context deadline exceeded")
	}
	return f.Records.Model(ctx, in, opts...)
}

// TestSlowRecordQueryDoesNotRefuseTheBid: pinning a job's weights as the
// agent decides to bid reads the model's record from the node. A query that
// timed out (a node slow under load) was taken for a full cache: the job was
// refused "disk" for good and lost (seen in CI: an mlp job expired with no
// bids). Now it is decided again at a later step, and bid on once the node
// answers; a full cache is still refused "disk".
func TestSlowRecordQueryDoesNotRefuseTheBid(t *testing.T) {
	recs, size := distinctMLPModels(t, 1)
	var down atomic.Bool
	res := jobexec.NewChainResolver(jobexec.ResolverConfig{Models: flakyModels{modelreg.Records{ByID: recs}, &down},
		CacheDir: filepath.Join(t.TempDir(), "cache"), CacheBytes: 2 * size, Fetch: jobexec.FetchPolicy{AllowLocal: true, Timeout: 5 * time.Second}})
	if _, err := res.Model(context.Background(), 1); err != nil { // sized: its weights on disk
		t.Fatal(err)
	}
	a := diskAgent(t, res, servedEverywhere{res})
	down.Store(true)
	a.sizing.prune(a.height) // as the bidding step starts
	if sha, why := a.pinWeights(context.Background(), mlpBidJob(1)); why != whySizing || sha != "" || !a.sizing.due() {
		t.Fatalf("pinning with the node not answering: %q %q (the next step due: %v), want to decide again at the next step (%q)",
			sha, why, a.sizing.due(), whySizing)
	}
	down.Store(false)
	if sha, why := a.pinWeights(context.Background(), mlpBidJob(1)); why != "" || sha != recs[1].Sha256 {
		t.Fatalf("pinning once the node answers: %q %q, want the weights' sha256", sha, why)
	}
}

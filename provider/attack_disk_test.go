package provider

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
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
	res := jobexec.NewChainResolver(jobexec.ResolverConfig{Models: modelreg.Records{ByID: recs}, CacheDir: filepath.Join(t.TempDir(), "cache"),
		CacheBytes: size, Fetch: jobexec.FetchPolicy{AllowLocal: true, Timeout: 5 * time.Second}})
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
	if f, err := res.OpenCachedWeights(recs[2].Sha256); err == nil {
		_ = f.Close()
		t.Fatal("the second model's weights are on disk past the budget")
	}
	if why := decideWhy(ctx, a, mlpBidJob(3)); why != "" { // model 1 again: on disk
		t.Fatalf("a job whose weights are on disk: %q", why)
	}
}

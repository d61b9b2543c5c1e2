package e2e

import (
	"context"
	"testing"
	"time"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// newComputeChain is a one-validator chain with alice and provider funded,
// short windows, and no sampling (these tests are about the agent's
// pipeline, not verification).
func newComputeChain(t *testing.T) *Chain {
	c := NewChain(t, 1, "alice", "bob", "provider")
	c.SetComputeParams(map[string]any{"sample_rate_floor_bps": 0, "challenge_blocks": "4"})
	c.Start()
	return c
}

// assertAllSettledNoForfeit: every job settled with provider as its winner,
// and its bond is what it registered with: no deposit forfeited (a missed
// reveal would have taken one), no slash.
func (c *Chain) assertAllSettledNoForfeit(t *testing.T, jobs map[uint64]computetypes.Job, provider string, bond int64) {
	t.Helper()
	for id, j := range jobs {
		if j.State != computetypes.JobState_JOB_STATE_SETTLED || j.Winner != provider {
			t.Fatalf("job %d: %s / %s, winner %s; all: %v", id, j.State, j.CloseReason, j.Winner, countStates(jobs))
		}
	}
	if got := c.providerBond(t, provider); got != bond {
		t.Fatalf("provider bond %d after the jobs, registered %d: a deposit was forfeited", got, bond)
	}
}

// waitFor polls cond every 200 ms until it holds.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The provider agent is killed (SIGKILL, as a crash) twice mid-pipeline:
// once with commitments on chain and reveals to come, once with jobs won
// and executing. Each time it restarts from its store, reveals what it
// committed, runs what it won, and every job settles with no forfeit.
func TestProviderRestartMidPipeline(t *testing.T) {
	c := newComputeChain(t)
	dir := t.TempDir()
	prov := c.Addr("provider")
	p := c.StartProvider(t, dir, "provider", c.Nodes[0].SparePort(1), "1000uaic")
	ids := c.postJobs(t, "alice", jobBatch{N: 40, M: 64, Ncols: 32, K: 32, ChunkRows: 8, MaxPrice: "5000uaic",
		Commit: 6, Reveal: 8, Exec: 80})
	q := computetypes.NewQueryClient(c.Client(t, "").Conn)
	last := ids[len(ids)-1]
	waitFor(t, 60*time.Second, "commitments on chain", func() bool {
		var n int
		_ = Retry(func(ctx context.Context) error {
			res, err := q.Bids(ctx, &computetypes.QueryBidsRequest{JobId: last})
			if err == nil {
				n = len(res.Commits)
			}
			return err
		})
		return n > 0
	})
	p.Kill()
	if err := p.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 90*time.Second, "jobs awarded", func() bool {
		return countStates(jobStates(t, q, ids))["JOB_STATE_ASSIGNED"] > 0
	})
	p.Kill()
	if err := p.Restart(); err != nil {
		t.Fatal(err)
	}
	jobs := c.waitAllEnded(t, ids, 4*time.Minute, p)
	c.assertAllSettledNoForfeit(t, jobs, prov, 50_000_000)
}

// Under a backlog of won jobs, SIGTERM stops the agent within 5 seconds;
// restarted, it finishes them all.
func TestProviderStopsOnSIGTERMUnderBacklog(t *testing.T) {
	c := newComputeChain(t)
	dir := t.TempDir()
	prov := c.Addr("provider")
	p := c.StartProvider(t, dir, "provider", c.Nodes[0].SparePort(1), "1000uaic", "--workers", "1")
	ids := c.postJobs(t, "alice", jobBatch{N: 120, M: 256, Ncols: 256, K: 128, ChunkRows: 32, MaxPrice: "5000uaic",
		Commit: 6, Reveal: 8, Exec: 200})
	q := computetypes.NewQueryClient(c.Client(t, "").Conn)
	waitFor(t, 90*time.Second, "jobs awarded", func() bool {
		return countStates(jobStates(t, q, ids))["JOB_STATE_ASSIGNED"] > 20
	})
	took, exited := p.Terminate(10 * time.Second)
	if !exited || took > 5*time.Second {
		t.Fatalf("SIGTERM under backlog: exited %v after %s, want within 5 s\n%s", exited, took, p.LogTail(20))
	}
	t.Logf("stopped %s after SIGTERM with %v", took, countStates(jobStates(t, q, ids)))
	if err := p.Restart(); err != nil {
		t.Fatal(err)
	}
	jobs := c.waitAllEnded(t, ids, 5*time.Minute, p)
	c.assertAllSettledNoForfeit(t, jobs, prov, 50_000_000)
}

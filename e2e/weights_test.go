package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestAttackModelTakenDownEndToEnd: alice owns the model of an mlp job
// and takes its weights down as soon as the provider has fetched them
// (before the award, to size its bid; it runs the job from that copy). The
// sidecar, checking the result, finds the model's uri gone and gets the
// weights from the job's provider instead (checked against the on-chain
// sha256): the job settles by verification and every party is paid to the
// coin, where the sidecar used to abstain, the verification to end
// inconclusive and the requester to get its escrow back with the result.
func TestAttackModelTakenDownEndToEnd(t *testing.T) {
	c := startMLPChain(t)
	n := c.Nodes[0]
	dir := t.TempDir()
	alice, bob, carol, dave, prov := c.Addr("alice"), c.Addr("bob"), c.Addr("carol"), c.Addr("dave"), c.Addr("provider")
	m := listMLPMarket(t, c)
	sidecar := StartSidecar(t, dir, "sidecar", n)
	provider := c.StartProvider(t, dir, "provider", n.SparePort(1), "1000uaic")
	pool := srModuleAddr(t, "reward_pool")
	before := c.balances(t, alice, bob, carol, dave, prov, pool)

	id := c.createMLPJob(t)
	waitFor(t, 60*time.Second, "the provider's fetch of the weights", func() bool { return m.WeightsFetched.Load() > 0 })
	m.ModelDown.Store(true)

	j := c.waitJobState(t, id, 180*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED" {
		t.Fatalf("job ended %s / %s, want SETTLED by verification\nprovider:\n%s\nsidecar:\n%s",
			j.State, j.CloseReason, provider.LogTail(30), sidecar.LogTail(30))
	}
	if n := m.WeightsFetched.Load(); n != 1 {
		t.Fatalf("the model's uri served the weights %d times, want once (the provider's fetch)", n)
	}
	if !strings.Contains(sidecar.LogTail(200), "sampled chunks match") {
		t.Fatalf("the sidecar did not verify the job:\n%s", sidecar.LogTail(30))
	}
	want := mlpPayouts(5000)
	c.wantDeltas(t, before, map[string]string{alice: "alice (model owner)", bob: "bob (requester)", carol: "carol",
		dave: "dave", prov: "provider", pool: "reward pool"}, map[string]int64{
		alice: want["alice"], bob: want["bob"], carol: want["carol"], dave: want["dave"], prov: want["provider"], pool: want["pool"],
	})
}

package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestProviderAbortsWhenTheDatasetVanishes: the dataset's server answers
// the provider agent's probe when it bids, then goes away before the agent,
// having won, can fetch the rows (a withholding owner). The agent retries
// through half the execution window, then sends MsgAbortJob; the
// validator's sidecar finds the dataset's server gone and votes
// DATASET_UNAVAILABLE; the abort stands. To the coin: the requester loses
// only the creation fee (its price, model fee and dataset fee come back),
// the dataset's and the model's owners get nothing, and the honest provider
// keeps its bond and is not timed out.
func TestProviderAbortsWhenTheDatasetVanishes(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice", "bob", "carol", "dave", "provider")
	c.SetComputeParams(map[string]any{"sample_rate_floor_bps": 0, "challenge_blocks": "4", "verification_blocks": "20"})
	c.Start()
	n := c.Nodes[0]
	dir := t.TempDir()
	alice, bob, carol, dave, prov := c.Addr("alice"), c.Addr("bob"), c.Addr("carol"), c.Addr("dave"), c.Addr("provider")
	m := listMLPMarket(t, c)
	sidecar := StartSidecar(t, dir, "sidecar", n)
	provider := c.StartProvider(t, dir, "provider", n.SparePort(1), "1000uaic")
	const bond = 50_000_000
	pool := srModuleAddr(t, "reward_pool")
	names := map[string]string{alice: "alice (dataset and model owner)", bob: "bob (requester)", carol: "carol (model share)",
		dave: "dave (dataset share)", prov: "provider", pool: "reward pool"}
	before := c.balances(t, alice, bob, carol, dave, prov, pool)

	// Windows of 8 blocks: the test must see the commitment (a CLI query)
	// and stop the server before the award lets the provider fetch; with
	// 3 and 3 a busy machine's slow CLI saw it too late once.
	id := c.createMLPJob(t, "--commit-blocks", "8", "--reveal-blocks", "8")
	// Once the provider has committed its bid (it asked the dataset's
	// server first), the server goes away.
	waitFor(t, 60*time.Second, "the provider's commitment", func() bool {
		out, _, err := c.CLIErr("q", "compute", "bids", id, "-o", "json")
		return err == nil && strings.Contains(out, prov)
	})
	m.StopDataserver()

	j := c.waitJobState(t, id, 180*time.Second, "JOB_STATE_EXPIRED", "JOB_STATE_SETTLED", "JOB_STATE_FAILED")
	if j.State != "JOB_STATE_EXPIRED" || j.CloseReason != "CLOSE_REASON_ABORTED" || j.Winner != prov {
		t.Fatalf("job ended %s / %s (winner %s), want EXPIRED / ABORTED\nprovider:\n%s\nsidecar:\n%s",
			j.State, j.CloseReason, j.Winner, provider.LogTail(30), sidecar.LogTail(30))
	}
	var results json.RawMessage
	if err := n.RPC(fmt.Sprintf("/block_results?height=%d", c.jobHeights(t, id).ClosedHeight), &results); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(results), "dataset_unavailable_power") {
		t.Fatalf("no EventAbortDecided with the dataset found unavailable in the closing block:\n%s", results)
	}
	fee := computeParamInt(t, c, "job_creation_fee")
	c.wantDeltas(t, before, names, map[string]int64{
		alice: 0, carol: 0, dave: 0,
		bob:  -fee,
		prov: 0,
		pool: fee,
	})
	if got := c.providerBond(t, prov); got != bond {
		t.Fatalf("provider bond %d, want %d: the abort cost the honest provider", got, bond)
	}
}

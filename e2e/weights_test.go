package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestAttackModelTakenDownEndToEnd: alice owns the model of an mlp job
// and takes its weights down as soon as the provider has fetched them
// (before the award, to size its bid; it runs the job from that copy). The
// sidecars, checking the result, find the model's uri gone and get the
// weights from the job's provider instead (checked against the on-chain
// sha256): the job settles by verification and every party is paid to the
// coin, where the sidecars used to abstain, the verification to end
// inconclusive and the requester to get its escrow back with the result.
// The provider sends the weights once only (--fault-weights-transfers 1:
// the test network's stand-in for an uplink that cannot send V × W bytes
// within the unavailable span), so the second of the two validators (equal
// power: settling needs both) has them from the first one's sidecar, at the
// URL its validator registered (tx compute set-verifier-endpoint), where
// it used to vote UNAVAILABLE and the honest provider to forfeit its
// collateral.
func TestAttackModelTakenDownEndToEnd(t *testing.T) {
	c := startMLPChainOf(t, 2)
	dir := t.TempDir()
	alice, bob, carol, dave, prov := c.Addr("alice"), c.Addr("bob"), c.Addr("carol"), c.Addr("dave"), c.Addr("provider")
	m := listMLPMarket(t, c)
	sidecars := []*Process{c.StartWeightsSidecar(t, dir, "sidecar0", c.Nodes[0]), c.StartWeightsSidecar(t, dir, "sidecar1", c.Nodes[1])}
	provider := c.StartProvider(t, dir, "provider", c.Nodes[0].SparePort(1), "1000uaic", "--fault-weights-transfers", "1")
	logs := func() string {
		return fmt.Sprintf("provider:\n%s\nsidecar0:\n%s\nsidecar1:\n%s", provider.LogTail(30), sidecars[0].LogTail(30), sidecars[1].LogTail(30))
	}
	pool := srModuleAddr(t, "reward_pool")
	before := c.balances(t, alice, bob, carol, dave, prov, pool)

	id := c.createMLPJob(t)
	waitFor(t, 60*time.Second, "the provider's fetch of the weights", func() bool { return m.WeightsFetched.Load() > 0 })
	m.ModelDown.Store(true)

	j := c.waitJobState(t, id, 180*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED" {
		t.Fatalf("job ended %s / %s, want SETTLED by verification\n%s", j.State, j.CloseReason, logs())
	}
	if n := m.WeightsFetched.Load(); n != 1 {
		t.Fatalf("the model's uri served the weights %d times, want once (the provider's fetch)", n)
	}
	peer := 0
	for _, s := range sidecars {
		if !strings.Contains(s.LogTail(300), "sampled chunks match") {
			t.Fatalf("a sidecar did not verify the job:\n%s", logs())
		}
		if strings.Contains(s.LogTail(300), "model weights from another validator's sidecar") {
			peer++
		}
	}
	if peer != 1 {
		t.Fatalf("%d sidecars had the weights from the other, want 1 (the provider sends them once)\n%s", peer, logs())
	}
	want := mlpPayouts(5000)
	c.wantDeltas(t, before, map[string]string{alice: "alice (model owner)", bob: "bob (requester)", carol: "carol",
		dave: "dave", prov: "provider", pool: "reward pool"}, map[string]int64{
		alice: want["alice"], bob: want["bob"], carol: want["carol"], dave: want["dave"], prov: want["provider"], pool: want["pool"],
	})
}

// StartWeightsSidecar starts node n's sidecar (StartSidecar) with its
// weights server on the node's spare port 5, whose URL the validator
// registers on chain first (tx compute set-verifier-endpoint, signed with
// the node's operator key): the sidecar reads its peers as it starts.
func (c *Chain) StartWeightsSidecar(t *testing.T, dir, name string, n *Node) *Process {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d", n.SparePort(5))
	okTx(t, "set-verifier-endpoint", c.NodeTx(n, "compute", "set-verifier-endpoint", url, "--from", n.Name))
	return StartSidecar(t, dir, name, n, "--weights-listen", fmt.Sprintf("127.0.0.1:%d", n.SparePort(5)), "--weights-url", url)
}

// NodeTx is Tx signed with a key in node n's own keyring (its validator's
// operator key), broadcast through node0.
func (c *Chain) NodeTx(n *Node, args ...string) TxResult {
	c.t.Helper()
	flags := []string{"--home", n.Home, "--node", c.Nodes[0].RPCAddr(), "--chain-id", c.ChainID, "--keyring-backend", "test",
		"--yes", "--output", "json"}
	stdout, stderr, err := c.Exec(append(append([]string{"tx"}, args...), flags...)...)
	if err != nil {
		c.t.Fatalf("aichaind tx %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout, stderr)
	}
	var res TxResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		c.t.Fatalf("decode tx response %q: %v", stdout, err)
	}
	if res.Code != 0 {
		return res
	}
	return c.WaitTx(res.TxHash)
}

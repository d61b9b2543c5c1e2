package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestAttackModelOwnerWinnerWalksAwayLocalnet: alice owns the model (and the
// dataset) of bob's mlp job, and wins it with a provider of her own (on the
// CLI). She no longer wants to run it: she takes the weights down and
// aborts, where a timeout would forfeit her collateral. The validator's
// sidecar finds the model gone and the dataset served (INPUTS_UNAVAILABLE),
// so the abort stands: her collateral is released and the dataset fee her
// dataset earned since the award is paid out of bob's escrow. Before model
// bonds, bob was out that fee too; now bob's job locked it of alice's model
// availability bond when he created it, and the lock pays it back to bob: he
// is out only the creation fee, and the walk-away costs alice the fee.
func TestAttackModelOwnerWinnerWalksAwayLocalnet(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c, m, sidecar := modelBondMarket(t, "alice")
	alice, bob, carol, dave := c.Addr("alice"), c.Addr("bob"), c.Addr("carol"), c.Addr("dave")
	const bond = 50_000_000
	pool := srModuleAddr(t, "reward_pool")
	names := map[string]string{alice: "alice (model, dataset 60% and winner)", bob: "bob (requester)",
		carol: "carol (model 30%)", dave: "dave (dataset 40%)", pool: "reward pool"}
	before := c.balances(t, alice, bob, carol, dave, pool)

	id := c.assignedMLPJob(t, "alice")
	m.ModelDown.Store(true)
	okTx(t, "abort", c.Tx("compute", "abort-job", id, "inputs-unavailable", "--from", "alice", "--gas", "600000"))

	j := c.waitJobState(t, id, 120*time.Second, "JOB_STATE_EXPIRED", "JOB_STATE_SETTLED", "JOB_STATE_FAILED")
	if j.State != "JOB_STATE_EXPIRED" || j.CloseReason != "CLOSE_REASON_ABORTED" {
		t.Fatalf("job ended %s / %s, want EXPIRED / ABORTED (the abort stands)\nsidecar:\n%s", j.State, j.CloseReason, sidecar.LogTail(30))
	}
	fee := computeParamInt(t, c, "job_creation_fee")
	const datasetFee = 700
	owners := datasetFee - datasetFee*paramBps(t, c, "/aichain/datamarket/v1/params", "market_fee_bps")/10_000
	daveGot := owners * 40 / 100
	c.wantDeltas(t, before, names, map[string]int64{
		bob:   -fee, // the dataset fee back from alice's bond
		alice: owners - daveGot,
		dave:  daveGot,
		carol: 0,
		pool:  fee + (datasetFee - owners),
	})
	if b := modelBond(t, c, alice); b != "99300/0" {
		t.Fatalf("alice's model bond after the abort stood: %s (bonded/locked), want 99300/0 (the 700 lock paid to bob)", b)
	}
	if got := c.providerBond(t, alice); got != bond {
		t.Fatalf("alice's provider bond %d, want %d (a standing abort forfeits nothing)", got, bond)
	}
}

// TestAttackBuyerTakesDownBoughtWeightsLocalnet: alice, who vouches for her
// model with an availability bond, offers it to bob (transfer-ownership).
// While the offer is pending bob creates a job on it, which locks its
// dataset fee of alice's bond, and wins it with carol's provider (his
// accomplice, on the CLI). Bob accepts the model and points its uri at a
// port that serves nothing (update-uri), and carol aborts for unavailable
// inputs. A sidecar that fetched the weights from the model's uri alone
// found them gone and the abort stood: alice's bond paid bob, though her
// server still served the weights. The job keeps the uri alice's bond
// vouched for (model_uri); the validator's sidecar falls back to it, finds
// the weights, votes INPUTS_AVAILABLE, and the abort is carol's timeout:
// alice's bond is whole, and she is paid her dataset's share.
func TestAttackBuyerTakesDownBoughtWeightsLocalnet(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c, m, sidecar := modelBondMarket(t, "carol")
	alice, bob, carol, dave := c.Addr("alice"), c.Addr("bob"), c.Addr("carol"), c.Addr("dave")
	sellerURI := mrQueryModel(t, c, "1").URI
	okTx(t, "transfer-ownership", c.Tx("modelregistry", "transfer-ownership", "1", bob, "--from", "alice"))
	before := c.balances(t, alice, dave)

	id := c.assignedMLPJob(t, "carol")

	// Bob takes the model and points it at nothing; carol aborts.
	okTx(t, "accept-ownership", c.Tx("modelregistry", "accept-ownership", "1", "1", "--from", "bob"))
	gone := fmt.Sprintf("http://127.0.0.1:%d/gone.safetensors", c.Nodes[0].SparePort(2))
	okTx(t, "update-uri", c.Tx("modelregistry", "update-uri", "1", gone, "--from", "bob"))
	if got := mrQueryModel(t, c, "1"); got.Owner != bob || got.URI != gone {
		t.Fatalf("the model after bob's sale: owner %s uri %s, want bob's, at %s", got.Owner, got.URI, gone)
	}
	okTx(t, "abort", c.Tx("compute", "abort-job", id, "inputs-unavailable", "--from", "carol", "--gas", "600000"))

	j := c.waitJobState(t, id, 120*time.Second, "JOB_STATE_EXPIRED", "JOB_STATE_SETTLED", "JOB_STATE_FAILED")
	if j.State != "JOB_STATE_EXPIRED" || j.CloseReason != "CLOSE_REASON_EXECUTION_TIMEOUT" || j.ModelURI != sellerURI {
		t.Fatalf("job ended %s / %s keeping the model uri %q, want EXPIRED / EXECUTION_TIMEOUT (the weights are served at alice's uri %s)\nsidecar:\n%s",
			j.State, j.CloseReason, j.ModelURI, sellerURI, sidecar.LogTail(30))
	}
	if b := modelBond(t, c, alice); b != "100000/0" {
		t.Fatalf("alice's model bond after the abort: %s (bonded/locked), want 100000/0 (bob collects none of it)", b)
	}
	if got := c.providerBond(t, carol); got >= 50_000_000 {
		t.Fatalf("carol's provider bond %d after her abort was found a timeout, want less than the 50000000 she posted", got)
	}
	if m.WeightsFetched.Load() == 0 {
		t.Fatal("alice's server served no weights: the sidecar did not check the job's uri")
	}
	const datasetFee = 700
	owners := datasetFee - datasetFee*paramBps(t, c, "/aichain/datamarket/v1/params", "market_fee_bps")/10_000
	daveGot := owners * 40 / 100
	c.wantDeltas(t, before, map[string]string{alice: "alice (seller, dataset 60%)", dave: "dave (dataset 40%)"},
		map[string]int64{alice: owners - daveGot, dave: daveGot})
}

// modelBondMarket starts a chain of one validator with a sidecar, puts
// listMLPMarket's model (alice's, with her 100000uaic availability bond)
// and dataset on it, and registers winner's provider, bonded 50000000uaic,
// to bid on the CLI.
func modelBondMarket(t *testing.T, winner string) (*Chain, mlpMarket, *Process) {
	t.Helper()
	c := NewChain(t, 1, "alice", "bob", "carol", "dave")
	c.SetComputeParams(map[string]any{"sample_rate_floor_bps": 0, "verification_blocks": "20"})
	c.Start()
	n := c.Nodes[0]
	m := listMLPMarket(t, c)
	sidecar := StartSidecar(t, t.TempDir(), "sidecar", n)
	c.registerCLIProvider(t, winner, n.SparePort(1), "50000000uaic")
	return c, m, sidecar
}

// assignedMLPJob creates bob's mlp job on modelBondMarket's market, checks
// that it locked its 700 dataset fee of alice's model bond, and has winner
// win it on the CLI (windows long enough for a process per step).
func (c *Chain) assignedMLPJob(t *testing.T, winner string) string {
	t.Helper()
	id := c.createMLPJob(t, "--exec-blocks", "40", "--commit-blocks", "20", "--reveal-blocks", "20")
	if b := modelBond(t, c, c.Addr("alice")); b != "100000/700" {
		t.Fatalf("alice's model bond while bob's job runs: %s (bonded/locked), want 100000/700", b)
	}
	salt := c.bidCLI(t, winner, id, "5000uaic")
	c.WaitHeight(c.jobHeights(t, id).CommitEnd+1, 120*time.Second)
	okTx(t, "reveal", c.Tx("compute", "reveal-bid", id, "5000uaic", salt, "--from", winner, "--gas", "600000"))
	c.waitJobState(t, id, 60*time.Second, "JOB_STATE_ASSIGNED")
	return id
}

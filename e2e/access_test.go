package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
)

// TestAttackOwnProviderDownloadsThenTimesOutLocalnet (issue 17, attack 3):
// bob posts an mlp job over alice's dataset and wins it with a provider of
// his own, downloads the rows through the job's access and lets the job time
// out, for a refund. The access is the version the job pinned — version 2,
// published after the job was created, stays closed — and it made the
// dataset fee the owners': they are paid to the coin, and bob and his
// provider together end down more than the fee. Before the award the
// provider could read nothing.
func TestAttackOwnProviderDownloadsThenTimesOutLocalnet(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice", "bob", "carol", "dave", "provider")
	c.Start()
	m := listMLPMarket(t, c)
	alice, bob, carol, dave, prov := c.Addr("alice"), c.Addr("bob"), c.Addr("carol"), c.Addr("dave"), c.Addr("provider")
	pool := srModuleAddr(t, "reward_pool")
	const bond = 50_000_000
	c.registerCLIProvider(t, "provider", c.Nodes[0].SparePort(1), fmt.Sprintf("%duaic", bond))
	names := map[string]string{alice: "alice (dataset 60%)", bob: "bob (requester)", carol: "carol (model 30%)",
		dave: "dave (dataset 40%)", prov: "bob's provider", pool: "reward pool"}
	before := c.balances(t, alice, bob, carol, dave, prov, pool)

	// Windows for a bidder on the CLI (a process per step): on a cold CI host
	// the commit and the reveal each missed a window of 15 and 8 blocks, and
	// the winner's two downloads need the job still ASSIGNED.
	id := c.createMLPJob(t, "--exec-blocks", "20", "--commit-blocks", "30", "--reveal-blocks", "20") // pins version 1
	salt := c.bidCLI(t, "provider", id, "5000uaic")
	// alice publishes version 2 afterwards (its file served too).
	v2 := &workload.Matrix{Rows: 40, Cols: 3, Data: make([]float32, 120)}
	for i := range v2.Data {
		v2.Data[i] = float32(i%13) * 0.1
	}
	npy2, err := workload.EncodeNPY(v2)
	if err != nil {
		t.Fatal(err)
	}
	path2 := filepath.Join(m.DataDir, "rows-v2.npy")
	if err := os.WriteFile(path2, npy2, 0o644); err != nil {
		t.Fatal(err)
	}
	commitDataset(t, c, path2, "10", "alice")
	okTx(t, "update-dataset", c.Tx("datamarket", "update-dataset", "1", path2, "--rows-per-chunk", "10", "--uri", m.DataURL, "--from", "alice"))

	out := filepath.Join(t.TempDir(), "rows.npy")
	download := func(version string) error {
		_, stderr, err := c.CLIErr("q", "datamarket", "download", "1", m.DataURL, "--dataset-version", version,
			"--from", "provider", "--keyring-backend", "test", "--output", out)
		if err != nil {
			return fmt.Errorf("%w: %s", err, stderr)
		}
		return nil
	}
	if err := download("1"); err == nil || !strings.Contains(err.Error(), "no_access") {
		t.Fatalf("the provider's download before it won anything: %v, want no_access", err)
	}
	c.WaitHeight(c.jobHeights(t, id).CommitEnd+1, 120*time.Second)
	okTx(t, "reveal", c.Tx("compute", "reveal-bid", id, "5000uaic", salt, "--from", "provider", "--gas", "600000"))
	c.waitJobState(t, id, 60*time.Second, "JOB_STATE_ASSIGNED")
	if err := download("1"); err != nil {
		t.Fatalf("the winner could not read the version its job pinned: %v", err)
	}
	want, _ := workload.EncodeNPY(m.Data)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
		t.Fatal("the winner's download is not version 1")
	}
	if err := download("2"); err == nil || !strings.Contains(err.Error(), "no_access") {
		t.Fatalf("the winner's download of version 2, which its job did not pin: %v, want no_access", err)
	}

	j := c.waitJobState(t, id, 90*time.Second, "JOB_STATE_EXPIRED", "JOB_STATE_SETTLED")
	if j.CloseReason != "CLOSE_REASON_EXECUTION_TIMEOUT" {
		t.Fatalf("job ended %s / %s, want a timeout", j.State, j.CloseReason)
	}
	collateral := max(computeParamInt(t, c, "bid_deposit"), computeParamInt(t, c, "collateral_ratio_bps")*5000/10_000)
	penalty := collateral * computeParamInt(t, c, "slash_fraction_timeout") / 10_000
	fee := computeParamInt(t, c, "job_creation_fee")
	const datasetFee = 700
	comp := min(penalty*computeParamInt(t, c, "requester_compensation_bps")/10_000, fee+datasetFee)
	owners := datasetFee - datasetFee*paramBps(t, c, "/aichain/datamarket/v1/params", "market_fee_bps")/10_000
	daveGot := owners * 40 / 100
	c.wantDeltas(t, before, names, map[string]int64{
		bob:   -fee - datasetFee + comp,
		prov:  0, // its bond pays the penalty
		alice: owners - daveGot, dave: daveGot,
		carol: 0, // the model fee came back to bob
		pool:  fee + (datasetFee - owners) + penalty - comp,
	})
	if got := c.providerBond(t, prov); got != bond-penalty {
		t.Fatalf("provider bond %d, want %d", got, bond-penalty)
	}
	if pairLoss := fee + datasetFee - comp + penalty; pairLoss < datasetFee {
		t.Fatalf("bob and his provider lost %d together, less than the dataset fee %d", pairLoss, datasetFee)
	}
}

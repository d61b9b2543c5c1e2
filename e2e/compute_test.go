package e2e

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// computeJob is the part of a job the test reads, as the REST gateway and the
// CLI print it (proto field names).
type computeJob struct {
	ID            string `json:"id"`
	State         string `json:"state"`
	Winner        string `json:"winner"`
	CloseReason   string `json:"close_reason"`
	ModelURI      string `json:"model_uri"`
	ClearingPrice struct {
		Denom  string `json:"denom"`
		Amount string `json:"amount"`
	} `json:"clearing_price"`
	Sample struct {
		Selected      bool     `json:"selected"`
		Indices       []string `json:"indices"`
		SeedSource    string   `json:"seed_source"`
		BeaconHeights []string `json:"beacon_heights"`
		DecideHeight  string   `json:"decide_height"`
		RevealFrom    string   `json:"reveal_from"`
		Secret        string   `json:"secret"` // base64
		// DisputeCommitment and DisputeSecret: base64.
		DisputeCommitment string `json:"dispute_commitment"`
		DisputeSecret     string `json:"dispute_secret"`
	} `json:"sample"`
	Result struct {
		OutputRoot string `json:"output_root"` // base64
		ChunkCount string `json:"chunk_count"`
	} `json:"result"`
}

func (c *Chain) computeJobCLI(t *testing.T, id string) computeJob {
	t.Helper()
	out := c.CLI("q", "compute", "job", id, "--output", "json")
	var res struct {
		Job computeJob `json:"job"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("decode job %q: %v", out, err)
	}
	return res.Job
}

// waitJobState polls node0's REST gateway until the job is in one of the
// states. (It polled the CLI once: a process every 300 ms for each waiting
// test kept a core busy starting aichaind on a 2-core CI host, and the tests
// that drive jobs from the CLI then missed their windows. computeJobCLI
// reads a job through the CLI where a test means to.)
func (c *Chain) waitJobState(t *testing.T, id string, timeout time.Duration, states ...string) computeJob {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var j computeJob
	for time.Now().Before(deadline) {
		var res struct {
			Job computeJob `json:"job"`
		}
		if status, err := c.GetJSON("/aichain/compute/v1/jobs/"+id, &res); err == nil && status == http.StatusOK {
			j = res.Job
			for _, s := range states {
				if j.State == s {
					return j
				}
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("job %s: state %s (reason %s) after %s, want one of %v\nnode:\n%s",
		id, j.State, j.CloseReason, timeout, states, c.Nodes[0].LogTail(30))
	return j
}

func (c *Chain) restBalance(t *testing.T, addr string) math.Int {
	t.Helper()
	var res struct {
		Balance struct {
			Amount string `json:"amount"`
		} `json:"balance"`
	}
	var err error
	var status int
	for i := 0; i < 30; i++ {
		status, err = c.GetJSON("/cosmos/bank/v1beta1/balances/"+addr+"/by_denom?denom=uaic", &res)
		if err == nil && status == 200 {
			amt, ok := math.NewIntFromString(res.Balance.Amount)
			if !ok {
				t.Fatalf("balance %q", res.Balance.Amount)
			}
			return amt
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("REST balance of %s: status %d err %v", addr, status, err)
	return math.Int{}
}

// localnetCreationFee is the job_creation_fee of every localnet genesis
// (cmd/aichaind/cmd/localnet_compute.go), in uaic.
const localnetCreationFee = 10_000

func okTx(t *testing.T, what string, res TxResult) {
	t.Helper()
	if res.Code != 0 {
		t.Fatalf("%s: code %d: %s", what, res.Code, res.RawLog)
	}
}

// rejected fails t unless the transaction was refused with want: its
// codespace and code, as a wallet tells errors apart (the log's text is for
// people).
func rejected(t *testing.T, what string, res TxResult, want *errorsmod.Error) {
	t.Helper()
	if res.Codespace != want.Codespace() || res.Code != want.ABCICode() {
		t.Fatalf("%s: want a rejection %s/%d (%s), got %s/%d: %s", what, want.Codespace(), want.ABCICode(), want, res.Codespace, res.Code, res.RawLog)
	}
}

// TestComputeAuctionLifecycleCLI walks a gemm job through the real CLI on a
// one-validator chain: two providers register, alice creates a job, both
// commit and reveal, the lower bid wins at the second price, the winner
// submits, and the job settles after its challenge window (nothing is
// sampled: no sidecar runs here, and an inconclusive verification would pay
// nothing). A bad
// commitment, a late reveal and a non-winner's result are rejected with clear
// errors and move no coin. The job is read back over the CLI and REST.
func TestComputeAuctionLifecycleCLI(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice", "provider", "prov2")
	c.SetComputeParams(map[string]any{"sample_rate_floor_bps": 0})
	c.Start()
	alice, p1, p2 := c.Addr("alice"), c.Addr("provider"), c.Addr("prov2")
	gas := []string{"--gas", "600000"}
	tx := func(args ...string) TxResult { return c.Tx(append(args, gas...)...) }

	hw := `{"gpu_model":"A100","gpu_count":1,"vram_gib":80,"workloads":["gemm-f32"]}`
	okTx(t, "register provider", tx("compute", "register-provider", "gpu-1", "http://127.0.0.1:8090", hw, "10000000uaic", "--from", "provider"))
	okTx(t, "register prov2", tx("compute", "register-provider", "gpu-2", "http://127.0.0.1:8091", hw, "10000000uaic", "--from", "prov2"))

	aliceStart, p1Start := c.restBalance(t, alice), c.restBalance(t, p1)
	poolAddr := sdk.MustBech32ifyAddressBytes("aic", authtypes.NewModuleAddress("reward_pool"))
	computeAddr := sdk.MustBech32ifyAddressBytes("aic", authtypes.NewModuleAddress("compute"))
	poolStart := c.restBalance(t, poolAddr)

	// The commitments are made offline before the job exists (its id will be
	// 1), so that the commit window holds only the two commit transactions:
	// the CLI-driven bids of this test took 19 blocks of 500 ms after the
	// create on a cold CI host. p1 lets make-commitment draw its salt; p2
	// gives one (16 bytes at least).
	const id = "1"
	drawn := strings.Fields(c.CLI("tx", "compute", "make-commitment", id, p1, "1500uaic"))
	if len(drawn) != 2 {
		t.Fatalf("make-commitment printed %q, want a commitment and a salt", drawn)
	}
	c1, salt1 := drawn[0], drawn[1]
	const salt2 = "0d0e0f101112131415161718191a1b1c"
	c2 := strings.TrimSpace(c.CLI("tx", "compute", "make-commitment", id, p2, "2000uaic", salt2))
	if b, err := hex.DecodeString(c1); err != nil || len(b) != 32 {
		t.Fatalf("make-commitment printed %q", c1)
	}
	if _, _, err := c.CLIErr("tx", "compute", "make-commitment", id, p2, "2000uaic", "0a0b0c"); err == nil {
		t.Fatal("make-commitment accepted a 3-byte salt")
	}

	workload := `{"kind":"gemm-f32","gemm":{"m":64,"n":16,"k":16,"seed":7},"chunk_rows":16}`
	if got := jobIDOf(t, tx("compute", "create-job", workload, "5000uaic",
		"--commit-blocks", "24", "--reveal-blocks", "30", "--exec-blocks", "60", "--from", "alice")); got != id {
		t.Fatalf("the new job's id is %s, want %s (the commitments are for it)", got, id)
	}
	if j := c.computeJobCLI(t, id); j.State != "JOB_STATE_OPEN" {
		t.Fatalf("new job state %s", j.State)
	}
	okTx(t, "commit p1", tx("compute", "commit-bid", id, c1, "--from", "provider"))
	okTx(t, "commit p2", tx("compute", "commit-bid", id, c2, "--from", "prov2"))

	c.waitJobState(t, id, 120*time.Second, "JOB_STATE_REVEAL")
	p2Before := c.restBalance(t, p2)
	rejected(t, "bad commitment", tx("compute", "reveal-bid", id, "1999uaic", salt2, "--from", "prov2"),
		computetypes.ErrBadCommitment)
	okTx(t, "reveal p1", tx("compute", "reveal-bid", id, "1500uaic", salt1, "--from", "provider"))
	okTx(t, "reveal p2", tx("compute", "reveal-bid", id, "2000uaic", salt2, "--from", "prov2"))

	j := c.waitJobState(t, id, 120*time.Second, "JOB_STATE_ASSIGNED")
	if j.Winner != p1 || j.ClearingPrice.Amount != "2000" {
		t.Fatalf("award: winner %s at %s, want %s at the second price 2000", j.Winner, j.ClearingPrice.Amount, p1)
	}
	rejected(t, "late reveal", tx("compute", "reveal-bid", id, "2000uaic", salt2, "--from", "prov2"), computetypes.ErrRevealWindowClosed)
	root := strings.Repeat("ab", 32)
	rejected(t, "non-winner result", tx("compute", "submit-result", id, root, "4", "--from", "prov2"), computetypes.ErrNotWinner)
	if got := c.restBalance(t, p2); !got.Equal(p2Before) {
		t.Fatalf("prov2's balance moved after rejected txs: %s -> %s", p2Before, got)
	}

	okTx(t, "submit result", tx("compute", "submit-result", id, root, "4", "--from", "provider"))
	j = c.waitJobState(t, id, 90*time.Second, "JOB_STATE_SETTLED")
	if j.CloseReason != "CLOSE_REASON_SETTLED" {
		t.Fatalf("close reason %s", j.CloseReason)
	}

	// Money: the winner gets 2000 minus the 5% protocol fee, the pool the fee
	// and the creation fee, alice pays exactly the clearing price and the
	// creation fee; the module holds only the bonds.
	if got := c.restBalance(t, p1).Sub(p1Start); !got.Equal(math.NewInt(1_900)) {
		t.Fatalf("winner earned %s, want 1900", got)
	}
	if got := aliceStart.Sub(c.restBalance(t, alice)); !got.Equal(math.NewInt(2_000 + localnetCreationFee)) {
		t.Fatalf("alice paid %s, want 2000 + the %d creation fee", got, localnetCreationFee)
	}
	if got := c.restBalance(t, poolAddr).Sub(poolStart); !got.GTE(math.NewInt(100 + localnetCreationFee)) {
		t.Fatalf("reward pool got %s, want at least the 100 protocol fee and the creation fee", got)
	}
	if got := c.restBalance(t, computeAddr); !got.Equal(math.NewInt(20_000_000)) {
		t.Fatalf("compute module holds %s, want the two bonds 20000000", got)
	}

	// REST: the job and the state index.
	var rest struct {
		Job computeJob `json:"job"`
	}
	if status, err := c.GetJSON("/aichain/compute/v1/jobs/"+id, &rest); err != nil || status != 200 {
		t.Fatalf("REST job: %d %v", status, err)
	}
	if rest.Job.State != "JOB_STATE_SETTLED" || rest.Job.Winner != p1 || rest.Job.ClearingPrice.Amount != "2000" {
		t.Fatalf("REST job %+v", rest.Job)
	}
	var list struct {
		Jobs []computeJob `json:"jobs"`
	}
	if status, err := c.GetJSON("/aichain/compute/v1/jobs?state=JOB_STATE_SETTLED", &list); err != nil || status != 200 || len(list.Jobs) != 1 {
		t.Fatalf("REST jobs by state: %d %v %+v", status, err, list)
	}
	var bids struct {
		Bids []struct {
			Provider string `json:"provider"`
		} `json:"bids"`
	}
	if status, err := c.GetJSON(fmt.Sprintf("/aichain/compute/v1/jobs/%s/bids", id), &bids); err != nil || status != 200 || len(bids.Bids) != 2 {
		t.Fatalf("REST bids: %d %v %+v", status, err, bids)
	}

	// Export the chain with its providers, jobs, bids and stats, import it
	// into a fresh app, export again: the same state.
	c.Stop()
	exported, stderr, err := c.Exec("export", "--home", c.Home())
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	// Skip any log line a node component printed before the JSON document.
	if i := strings.Index(exported, "{"); i > 0 {
		exported = exported[i:]
	}
	if !strings.Contains(exported, `"compute"`) || !strings.Contains(exported, p2) {
		t.Fatal("the exported genesis lacks the compute state")
	}
	assertGenesisRoundTrip(t, []byte(exported))
}

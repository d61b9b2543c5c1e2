package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// The attacks of issue 14 that need a real chain to show (x/compute's
// README, "Economics"): each runs on a localnet of real aichaind processes,
// driven through the CLI, and asserts balances to the coin (gas is free on
// test networks). The keeper-level suite (x/compute/keeper/attack_*_test.go)
// covers all thirteen.

// jobHeights are a job's deadlines and close height, as the CLI prints them.
type jobHeights struct {
	CommitEnd    int64 `json:"commit_end,string"`
	RevealEnd    int64 `json:"reveal_end,string"`
	ExecDeadline int64 `json:"exec_deadline,string"`
	ClosedHeight int64 `json:"closed_height,string"`
}

func (c *Chain) jobHeights(t *testing.T, id string) jobHeights {
	t.Helper()
	var res struct {
		Job jobHeights `json:"job"`
	}
	if err := json.Unmarshal([]byte(c.CLI("q", "compute", "job", id, "--output", "json")), &res); err != nil {
		t.Fatal(err)
	}
	return res.Job
}

// computeParamInt reads an integer compute param, or a Coin param's amount.
func computeParamInt(t *testing.T, c *Chain, field string) int64 {
	t.Helper()
	var res struct {
		Params map[string]json.RawMessage `json:"params"`
	}
	getJSON(t, c, "/aichain/compute/v1/params", &res)
	raw := res.Params[field]
	var coin struct{ Amount string }
	if json.Unmarshal(raw, &coin) == nil && coin.Amount != "" {
		raw = json.RawMessage(strconv.Quote(coin.Amount))
	}
	n, err := strconv.ParseInt(strings.Trim(string(raw), `"`), 10, 64)
	if err != nil {
		t.Fatalf("compute param %s = %s: %v", field, raw, err)
	}
	return n
}

// balances reads the uaic balance of each address.
func (c *Chain) balances(t *testing.T, addrs ...string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, a := range addrs {
		out[a] = c.restBalance(t, a).Int64()
	}
	return out
}

// wantDeltas asserts each address's balance change since before, to the coin.
func (c *Chain) wantDeltas(t *testing.T, before map[string]int64, names map[string]string, want map[string]int64) {
	t.Helper()
	for a, d := range want {
		if got := c.restBalance(t, a).Int64() - before[a]; got != d {
			t.Errorf("%s: balance changed by %d uaic, want %d", names[a], got, d)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// registerCLIProvider registers key as a provider of any workload through
// the CLI (no agent runs: the test bids and submits by hand).
func (c *Chain) registerCLIProvider(t *testing.T, key string, port int, bond string) {
	t.Helper()
	hw := `{"gpu_model":"A100","gpu_count":1,"vram_gib":80}`
	okTx(t, "register "+key, c.Tx("compute", "register-provider", key, fmt.Sprintf("http://127.0.0.1:%d", port), hw, bond,
		"--from", key, "--gas", "600000"))
}

// bidCLI has key commit price on job id with a salt make-commitment draws,
// and returns the salt.
func (c *Chain) bidCLI(t *testing.T, key, id, price string) string {
	t.Helper()
	f := strings.Fields(c.CLI("tx", "compute", "make-commitment", id, c.Addr(key), price))
	if len(f) != 2 {
		t.Fatalf("make-commitment printed %q", f)
	}
	okTx(t, "commit "+key, c.Tx("compute", "commit-bid", id, f[0], "--from", key, "--gas", "600000"))
	return f[1]
}

// TestAttackTimeoutGriefingLocalnet (attack 1): a one-block window and more
// work than the window allows are refused; a winner that does not deliver
// forfeits the job's collateral and the requester, refunded, is compensated
// only its creation fee: it gains nothing.
func TestAttackTimeoutGriefingLocalnet(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice", "provider")
	c.Start()
	alice, prov := c.Addr("alice"), c.Addr("provider")
	pool, module := srModuleAddr(t, "reward_pool"), srModuleAddr(t, "compute")
	const bond = 50_000_000
	c.registerCLIProvider(t, "provider", c.Nodes[0].SparePort(1), fmt.Sprintf("%duaic", bond))
	names := map[string]string{alice: "requester", prov: "provider", pool: "reward pool", module: "compute module"}
	before := c.balances(t, alice, prov, pool, module)
	gas := []string{"--gas", "600000", "--from", "alice"}

	rejected(t, "one-block window", c.Tx(append([]string{"compute", "create-job", `{"kind":"gemm-f32","gemm":{"m":32,"n":16,"k":8,"seed":1},"chunk_rows":8}`,
		"5000uaic", "--commit-blocks", "3", "--reveal-blocks", "3", "--exec-blocks", "1"}, gas...)...), computetypes.ErrInvalidWindow)
	rejected(t, "work beyond the window", c.Tx(append([]string{"compute", "create-job", `{"kind":"gemm-f32","gemm":{"m":16384,"n":16384,"k":16384,"seed":1},"chunk_rows":16}`,
		"5000uaic", "--commit-blocks", "3", "--reveal-blocks", "3", "--exec-blocks", "1000"}, gas...)...), computetypes.ErrInvalidWindow)
	c.wantDeltas(t, before, names, map[string]int64{alice: 0, prov: 0, pool: 0, module: 0})

	id := jobIDOf(t, c.Tx(append([]string{"compute", "create-job", `{"kind":"gemm-f32","gemm":{"m":32,"n":16,"k":8,"seed":1},"chunk_rows":8}`,
		"5000uaic", "--commit-blocks", "20", "--reveal-blocks", "20", "--exec-blocks", "5"}, gas...)...))
	salt := c.bidCLI(t, "provider", id, "5000uaic")
	c.WaitHeight(c.jobHeights(t, id).CommitEnd+1, 60*time.Second)
	okTx(t, "reveal", c.Tx("compute", "reveal-bid", id, "5000uaic", salt, "--from", "provider", "--gas", "600000"))
	j := c.waitJobState(t, id, 90*time.Second, "JOB_STATE_EXPIRED", "JOB_STATE_SETTLED")
	if j.CloseReason != "CLOSE_REASON_EXECUTION_TIMEOUT" || j.Winner != prov {
		t.Fatalf("job ended %s / %s (winner %s), want a timeout of the provider", j.State, j.CloseReason, j.Winner)
	}
	// The penalty: slash_fraction_timeout of the collateral max(bid_deposit, ratio × 5000).
	collateral := max(computeParamInt(t, c, "bid_deposit"), computeParamInt(t, c, "collateral_ratio_bps")*5000/10_000)
	penalty := collateral * computeParamInt(t, c, "slash_fraction_timeout") / 10_000
	fee := computeParamInt(t, c, "job_creation_fee")
	comp := min(penalty*computeParamInt(t, c, "requester_compensation_bps")/10_000, fee)
	if comp != fee {
		t.Fatalf("the localnet's compensation %d does not reach the creation fee %d: the test assumes it does", comp, fee)
	}
	c.wantDeltas(t, before, names, map[string]int64{
		alice:  0, // paid the creation fee, got it back as compensation: no gain
		prov:   0,
		pool:   fee + penalty - comp,
		module: -penalty,
	})
	if got := c.providerBond(t, prov); got != bond-penalty {
		t.Fatalf("provider's bond %d, want %d (the job's collateral forfeited, no more)", got, bond-penalty)
	}
}

// TestAttackOversizedChunksLocalnet (attack 2): a job whose chunks exceed
// max_chunk_bytes (here 1024 rows × 2048 columns × 4 bytes = 8 MiB) is
// refused at creation: no job exists for a provider to win and be found
// UNAVAILABLE on, and nothing moves.
func TestAttackOversizedChunksLocalnet(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice")
	c.Start()
	alice, pool := c.Addr("alice"), srModuleAddr(t, "reward_pool")
	before := c.balances(t, alice, pool)
	if max := computeParamInt(t, c, "max_chunk_bytes"); max >= 8<<20 {
		t.Fatalf("max_chunk_bytes %d: the test needs it below 8 MiB", max)
	}
	rejected(t, "oversized chunks", c.Tx("compute", "create-job", `{"kind":"gemm-f32","gemm":{"m":4096,"n":2048,"k":1,"seed":1},"chunk_rows":1024}`,
		"5000uaic", "--commit-blocks", "3", "--reveal-blocks", "3", "--exec-blocks", "100", "--from", "alice", "--gas", "600000"),
		computetypes.ErrInvalidWorkload)
	c.wantDeltas(t, before, map[string]string{alice: "requester", pool: "reward pool"}, map[string]int64{alice: 0, pool: 0})
	var jobs struct {
		Jobs []computeJob `json:"jobs"`
	}
	getJSON(t, c, "/aichain/compute/v1/jobs", &jobs)
	if len(jobs.Jobs) != 0 {
		t.Fatalf("jobs %+v, want none", jobs.Jobs)
	}
}

// multiMsgTx broadcasts one tx of n copies of the message a tx command
// makes, signed by from, and returns its result.
func (c *Chain) multiMsgTx(t *testing.T, from string, n int, args ...string) TxResult {
	t.Helper()
	out := c.CLI(append(append([]string{"tx"}, args...), "--from", from, "--generate-only", "--gas", "50000000")...)
	var tx map[string]any
	if err := json.Unmarshal([]byte(out), &tx); err != nil {
		t.Fatalf("generated tx %q: %v", out, err)
	}
	body := tx["body"].(map[string]any)
	msgs := body["messages"].([]any)
	for len(msgs) < n {
		msgs = append(msgs, msgs[0])
	}
	body["messages"] = msgs
	dir := t.TempDir()
	unsigned, signed := filepath.Join(dir, "unsigned.json"), filepath.Join(dir, "signed.json")
	bz, err := json.Marshal(tx)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(unsigned, bz, 0o644); err != nil {
		t.Fatal(err)
	}
	c.CLI("tx", "sign", unsigned, "--from", from, "--output-document", signed)
	var res TxResult
	if err := json.Unmarshal([]byte(c.CLI("tx", "broadcast", signed)), &res); err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 {
		return res
	}
	return c.WaitTx(res.TxHash)
}

// TestAttackRevealWindowWipeoutLocalnet (attack 4): bob creates 40 jobs in
// one transaction with one commit end, ahead of alice's job; with a queue
// budget of one entry per block, alice's job is still OPEN when its reveal
// window opens. The provider reveals in the window (by height, whatever the
// stored state), wins, and forfeits nothing; bob pays 40 creation fees.
func TestAttackRevealWindowWipeoutLocalnet(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice", "bob", "provider")
	c.SetComputeParams(map[string]any{"max_queue_items_per_block": 1})
	c.Start()
	alice, bob, prov := c.Addr("alice"), c.Addr("bob"), c.Addr("provider")
	pool := srModuleAddr(t, "reward_pool")
	const bond, spam = 50_000_000, 40
	c.registerCLIProvider(t, "provider", c.Nodes[0].SparePort(1), fmt.Sprintf("%duaic", bond))
	names := map[string]string{alice: "victim requester", bob: "attacker", prov: "bidder", pool: "reward pool"}
	before := c.balances(t, alice, bob, prov, pool)
	spec := `{"kind":"gemm-f32","gemm":{"m":32,"n":16,"k":8,"seed":1},"chunk_rows":8}`

	okTx(t, "spam", c.multiMsgTx(t, "bob", spam, "compute", "create-job", spec, "1000uaic",
		"--commit-blocks", "8", "--reveal-blocks", "8", "--exec-blocks", "100"))
	// Windows for a bidder on the CLI beside the other tests: a 10-block
	// reveal window closed before the reveal landed on a busy host.
	id := jobIDOf(t, c.Tx("compute", "create-job", spec, "5000uaic", "--commit-blocks", "20", "--reveal-blocks", "30",
		"--exec-blocks", "100", "--from", "alice", "--gas", "600000"))
	salt := c.bidCLI(t, "provider", id, "4000uaic")
	h := c.jobHeights(t, id)
	c.WaitHeight(h.CommitEnd+1, 60*time.Second)
	if j := c.computeJobCLI(t, id); j.State != "JOB_STATE_OPEN" {
		t.Fatalf("alice's job is %s past its commit end: the backlog did not hold it (the test needs it held)", j.State)
	}
	okTx(t, "reveal in the window, the job still OPEN", c.Tx("compute", "reveal-bid", id, "4000uaic", salt, "--from", "provider", "--gas", "600000"))
	j := c.waitJobState(t, id, 120*time.Second, "JOB_STATE_ASSIGNED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_ASSIGNED" || j.Winner != prov || j.ClearingPrice.Amount != "5000" {
		t.Fatalf("alice's job: %s / %s, winner %s at %s", j.State, j.CloseReason, j.Winner, j.ClearingPrice.Amount)
	}
	// Wait for the spam to expire (refunded escrows, kept fees).
	var stats struct {
		Stats struct {
			JobsPerState []struct {
				State string `json:"state"`
				Count string `json:"count"`
			} `json:"jobs_per_state"`
		} `json:"stats"`
	}
	deadline := time.Now().Add(120 * time.Second)
	for expired := ""; expired != strconv.Itoa(spam); {
		if time.Now().After(deadline) {
			t.Fatalf("the spam did not expire: %+v", stats)
		}
		time.Sleep(time.Second)
		getJSON(t, c, "/aichain/compute/v1/stats", &stats)
		for _, sc := range stats.Stats.JobsPerState {
			if sc.State == "JOB_STATE_EXPIRED" {
				expired = sc.Count
			}
		}
	}
	fee := computeParamInt(t, c, "job_creation_fee")
	c.wantDeltas(t, before, names, map[string]int64{
		bob:   -spam * fee,
		alice: -fee - 5000, // the creation fee and the escrow of its live job
		prov:  0,
		pool:  (spam + 1) * fee,
	})
	if got := c.providerBond(t, prov); got != bond {
		t.Fatalf("bidder's bond %d, want %d: nothing forfeited", got, bond)
	}
}

// TestAttackFrozenEscrowLocalnet (attack 9): a model whose revenue share
// names a module account that may not receive coins (here the distribution
// module) made its fee unpayable, and the job used to stay SUBMITTED for
// good, its escrow and the winner's collateral frozen. Two defences: the
// payout that fails goes to the reward pool and the job settles
// (TestAttackFrozenEscrow in x/compute/keeper, balances to the coin), and
// such a share is refused at every entry — registration, share updates and
// genesis. This test is the last entry on a real node: a chain whose genesis
// holds such a model does not start, and says why.
func TestAttackFrozenEscrowLocalnet(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice")
	distr := srModuleAddr(t, "distribution")
	c.EditGenesis(func(app map[string]json.RawMessage) {
		var mr map[string]any
		if err := json.Unmarshal(app["modelregistry"], &mr); err != nil {
			t.Fatal(err)
		}
		mr["models"] = []any{map[string]any{
			"id": "1", "owner": c.Addr("alice"), "name": "frozen", "version": "1.0.0", "architecture": workload.KindMLP,
			"sha256": strings.Repeat("ab", 32), "uri": "https://models.example/frozen.safetensors",
			"input_dim": "3", "output_dim": "2", "license": "MIT",
			"fee_per_job": []any{map[string]any{"denom": "uaic", "amount": "1000"}}, "fee_per_1k_rows": []any{},
			"shares": []any{map[string]any{"address": distr, "weight": 1}}, "status": "MODEL_STATUS_ACTIVE",
		}}
		mr["next_model_id"] = "2"
		bz, err := json.Marshal(mr)
		if err != nil {
			t.Fatal(err)
		}
		app["modelregistry"] = bz
	})
	n := c.Nodes[0]
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-n.done:
	case <-time.After(90 * time.Second):
		t.Fatalf("a chain whose genesis pays a module account started:\n%s", n.LogTail(20))
	}
	if log := n.LogTail(400); !strings.Contains(log, "module account") {
		t.Fatalf("the node stopped without saying the share names a module account:\n%s", n.LogTail(40))
	}
	if h, err := n.Height(); err == nil && h > 0 {
		t.Fatalf("the poisoned chain made block %d", h)
	}
}

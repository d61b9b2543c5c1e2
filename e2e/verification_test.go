package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aichain/aichain/jobexec"
)

func (c *Chain) providerBond(t *testing.T, addr string) int64 {
	t.Helper()
	out := c.CLI("q", "compute", "provider", addr, "--output", "json")
	var res struct {
		Provider struct {
			Bond struct {
				Amount string `json:"amount"`
			} `json:"bond"`
		} `json:"provider"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("decode provider: %v\n%s", err, out)
	}
	n, err := strconv.ParseInt(res.Provider.Bond.Amount, 10, 64)
	if err != nil {
		t.Fatalf("bond %q: %v", res.Provider.Bond.Amount, err)
	}
	return n
}

func (c *Chain) createGemmJob(t *testing.T, seed int) string {
	t.Helper()
	spec := fmt.Sprintf(`{"kind":"gemm-f32","gemm":{"m":32,"n":16,"k":8,"seed":%d},"chunk_rows":8}`, seed)
	res := c.Tx("compute", "create-job", spec, "5000uaic", "--commit-blocks", "3", "--reveal-blocks", "3",
		"--exec-blocks", "40", "--from", "alice")
	if res.Code != 0 {
		t.Fatalf("create-job: code %d: %s", res.Code, res.RawLog)
	}
	for _, ev := range res.Events {
		for _, a := range ev.Attributes {
			if a.Key == "job_id" {
				return strings.Trim(a.Value, `"`)
			}
		}
	}
	t.Fatalf("create-job emitted no job_id: %+v", res.Events)
	return ""
}

// TestVerifiedComputeEndToEnd runs a real provider agent and a real verifier
// sidecar beside a one-validator chain with vote extensions on:
//  1. an honest job is sampled, verified by the sidecar through vote
//     extensions, and settles as verified (not inconclusive);
//  2. a provider in fault mode is found INVALID: the job FAILS with reason
//     fraud and its bond shrinks by the slash;
//  3. with the sidecar killed the chain keeps making blocks and a sampled job
//     settles as inconclusive when the verification window ends.
func TestVerifiedComputeEndToEnd(t *testing.T) {
	c := NewChain(t, 1, "alice", "provider", "cheat")
	c.SetComputeParams(map[string]any{
		"sample_rate_floor_bps": 10000, // every job is sampled
		"samples_per_job":       4,     // all 4 chunks of these jobs
		"verification_blocks":   "12",
		"challenge_blocks":      "6",
	})
	c.Start()
	n := c.Nodes[0]
	dir := t.TempDir()

	sidecar := StartProcess(t, dir, "sidecar", "aichain-sidecar",
		"--node", n.GRPCAddr(), "--listen", fmt.Sprintf("127.0.0.1:%d", n.SparePort(0)), "--metrics", "",
		"--backend", "cpu", "--poll", "300ms", "--fetch-timeout", "2s", "--fetch-retries", "2")
	startProvider := func(key string, port int, extra ...string) *Process {
		args := append([]string{
			"--node", n.GRPCAddr(), "--chain-id", ChainID, "--home", c.Home(), "--keyring-backend", "test",
			"--from", key, "--data-dir", dir + "/" + key, "--listen", fmt.Sprintf("127.0.0.1:%d", port),
			"--backend", "cpu", "--bond", "50000000uaic", "--min-price", "1000uaic", "--poll", "300ms",
			"--moniker", key,
		}, extra...)
		return StartProcess(t, dir, key, "aichain-provider", args...)
	}

	// 1. Honest provider: sampled, verified VALID by the sidecar, settled.
	honest := startProvider("provider", n.SparePort(1))
	id := c.createGemmJob(t, 1)
	j := c.waitJobState(t, id, 120*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED" {
		t.Fatalf("honest job ended %s / %s, want SETTLED by verification\nprovider:\n%s\nsidecar:\n%s",
			j.State, j.CloseReason, honest.LogTail(20), sidecar.LogTail(20))
	}
	if !j.Sample.Selected || len(j.Sample.Indices) == 0 {
		t.Fatalf("job %s was not sampled: %+v", id, j.Sample)
	}
	if j.Winner != c.Addr("provider") {
		t.Fatalf("winner %s, want the provider agent", j.Winner)
	}
	// A chunk fetched as a user would (curl) verifies against the on-chain root.
	root, err := base64.StdEncoding.DecodeString(j.Result.OutputRoot)
	if err != nil {
		t.Fatalf("output_root %q: %v", j.Result.OutputRoot, err)
	}
	chunkCount, _ := strconv.ParseUint(j.Result.ChunkCount, 10, 64)
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/v1/jobs/%s/chunks/2", n.SparePort(1), id))
	if err != nil {
		t.Fatal(err)
	}
	var chunk jobexec.ChunkResponse
	err = json.NewDecoder(resp.Body).Decode(&chunk)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := chunk.Verify(root, chunkCount, 2); err != nil {
		t.Fatalf("served chunk 2 does not verify against the on-chain root: %v", err)
	}
	honest.Stop()

	// 2. A provider that corrupts a chunk: INVALID, fraud, slashed.
	cheatAddr := c.Addr("cheat")
	cheat := startProvider("cheat", n.SparePort(2), "--fault-corrupt-chunk", "1")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, _, err := c.CLIErr("q", "compute", "provider", cheatAddr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cheat never registered:\n%s", cheat.LogTail(20))
		}
		time.Sleep(300 * time.Millisecond)
	}
	bondBefore := c.providerBond(t, cheatAddr)
	id = c.createGemmJob(t, 2)
	j = c.waitJobState(t, id, 120*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_FAILED" || j.CloseReason != "CLOSE_REASON_FRAUD" {
		t.Fatalf("corrupt job ended %s / %s, want FAILED by fraud\ncheat:\n%s\nsidecar:\n%s",
			j.State, j.CloseReason, cheat.LogTail(20), sidecar.LogTail(20))
	}
	if after := c.providerBond(t, cheatAddr); after >= bondBefore {
		t.Fatalf("cheat's bond %d after fraud, was %d: not slashed", after, bondBefore)
	}
	cheat.Stop()

	// 3. Sidecar killed: blocks go on, and the job settles as inconclusive.
	sidecar.Kill()
	startProvider("provider", n.SparePort(1))
	id = c.createGemmJob(t, 3)
	j = c.waitJobState(t, id, 120*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED_INCONCLUSIVE" {
		t.Fatalf("job without a sidecar ended %s / %s, want SETTLED_INCONCLUSIVE", j.State, j.CloseReason)
	}
	c.WaitBlocks(3)
}

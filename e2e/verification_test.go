package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"
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

// createGemmJob has alice create a 32×16×8 gemm job (4 chunks) with max
// price 5000uaic and windows of 6 blocks, and returns its id; extra flags
// override the defaults (the last of a repeated flag wins). With windows of
// 3 blocks, the withholder agent of TestOutageIsNotFraud, started just
// before its job on a loaded CI host, missed the commit window (the job
// EXPIRED, NO_VALID_REVEAL), as createMLPJob's agents had.
func (c *Chain) createGemmJob(t *testing.T, seed int, extra ...string) string {
	t.Helper()
	spec := fmt.Sprintf(`{"kind":"gemm-f32","gemm":{"m":32,"n":16,"k":8,"seed":%d},"chunk_rows":8}`, seed)
	args := append([]string{"compute", "create-job", spec, "5000uaic", "--commit-blocks", "6", "--reveal-blocks", "6",
		"--exec-blocks", "40", "--from", "alice"}, extra...)
	return jobIDOf(t, c.Tx(args...))
}

// TestVerifiedComputeEndToEnd runs a real provider agent and a real verifier
// sidecar beside a one-validator chain with vote extensions on:
//  1. an honest job is sampled, verified by the sidecar through vote
//     extensions, and settles as verified (not inconclusive);
//  2. a provider in fault mode is found INVALID: the job FAILS with reason
//     fraud and its bond shrinks by the slash;
//  3. with the sidecar killed the chain keeps making blocks and a sampled job
//     ends inconclusive when its verification window, extended once, ends:
//     the requester is refunded and the provider paid nothing.
func TestVerifiedComputeEndToEnd(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
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

	sidecar := StartSidecar(t, dir, "sidecar", n)
	// 1. Honest provider: sampled, verified VALID by the sidecar, settled.
	honest := c.StartProvider(t, dir, "provider", n.SparePort(1), "1000uaic")
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
	// A chunk fetched by the requester verifies against the on-chain root.
	root, err := base64.StdEncoding.DecodeString(j.Result.OutputRoot)
	if err != nil {
		t.Fatalf("output_root %q: %v", j.Result.OutputRoot, err)
	}
	chunkCount, _ := strconv.ParseUint(j.Result.ChunkCount, 10, 64)
	chunk := c.fetchChunk(t, "alice", n.SparePort(1), id, 2)
	if err := chunk.Verify(root, chunkCount, 2); err != nil {
		t.Fatalf("served chunk 2 does not verify against the on-chain root: %v", err)
	}
	honest.Stop()

	// 2. A provider that corrupts a chunk: INVALID, fraud, slashed.
	cheatAddr := c.Addr("cheat")
	cheat := c.StartProvider(t, dir, "cheat", n.SparePort(2), "1000uaic", "--fault-corrupt-chunk", "1")
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

	// 3. Sidecar killed: blocks go on, and the job ends inconclusive after
	// its window and one extension, paying nothing.
	sidecar.Kill()
	c.StartProvider(t, dir, "provider", n.SparePort(1), "1000uaic")
	id = c.createGemmJob(t, 3)
	j = c.waitJobState(t, id, 150*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_EXPIRED" || j.CloseReason != "CLOSE_REASON_VERIFICATION_INCONCLUSIVE" {
		t.Fatalf("job without a sidecar ended %s / %s, want EXPIRED / VERIFICATION_INCONCLUSIVE", j.State, j.CloseReason)
	}
	c.WaitBlocks(3)
}

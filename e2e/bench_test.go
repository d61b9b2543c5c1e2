package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBenchChainRuns runs `aichain-bench chain` (what `make bench-chain`
// runs) as a newcomer would, on its own fresh one-validator network on
// loopback, with make's 200 accounts but one transaction of each measured
// kind per account: the lock and claim kinds, whose setup funds and locks
// 400 claimers besides the 200 accounts. Nothing else runs the tool in CI,
// and it broke unseen once already: the client's per-message gas cap
// (chainclient.MsgsGasLimit) made its funding multi-send to 200 accounts
// run out of gas. Every transaction signed must commit without failing,
// and the report (table, JSON, chart) must be written.
func TestBenchChainRuns(t *testing.T) {
	parallel(t)
	bin := Binaries(t)
	out := t.TempDir()
	base := freePortBlock(t, 1, 7) // P2P, RPC, gRPC, REST, verifier, Prometheus, pprof
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "aichain-bench"), "chain", "--bin", bin, "--out", out,
		"--accounts", "200", "--per-account", "1", "--kinds", "lock,claim",
		"--base-port", strconv.Itoa(base), "--timeout", "7m")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) } // it stops its node
	cmd.WaitDelay = 30 * time.Second
	logs, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aichain-bench chain: %v\n%s", err, lastLines(string(logs), 40))
	}
	var report struct {
		Kinds []struct {
			Kind      string `json:"kind"`
			Signed    int    `json:"signed"`
			Rejected  int    `json:"rejected_by_checktx"`
			Committed int    `json:"committed"`
			Failed    int    `json:"failed_in_block"`
		} `json:"kinds"`
	}
	bz, err := os.ReadFile(filepath.Join(out, "chain-bench.json"))
	if err != nil {
		t.Fatalf("no JSON report: %v\n%s", err, lastLines(string(logs), 40))
	}
	if err := json.Unmarshal(bz, &report); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, k := range report.Kinds {
		seen[k.Kind] = true
		if k.Signed == 0 || k.Committed != k.Signed || k.Failed != 0 || k.Rejected != 0 {
			t.Errorf("%s: signed %d, refused by CheckTx %d, committed %d, failed in a block %d",
				k.Kind, k.Signed, k.Rejected, k.Committed, k.Failed)
		}
	}
	for _, want := range []string{"bank send", "lock", "claim rewards"} {
		if !seen[want] {
			t.Errorf("the report has no %q phase: %v", want, seen)
		}
	}
	for _, f := range []string{"chain-bench.md", "chain-bench.png"} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("report file %s: %v", f, err)
		}
	}
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

package app_test

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"cosmossdk.io/log"

	"github.com/aichain/aichain/app/apptesting"
)

// blockLineFields is the key=value fields of the "block executed" lines
// in out, one map per line.
func blockLineFields(t *testing.T, out string) []map[string]string {
	t.Helper()
	var lines []map[string]string
	kv := regexp.MustCompile(`([a-z_]+)=(\S+)`)
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "block executed") {
			continue
		}
		f := map[string]string{}
		for _, m := range kv.FindAllStringSubmatch(line, -1) {
			f[m[1]] = m[2]
		}
		lines = append(lines, f)
	}
	return lines
}

func fieldFloat(t *testing.T, f map[string]string, key string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(f[key], 64)
	if err != nil {
		t.Fatalf("field %s=%q: %v (line %v)", key, f[key], err, f)
	}
	return v
}

// The node logs one line per committed block saying where the height's time
// went: the wait since the last Commit, PrepareProposal, ProcessProposal,
// the votes, FinalizeBlock split into before, during and after the block's
// transactions (the parts add up to it), the time to Commit, Commit, the
// block's gas, and the rechecks CometBFT ran since the block before (they
// hold the same lock). aichain-bench reads these lines to explain its
// longest intervals.
func TestBlockLogSaysWhereTheTimeWent(t *testing.T) {
	ta := apptesting.Setup(t, 2)
	var buf bytes.Buffer
	ta.SetBlockLogger(log.NewLogger(&buf, log.ColorOption(false)))
	ta.NextBlock() // a Commit the next height's wait starts from
	buf.Reset()

	h := ta.Ctx.BlockHeight()
	txs := propose(t, ta, sends(t, ta, 5))
	if res, err := ta.ProcessProposal(&abci.RequestProcessProposal{
		Height: h, Time: ta.Ctx.BlockTime(), Txs: txs, Hash: []byte("block-hash-for-tests-0000000000000000"),
	}); err != nil || res.Status != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("process proposal: %v %v", res, err)
	}
	var gas int64
	for i, r := range ta.NextBlockWithTxs(txs) {
		if r.Code != 0 {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
		gas += r.GasUsed
	}
	lines := blockLineFields(t, buf.String())
	if len(lines) != 1 {
		t.Fatalf("%d block lines after one block, want 1:\n%s", len(lines), buf.String())
	}
	f := lines[0]
	if f["height"] != strconv.FormatInt(h, 10) || f["txs"] != "5" || f["gas_used"] != strconv.FormatInt(gas, 10) || f["rechecks_before"] != "0" {
		t.Fatalf("line %v, want height %d, 5 txs, gas %d, no rechecks", f, h, gas)
	}
	total, txsMs := fieldFloat(t, f, "finalize_ms"), fieldFloat(t, f, "txs_ms")
	parts := fieldFloat(t, f, "before_txs_ms") + txsMs + fieldFloat(t, f, "after_txs_ms")
	if total <= 0 || txsMs <= 0 || parts > total+0.001 || parts < total-0.01 {
		t.Fatalf("finalize %v ms, its parts add to %v (txs %v): %v", total, parts, txsMs, f)
	}
	for _, k := range []string{"wait_ms", "prepare_ms", "process_ms", "commit_ms"} {
		if fieldFloat(t, f, k) <= 0 {
			t.Fatalf("no %s: %v", k, f)
		}
	}
	for _, k := range []string{"votes_ms", "to_extend_ms", "extend_ms", "results_ms"} {
		if fieldFloat(t, f, k) < 0 {
			t.Fatalf("negative %s: %v", k, f)
		}
	}

	// Rechecks after a block are counted in the next block's line.
	buf.Reset()
	more := sends(t, ta, 7)[5:]
	for _, tx := range more {
		if res, err := ta.CheckTx(&abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_Recheck}); err != nil || res.Code != 0 {
			t.Fatalf("recheck: %v %v", res, err)
		}
	}
	if _, err := ta.CheckTx(&abci.RequestCheckTx{Tx: more[0], Type: abci.CheckTxType_New}); err != nil {
		t.Fatal(err)
	}
	ta.NextBlock()
	lines = blockLineFields(t, buf.String())
	if len(lines) != 1 || lines[0]["rechecks_before"] != "2" || lines[0]["txs"] != "0" || fieldFloat(t, lines[0], "recheck_ms") <= 0 {
		t.Fatalf("lines %v, want one with the 2 rechecks (not the new check) and no txs", lines)
	}
	if lines[0]["prepare_ms"] != "0" || lines[0]["process_ms"] != "0" {
		t.Fatalf("a height without proposal calls has proposal times: %v", lines[0])
	}
}

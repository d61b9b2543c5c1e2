package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Every kind's message passes its stateless checks (the chain's CheckTx and
// message server run them), with the current rules: salts of 16 bytes, a
// licence purchase capped by max_price, windows set.
func TestKindMessagesValidate(t *testing.T) {
	accs := newAccounts(2)
	a, b := accs[0].bech, accs[1].bech
	w := jobWindows{commit: 10, reveal: 20, exec: 60}
	for name, m := range map[string]sdk.Msg{
		kindSend: sendMsg(a, b), kindProvider: providerMsg(a), kindModel: modelMsg(a, 0, 1), kindLock: lockMsg(a),
		kindClaim: claimMsg(a), kindDataset: datasetMsg(a, 3), kindLicence: licenceMsg(b, 7), kindCreate: createMsg(a, 1, w),
		kindCommit: commitMsg(b, 5), kindReveal: revealMsg(b, 5), kindSubmit: submitMsg(b, 5),
		kindContentCommit: contentCommitMsg(accs[0], 3), kindWeightsCommit: weightsCommitMsg(accs[0], 0, 1),
	} {
		v, ok := m.(sdk.HasValidateBasic)
		if !ok {
			continue // bank's MsgSend checks in its handler
		}
		if err := v.ValidateBasic(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A pre-signed tx decodes with the chain's codecs, carries the account's
// sequence, and advances it.
func TestSignerSignsWithSequence(t *testing.T) {
	enc, err := chainclient.MakeEncodingConfig()
	if err != nil {
		t.Fatal(err)
	}
	acc := newAccounts(1)[0]
	acc.num, acc.seq = 7, 3
	s := signer{chainID: "aichain-local-1", enc: enc}
	bz, hash, err := s.sign(acc, 100_000, sendMsg(acc.bech, acc.bech))
	if err != nil {
		t.Fatal(err)
	}
	if acc.seq != 4 || len(hash) != 64 {
		t.Fatalf("seq %d, hash %q", acc.seq, hash)
	}
	tx, err := enc.TxConfig.TxDecoder()(bz)
	if err != nil {
		t.Fatal(err)
	}
	sigTx, ok := tx.(interface {
		GetGas() uint64
		GetMsgs() []sdk.Msg
	})
	if !ok || sigTx.GetGas() != 100_000 || len(sigTx.GetMsgs()) != 1 {
		t.Fatalf("decoded %T", tx)
	}
}

func TestParseKindsAddsWhatAKindNeeds(t *testing.T) {
	got, err := parseKinds("submit")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{kindSend, kindCreate, kindCommit, kindReveal, kindSubmit}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %v, want %v", got, want)
	}
	// A claim's owners are the claimers (set up, not a lock phase); their
	// rewards are the jobs' creation fees.
	got, err = parseKinds("claim")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{kindSend, kindCreate, kindClaim}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := parseKinds("send,nope"); err == nil {
		t.Fatal("an unknown kind was accepted")
	}
}

func TestParseTimings(t *testing.T) {
	text := `# HELP cometbft_abci_connection_method_timing_seconds Timing for each ABCI method.
cometbft_abci_connection_method_timing_seconds_bucket{chain_id="c",method="check_tx",type="async",le="0.0001"} 3
cometbft_abci_connection_method_timing_seconds_sum{chain_id="c",method="check_tx",type="async"} 1.5
cometbft_abci_connection_method_timing_seconds_count{chain_id="c",method="check_tx",type="async"} 1000
cometbft_abci_connection_method_timing_seconds_sum{chain_id="c",method="check_tx",type="sync"} 0.5
cometbft_abci_connection_method_timing_seconds_count{chain_id="c",method="check_tx",type="sync"} 10
cometbft_abci_connection_method_timing_seconds_sum{chain_id="c",method="finalize_block",type="sync"} 2.25
cometbft_abci_connection_method_timing_seconds_count{chain_id="c",method="finalize_block",type="sync"} 9
cometbft_abci_connection_method_timing_seconds_sum{chain_id="c",method="commit",type="sync"} 7
`
	got, err := parseTimings(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if got.CheckTx != (abciTiming{2, 1010}) || got.Finalize != (abciTiming{2.25, 9}) {
		t.Fatalf("got %+v", got)
	}
	cpu, err := parseCPU("42 (aichaind x) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0")
	if err != nil || cpu != 3 {
		t.Fatalf("cpu %v, %v", cpu, err)
	}
	peak, err := parsePeakRSS("Name:\taichaind\nVmPeak:\t 9999 kB\nVmHWM:\t  2048000 kB\nVmRSS:\t 1000 kB\n")
	if err != nil || peak != 2000 {
		t.Fatalf("peak %v, %v", peak, err)
	}
	if _, err := parsePeakRSS("VmRSS:\t 1000 kB\n"); err == nil {
		t.Fatal("no VmHWM line, no error")
	}
}

// The rate runs from the block before the kind's first to its last; failed
// txs count as committed and are reported apart; other txs are ignored.
func TestMeasure(t *testing.T) {
	t0 := time.Unix(1000, 0)
	blocks := []blockInfo{
		{Height: 1, Time: t0, Txs: []txInfo{{Hash: "OTHER"}}},
		{Height: 2, Time: t0.Add(time.Second), Txs: []txInfo{{Hash: "A", GasUsed: 100}, {Hash: "B", GasUsed: 300, Code: 5, Log: "boom"}}},
		{Height: 3, Time: t0.Add(2500 * time.Millisecond), Txs: []txInfo{{Hash: "C", GasUsed: 200}, {Hash: "OTHER2"}}},
		{Height: 4, Time: t0.Add(4 * time.Second)},
	}
	hashes := map[string]bool{"A": true, "B": true, "C": true}
	r := measure("k", hashes, blocks, nodeTimings{Finalize: abciTiming{Sum: 0.003}, CPUSeconds: 0.006, CheckTx: abciTiming{Sum: 1, Count: 4}})
	if r.Committed != 3 || r.Failed != 1 || r.FirstFailure != "boom" || r.Blocks != 2 {
		t.Fatalf("%+v", r)
	}
	if r.Seconds != 2.5 || r.TxPerSec != 3/2.5 || r.GasMean != 200 {
		t.Fatalf("%+v", r)
	}
	if r.FinalizeMicros != 1000 || r.CPUMicros != 2000 || r.CheckTxMicros != 1000 || r.CheckTxLatency != 250000 || r.CheckTxCalls != 4.0/3 {
		t.Fatalf("%+v", r)
	}
	if r.SteadyTxPerSec != 0 || r.SteadyBlocks != 0 {
		t.Fatalf("two blocks cannot give a steady rate: %+v", r)
	}
	if iv := loadedIntervals(blocks, hashes); len(iv) != 2 || iv[0] != 1 || iv[1] != 1.5 {
		t.Fatalf("intervals %v", iv)
	}
	xs := []float64{5, 1, 3, 2, 4}
	if percentile(xs, 50) != 3 || percentile(xs, 99) != 5 || percentile(xs, 0) != 1 || percentile(nil, 50) != 0 {
		t.Fatal("percentile")
	}
}

// The steady rate leaves out the kind's first and last blocks: the ramp
// while its txs arrive and the remainder.
func TestSteadyRate(t *testing.T) {
	t0 := time.Unix(1000, 0)
	blocks := []blockInfo{
		{Height: 1, Time: t0, Txs: []txInfo{{Hash: "A"}}},
		{Height: 2, Time: t0.Add(1 * time.Second), Txs: []txInfo{{Hash: "B"}, {Hash: "C"}, {Hash: "OTHER"}}},
		{Height: 3, Time: t0.Add(3 * time.Second), Txs: []txInfo{{Hash: "D"}, {Hash: "E"}, {Hash: "F"}, {Hash: "G"}}},
		{Height: 4, Time: t0.Add(4 * time.Second), Txs: []txInfo{{Hash: "H"}}},
	}
	hashes := map[string]bool{"A": true, "B": true, "C": true, "D": true, "E": true, "F": true, "G": true, "H": true}
	rate, n := steadyRate(hashes, blocks)
	if n != 2 || rate != 6.0/3 {
		t.Fatalf("steady %v over %d blocks, want 2 over 2", rate, n)
	}
	r := measure("k", hashes, blocks, nodeTimings{})
	if r.SteadyTxPerSec != 2 || r.SteadyBlocks != 2 || r.Blocks != 4 {
		t.Fatalf("%+v", r)
	}
}

// The table gives each kind's ratios to the bank send phase run right
// before it (or, without one, to the run's first).
func TestTableRatio(t *testing.T) {
	send := kindResult{Kind: kindSend, TxPerSec: 1100, SteadyTxPerSec: 1000, SteadyBlocks: 3, CPUMicros: 100, GasMean: 50}
	paired := kindResult{Kind: kindSend, SteadyTxPerSec: 800, SteadyBlocks: 3, CPUMicros: 125, GasMean: 50}
	c := &chainResult{Date: "d", Machine: "m", Accounts: 2, PerAccount: 3, BlockTime: "1s", options: &chainOptions{options: options{out: t.TempDir()}},
		Kinds: []kindResult{send,
			{Kind: kindCreate, TxPerSec: 950, SteadyTxPerSec: 900, SteadyBlocks: 4, CPUMicros: 125, GasMean: 100, Failed: 1, FirstFailure: "x", Lost: 2},
			{Kind: kindModel, SteadyTxPerSec: 720, SteadyBlocks: 4, CPUMicros: 150, GasMean: 100, PairedSend: &paired},
			{Kind: kindLock, Committed: 5, TxPerSec: 500, CPUMicros: 110}},
		Intervals: []float64{1, 1.2}}
	tab := c.table()
	for _, want := range []string{"| bank send | 0 (0) | 0 (3) | 1100 | 1000 | 1000 | 1.00 | 50 | 1.00 | 100 | 1.00 |",
		"| create job | 0 (1) | 0 (4) | 950 | 900 | 1000 | 0.90 | 100 | 1.80 | 125 | 1.25 |",
		"| register model | 0 (0) | 0 (4) | 0 | 720 | 800 | 0.90 | 100 | 1.80 | 150 | 1.20 |",
		"| lock | 5 (0) | 0 (0) | 500 | 0 | 1000 | 0.00 |",
		"lock: committed in fewer than three blocks", "p99 1.20 s", "create job: 1 failed",
		"create job: 2 answered code 0 by CheckTx but never committed"} {
		if !strings.Contains(tab, want) {
			t.Errorf("table lacks %q:\n%s", want, tab)
		}
	}
	if err := c.chart(); err != nil {
		t.Fatalf("chart: %v", err)
	}
}

// A kind profiled in several phases keeps a profile of each.
func TestFreeNameKeepsEachProfile(t *testing.T) {
	base := filepath.Join(t.TempDir(), "send.cpu")
	first := freeName(base, "pprof")
	if first != base+".pprof" {
		t.Fatalf("first profile named %s", first)
	}
	if err := os.WriteFile(first, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if second := freeName(base, "pprof"); second != base+".2.pprof" {
		t.Fatalf("second profile named %s", second)
	}
}

// --trace adds an execution trace of the node to its two profiles, from
// pprof's trace endpoint, in a file of its own kind; without it, only the
// profiles are taken (a trace costs the node more than a profile).
func TestTraceOnlyWhenAsked(t *testing.T) {
	if got := captures(false); len(got) != 2 || got[0].endpoint != "profile" || got[1].endpoint != "allocs" {
		t.Fatalf("captures without --trace: %+v", got)
	}
	got := captures(true)
	if len(got) != 3 || got[2] != (nodeCapture{endpoint: "trace", ext: "trace"}) {
		t.Fatalf("captures with --trace: %+v", got)
	}
}

// --trace without --profile would trace nothing: the run refuses it before
// it starts a node.
func TestTraceWithoutProfileRefused(t *testing.T) {
	o := &chainOptions{accounts: 2, perAccount: 1, trace: true}
	o.out = t.TempDir()
	err := runChain(context.Background(), o)
	if !errors.Is(err, errTraceWithoutProfile) {
		t.Fatalf("runChain with --trace and no --profile: %v, want %v", err, errTraceWithoutProfile)
	}
	if entries, _ := os.ReadDir(o.out); len(entries) != 0 {
		t.Fatalf("the refused run wrote %d entries to --out", len(entries))
	}
}

// TestWindowsFitThePace: the jobs' windows are the flags' on a machine whose
// sends take few blocks, the auction's widen with the blocks a send phase
// commits in, and the execution window with the heights the whole phase
// spans (its presigning included): the host where 80 execution blocks
// closed before the results were signed had a send phase commit in 10
// blocks and span over 50.
func TestWindowsFitThePace(t *testing.T) {
	w := jobWindows{commit: 60, reveal: 40, exec: 80}
	if got := w.fit(6, 6, 0); got != w {
		t.Fatalf("fit(6, 6, 0) = %+v, want the flags' %+v", got, w)
	}
	if got, want := w.fit(15, 20, 0), (jobWindows{commit: 110, reveal: 80, exec: 80}); got != want {
		t.Fatalf("fit(15, 20, 0) = %+v, want %+v", got, want)
	}
	if got, want := w.fit(10, 56, 0), (jobWindows{commit: 244, reveal: 188, exec: 188}); got != want {
		t.Fatalf("fit(10, 56, 0) = %+v, want %+v", got, want)
	}
	if got, want := w.fit(15, 0, 0), (jobWindows{commit: 110, reveal: 65, exec: 80}); got != want {
		t.Fatalf("fit(15, 0, 0) (a span below the phase's own blocks counts as those) = %+v, want %+v", got, want)
	}
	p := computetypes.Params{MaxCommitBlocks: 100, MaxRevealBlocks: 100, MaxExecBlocks: 1000}
	if got, want := w.fit(15, 20, 0).within(p), (jobWindows{commit: 100, reveal: 80, exec: 80}); got != want {
		t.Fatalf("fit(15, 20, 0) within the localnet's maxima = %+v, want %+v", got, want)
	}
	// 2026-12-03, --per-account 100: 20,000 jobs awarded 200 a block over
	// 100 blocks, a send phase spanning 18; 80 execution blocks expired the
	// first awarded before the last was.
	drain := awardBlocks(20_000, 200)
	if drain != 100 || awardBlocks(10_001, 200) != 51 || awardBlocks(5, 0) != 0 {
		t.Fatalf("award blocks: %d, %d, %d", drain, awardBlocks(10_001, 200), awardBlocks(5, 0))
	}
	if got, want := w.fit(8, 18, drain), (jobWindows{commit: 92, reveal: 74, exec: 174}); got != want {
		t.Fatalf("fit(8, 18, %d) = %+v, want %+v", drain, got, want)
	}
}

// TestClaimerHalvesDisjoint: the claimers' sends and the claims come from
// two disjoint halves of equal size, and every claimer locks in the setup.
func TestClaimerHalvesDisjoint(t *testing.T) {
	o := &chainOptions{accounts: 4, perAccount: 3}
	r := &chainRun{o: o, claimers: derivedAccounts("test-claimer", claimerCount(o))}
	senders, claimants := r.signers(kindClaimerSend), r.signers(kindClaim)
	if len(senders) != 12 || len(claimants) != 12 || len(r.signers(kindClaimers)) != 24 {
		t.Fatalf("halves of %d and %d, %d lock; want 12, 12 and 24", len(senders), len(claimants), len(r.signers(kindClaimers)))
	}
	seen := map[string]bool{}
	for _, a := range senders {
		seen[a.bech] = true
	}
	for _, a := range claimants {
		if seen[a.bech] {
			t.Fatalf("claimer %s both sends and claims", a.bech)
		}
	}
	if n := claimerCount(&chainOptions{accounts: 1000, perAccount: 100}); n != maxClaimers {
		t.Fatalf("claimerCount of a large run = %d, want the cap %d", n, maxClaimers)
	}
}

// Each block is recorded once, with the interval since the block before it
// where that block was read too; the longest intervals name the block two
// heights before, whose execution they span, with its phase.
func TestLongestIntervals(t *testing.T) {
	t0 := time.Unix(1000, 0)
	c := &chainResult{}
	c.addBlocks("", []blockInfo{{Height: 5, Time: t0}})
	c.addBlocks(kindSend, []blockInfo{
		{Height: 6, Time: t0.Add(time.Second), Txs: []txInfo{{GasUsed: 10}, {GasUsed: 20}}},
		{Height: 7, Time: t0.Add(2 * time.Second), Txs: []txInfo{{GasUsed: 2_000_000}}},
	})
	c.addBlocks(kindClaim, []blockInfo{
		{Height: 7, Time: t0.Add(2 * time.Second)}, // read again: not recorded twice
		{Height: 8, Time: t0.Add(2500 * time.Millisecond)},
		{Height: 9, Time: t0.Add(5 * time.Second)},
	})
	c.addBlocks(kindLock, []blockInfo{{Height: 11, Time: t0.Add(9 * time.Second)}}) // 10 was not read
	c.addBlocks("", []blockInfo{{Height: 12, Time: t0.Add(20 * time.Second)}})      // between phases: not in longest
	if len(c.Blocks) != 7 {
		t.Fatalf("blocks %+v", c.Blocks)
	}
	if b := c.Blocks[1]; b.Height != 6 || b.IntervalS != 1 || b.Txs != 2 || b.GasUsed != 30 || b.Phase != kindSend {
		t.Fatalf("block 6: %+v", b)
	}
	if b := c.Blocks[5]; b.Height != 11 || b.IntervalS != 0 {
		t.Fatalf("block 11 follows an unread block, so has no interval: %+v", b)
	}
	l := c.longest(2)
	want := []string{
		"2.50 s before height 9 (executing 7: 1 txs, 2.0M gas, bank send)",
		"1.00 s before height 6",
	}
	if len(l) != 2 || l[0] != want[0] || l[1] != want[1] {
		t.Fatalf("longest %q, want %q", l, want)
	}
	if !strings.Contains(c.table(), "Longest intervals: 2.50 s before height 9") {
		t.Fatal("the table lacks the longest intervals")
	}
}

// The node's "block executed" lines (app/blocklog.go, in the node's log
// format) give each block's timings; the longest intervals say where the
// executed block's time went and the rechecks after it (counted in the next
// block's line). Other lines, and a line without a height, are skipped.
func TestLongestIntervalsSayWhereTheTimeWent(t *testing.T) {
	log := strings.Join([]string{
		"11:10PM INF finalizing commit of block hash=91A8 height=7 module=consensus num_txs=1",
		"11:10PM INF block executed after_txs_ms=1650.5 before_txs_ms=40.25 commit_ms=31.5 finalize_ms=2390.75 gas_used=2000000 height=7 module=server prepare_ms=3 process_ms=1 recheck_ms=12 rechecks_before=300 results_ms=150 txs=1 txs_ms=700 votes_ms=2 wait_ms=900",
		"11:10PM INF block executed after_txs_ms=1 before_txs_ms=1 commit_ms=2 finalize_ms=10 gas_used=0 height=8 module=server prepare_ms=30.5 process_ms=4 recheck_ms=420.5 rechecks_before=5000 results_ms=1 txs=0 txs_ms=8 votes_ms=6 to_extend_ms=3 extend_ms=2.5 wait_ms=1200",
		"11:10PM INF block executed finalize_ms=10",
		// a coloured line, as make localnet's log has them
		"\x1b[90m11:10PM\x1b[0m \x1b[32mINF\x1b[0m \x1b[1mblock executed\x1b[0m \x1b[36mcommit_ms=\x1b[0m2.5 \x1b[36mheight=\x1b[0m91 \x1b[36mwait_ms=\x1b[0m986.25",
	}, "\n")
	timings, err := readBlockTimings(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	if len(timings) != 3 || timings[91] != (blockTiming{CommitMs: 2.5, WaitMs: 986.25}) {
		t.Fatalf("timings %+v, want heights 7, 8 and 91 (the coloured line read as the plain ones)", timings)
	}
	if got, want := timings[7], (blockTiming{
		WaitMs: 900, PrepareMs: 3, ProcessMs: 1, VotesMs: 2, FinalizeMs: 2390.75, BeforeTxsMs: 40.25, TxsMs: 700, AfterTxsMs: 1650.5,
		ResultsMs: 150, CommitMs: 31.5, Rechecks: 300, RecheckMs: 12,
	}); got != want {
		t.Fatalf("height 7: %+v, want %+v", got, want)
	}
	t0 := time.Unix(1000, 0)
	c := &chainResult{}
	c.addBlocks(kindSend, []blockInfo{
		{Height: 6, Time: t0},
		{Height: 7, Time: t0.Add(time.Second), Txs: []txInfo{{GasUsed: 2_000_000}}},
		{Height: 8, Time: t0.Add(2 * time.Second)},
		{Height: 9, Time: t0.Add(5 * time.Second)},
	})
	c.addTimings(timings)
	want := "3.00 s before height 9 (executing 7: 1 txs, 2.0M gas, bank send; finalize 2391 ms (40 before txs, 700 txs, 1650 after), to commit 150, commit 32; " +
		"then wait 1200 (5000 rechecks 420), prepare 30, process 4, votes 6 (3 to extend, extend 2))"
	if l := c.longest(1); len(l) != 1 || l[0] != want {
		t.Fatalf("longest %q, want %q", l, want)
	}
}

// TestAppTOMLSettings: --app-toml sets an existing app.toml key to the value
// as written and leaves the rest; a key the file lacks, or a setting without
// "=", is refused.
func TestAppTOMLSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.toml")
	const before = "iavl-disable-fastnode = false\niavl-cache-size = 781250\n\n[grpc]\naddress = \"localhost:9090\"\n"
	if err := os.WriteFile(path, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	if err := addSettings(kv, []string{"iavl-disable-fastnode=true", " iavl-cache-size = 2000000"}); err != nil {
		t.Fatal(err)
	}
	if err := setTOML(path, kv); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "iavl-disable-fastnode = true\niavl-cache-size = 2000000\n\n[grpc]\naddress = \"localhost:9090\"\n"; string(got) != want {
		t.Fatalf("app.toml after --app-toml:\n%s\nwant:\n%s", got, want)
	}
	if err := setTOML(path, map[string]string{"no-such-key": "1"}); err == nil {
		t.Fatal("a key app.toml lacks was accepted")
	}
	for _, bad := range []string{"iavl-disable-fastnode", "=true"} {
		if err := addSettings(map[string]string{}, []string{bad}); err == nil {
			t.Fatalf("--app-toml %q accepted", bad)
		}
	}
}

// The report says which of issue 20's targets the run met: a kind below
// 0.9 × its send, or one without a steady rate, fails the rate target; the
// p99 is compared with 1.3 s.
func TestTargetsVerdicts(t *testing.T) {
	send := kindResult{Kind: kindSend, SteadyTxPerSec: 1000, SteadyBlocks: 3, GasMean: 50}
	c := &chainResult{Kinds: []kindResult{send,
		{Kind: kindCreate, SteadyTxPerSec: 900, SteadyBlocks: 4, GasMean: 100},
		{Kind: kindLock, SteadyTxPerSec: 600, SteadyBlocks: 4, GasMean: 100}},
		Intervals: []float64{1, 1.1, 1.2}}
	ts := c.targets()
	if len(ts) != 3 {
		t.Fatalf("targets: %+v", ts)
	}
	rate, p99, gas := ts[0], ts[1], ts[2]
	if rate.Met || rate.Measured != "below: lock 0.60; at or above: create job 0.90" {
		t.Errorf("rate target: %+v", rate)
	}
	if !p99.Met || p99.Measured != "1.20 s over 3 intervals" {
		t.Errorf("p99 target: %+v", p99)
	}
	if !gas.Met || gas.Measured != "at or above: create job 1.80, lock 1.20" {
		t.Errorf("gas target: %+v", gas)
	}
	text := targetsText(ts)
	for _, want := range []string{"≥ 0.90 × its bank send's: NOT MET (below: lock 0.60", "p99 ≤ 1.3 s: met (1.20 s", "BenchmarkOpenJobsFlat"} {
		if !strings.Contains(text, want) {
			t.Errorf("targets text lacks %q:\n%s", want, text)
		}
	}

	// Every kind at 0.9 or above meets it; a kind with no steady rate, a
	// slow interval and no kinds at all do not.
	c.Kinds[2].SteadyTxPerSec = 950
	c.Intervals = append(c.Intervals, 2.5)
	if ts := c.targets(); !ts[0].Met || ts[1].Met {
		t.Errorf("after: %+v", ts)
	}
	c.Kinds = append(c.Kinds, kindResult{Kind: kindClaim, Committed: 10})
	if ts := c.targets(); ts[0].Met || !strings.Contains(ts[0].Measured, "no steady rate: claim rewards") {
		t.Errorf("unmeasured kind: %+v", ts[0])
	}
	if ts := (&chainResult{Kinds: []kindResult{send}}).targets(); ts[0].Met || ts[1].Met || ts[0].Measured != "no kind measured" {
		t.Errorf("nothing measured: %+v", ts)
	}
}

// TestTargetsNeedThreeSteadyBlocks: a ratio whose kind's steady rate, or
// its send's, rests on fewer than three blocks (a fast host's short phases)
// does not count towards a target, whatever its value, and the report says
// to lengthen the phases.
func TestTargetsNeedThreeSteadyBlocks(t *testing.T) {
	shortSend := kindResult{Kind: kindSend, SteadyTxPerSec: 1000, SteadyBlocks: 1, GasMean: 50}
	c := &chainResult{Accounts: 200, PerAccount: 50, Kinds: []kindResult{
		{Kind: kindSend, SteadyTxPerSec: 1000, SteadyBlocks: 3, GasMean: 50},
		{Kind: kindCreate, SteadyTxPerSec: 1400, SteadyBlocks: 4, GasMean: 100, PairedSend: &shortSend},
		{Kind: kindLock, SteadyTxPerSec: 950, SteadyBlocks: 2, GasMean: 100}}}
	ts := c.targets()
	want := "not counted, steady over fewer than 3 blocks: create job 1.40 (4 and its send's 1), lock 0.95 (2 and its send's 3)"
	if ts[0].Met || ts[0].Measured != want {
		t.Errorf("rate target: %+v, want NOT MET with %q", ts[0], want)
	}
	if ts[2].Met {
		t.Errorf("gas target met on short phases: %+v", ts[2])
	}
	if got := c.shortKinds(); !slices.Equal(got, []string{kindCreate, kindLock}) {
		t.Errorf("short kinds %v", got)
	}
	c.Kinds[1].PairedSend.SteadyBlocks, c.Kinds[2].SteadyBlocks = 3, 3
	if ts := c.targets(); !ts[0].Met || len(c.shortKinds()) != 0 {
		t.Errorf("three steady blocks each: %+v", ts[0])
	}
}

package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// blockInfo is a committed block as the benchmark reads it.
type blockInfo struct {
	Height int64     `json:"height"`
	Time   time.Time `json:"time"`
	Txs    []txInfo  `json:"txs"`
}

// txInfo is one committed tx: its hash, result code and gas.
type txInfo struct {
	Hash    string       `json:"hash"`
	Code    uint32       `json:"code"`
	GasUsed int64        `json:"gas_used"`
	Log     string       `json:"log,omitempty"` // of a failed tx
	Events  []abci.Event `json:"-"`
}

// blockReader reads committed blocks in order over the node's RPC.
type blockReader struct {
	rpc    *rpchttp.HTTP
	next   int64
	blocks []blockInfo
}

func newBlockReader(addr string) (*blockReader, error) {
	cl, err := rpchttp.New(addr, "/websocket")
	if err != nil {
		return nil, err
	}
	return &blockReader{rpc: cl}, nil
}

func (r *blockReader) latest(ctx context.Context) (int64, error) {
	st, err := r.rpc.Status(ctx)
	if err != nil {
		return 0, err
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// readTo reads every block up to the latest, and returns the new ones.
func (r *blockReader) readTo(ctx context.Context) ([]blockInfo, error) {
	h, err := r.latest(ctx)
	if err != nil {
		return nil, err
	}
	var out []blockInfo
	for ; r.next <= h; r.next++ {
		height := r.next
		b, err := r.rpc.Block(ctx, &height)
		if err != nil {
			break // not stored yet: the next call reads it
		}
		res, err := r.rpc.BlockResults(ctx, &height)
		if err != nil {
			break
		}
		bi := blockInfo{Height: height, Time: b.Block.Time}
		for i, t := range b.Block.Txs {
			ti := txInfo{Hash: strings.ToUpper(hex.EncodeToString(t.Hash()))}
			if i < len(res.TxsResults) {
				ti.Code, ti.GasUsed, ti.Events = res.TxsResults[i].Code, res.TxsResults[i].GasUsed, res.TxsResults[i].Events
				if ti.Code != 0 {
					ti.Log = res.TxsResults[i].Log
				}
			}
			bi.Txs = append(bi.Txs, ti)
		}
		out = append(out, bi)
	}
	r.blocks = append(r.blocks, out...)
	return out, nil
}

// waitFor reads blocks until every hash in want is committed, or no new one
// of them has been for idle, or ctx ends; it returns the blocks read.
func (r *blockReader) waitFor(ctx context.Context, want map[string]bool, idle time.Duration) ([]blockInfo, error) {
	var all []blockInfo
	seen, last := 0, time.Now()
	for seen < len(want) && time.Since(last) < idle {
		bs, err := r.readTo(ctx)
		if err != nil {
			return all, err
		}
		for _, b := range bs {
			for _, t := range b.Txs {
				if want[t.Hash] {
					seen++
					last = time.Now()
				}
			}
		}
		all = append(all, bs...)
		if seen < len(want) {
			select {
			case <-ctx.Done():
				return all, ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return all, nil
}

// drained waits until the node's mempool is empty, that is until every
// tx it accepted is in a committed block, polling num_unconfirmed_txs
// (cheap, unlike reading blocks), or timeout passes.
func (r *blockReader) drained(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		res, err := r.rpc.NumUnconfirmedTxs(ctx)
		if err != nil {
			return err
		}
		if res.Total == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the mempool still holds %d txs after %s", res.Total, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// abciTiming is the node's cumulative time and call count of one ABCI
// method (CometBFT's abci_connection_method_timing_seconds histogram).
type abciTiming struct {
	Sum   float64
	Count float64
}

// nodeTimings are the node's ABCI timings and CPU time at one moment.
type nodeTimings struct {
	CheckTx, Finalize abciTiming
	CPUSeconds        float64 // user + system, from /proc
}

// sub is t minus an earlier reading.
func (t nodeTimings) sub(before nodeTimings) nodeTimings {
	return nodeTimings{
		CheckTx:    abciTiming{t.CheckTx.Sum - before.CheckTx.Sum, t.CheckTx.Count - before.CheckTx.Count},
		Finalize:   abciTiming{t.Finalize.Sum - before.Finalize.Sum, t.Finalize.Count - before.Finalize.Count},
		CPUSeconds: t.CPUSeconds - before.CPUSeconds,
	}
}

// scrapeTimings reads the node's Prometheus endpoint and the CPU time of
// process pid.
func scrapeTimings(ctx context.Context, url string, pid int) (nodeTimings, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nodeTimings{}, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nodeTimings{}, err
	}
	defer res.Body.Close()
	t, err := parseTimings(res.Body)
	if err != nil {
		return t, err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return t, err
	}
	t.CPUSeconds, err = parseCPU(string(stat))
	return t, err
}

// parseCPU returns utime + stime of a /proc/PID/stat line, in seconds
// (Linux's USER_HZ is 100).
func parseCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')') // the command name may hold spaces
	f := strings.Fields(stat[i+1:])
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat %q", stat)
	}
	var ticks float64
	for _, s := range f[11:13] { // fields 14 and 15: utime, stime
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, err
		}
		ticks += v
	}
	return ticks / 100, nil
}

// peakRSS is the peak resident memory of process pid, in MiB (VmHWM).
func peakRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parsePeakRSS(string(b))
}

// parsePeakRSS reads the VmHWM line ("VmHWM:  123456 kB") of a
// /proc/PID/status text.
func parsePeakRSS(status string) (float64, error) {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM line %q: %w", line, err)
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc status")
}

// parseTimings sums the _sum and _count series of check_tx (sync and async)
// and finalize_block in a Prometheus text exposition.
func parseTimings(r io.Reader) (nodeTimings, error) {
	var t nodeTimings
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "abci_connection_method_timing_seconds_") {
			continue
		}
		var dst *abciTiming
		switch {
		case strings.Contains(line, `method="check_tx"`):
			dst = &t.CheckTx
		case strings.Contains(line, `method="finalize_block"`):
			dst = &t.Finalize
		default:
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return t, fmt.Errorf("metric line %q: %w", line, err)
		}
		switch {
		case strings.Contains(line, "_seconds_sum{"):
			dst.Sum += v
		case strings.Contains(line, "_seconds_count{"):
			dst.Count += v
		}
	}
	return t, sc.Err()
}

// kindResult is what the benchmark measured of one kind.
type kindResult struct {
	Kind      string `json:"kind"`
	Signed    int    `json:"signed"`
	Rejected  int    `json:"rejected_by_checktx"`
	Committed int    `json:"committed"`
	// Lost is the txs the node answered code 0 that no block held when the
	// phase's blocks stopped coming (CometBFT dropped them after CheckTx:
	// app/mempoolroom.go).
	Lost     int     `json:"accepted_not_committed"`
	Failed   int     `json:"failed_in_block"`
	Blocks   int     `json:"blocks"`
	Seconds  float64 `json:"seconds"`
	TxPerSec float64 `json:"tx_per_sec"`
	// SteadyTxPerSec is the rate while the node was saturated: the kind's
	// txs in its blocks but the first (filled while the txs were still
	// arriving) and the last (the remainder), over the time from the first
	// block to the one before the last; 0 with fewer than three blocks.
	SteadyTxPerSec float64 `json:"steady_tx_per_sec"`
	SteadyBlocks   int     `json:"steady_blocks"`
	GasMean        float64 `json:"gas_used_mean"`
	// Per committed tx, over the kind's phase: the node's CPU time; its
	// FinalizeBlock time (Prometheus; begin and end blockers included); CPU
	// less FinalizeBlock, which is CheckTx with the rechecks, gRPC ingest and
	// consensus; and CheckTx's latency (Prometheus: waits for the app's lock
	// included, so it exceeds CheckTx's own time when txs queue).
	CPUMicros      float64 `json:"node_cpu_us_per_tx"`
	FinalizeMicros float64 `json:"finalize_us_per_tx"`
	CheckTxMicros  float64 `json:"checktx_us_per_tx"`
	CheckTxLatency float64 `json:"checktx_latency_us"`
	// CheckTxCalls is the node's CheckTx calls over the phase per committed
	// tx: 1 for its own check, plus each recheck of it (CometBFT rechecks
	// every tx left in the mempool after each block), plus the checks of
	// txs the phase sent that did not commit.
	CheckTxCalls float64 `json:"checktx_calls_per_tx"`
	// PairedSend is the bank send phase run right before this kind's (none
	// for bank send itself): the kind's ratios are to it.
	PairedSend   *kindResult `json:"paired_send,omitempty"`
	FirstError   string      `json:"first_checktx_error,omitempty"`
	FirstFailure string      `json:"first_failure,omitempty"`
}

// measure computes a kind's committed rate and gas from the blocks read
// around its phase: the blocks from the first to the last that hold one of
// its txs, timed from the block before the first (the phase's txs arrive
// after it) to the last; failed txs count as committed (they used the
// block) and are reported apart.
func measure(kind string, hashes map[string]bool, blocks []blockInfo, timings nodeTimings) kindResult {
	r := kindResult{Kind: kind}
	first, last := -1, -1
	var gas int64
	for i, b := range blocks {
		for _, t := range b.Txs {
			if !hashes[t.Hash] {
				continue
			}
			if first < 0 {
				first = i
			}
			last = i
			r.Committed++
			gas += t.GasUsed
			if t.Code != 0 {
				r.Failed++
				if r.FirstFailure == "" {
					r.FirstFailure = t.Log
				}
			}
		}
	}
	if r.Committed == 0 {
		return r
	}
	r.Blocks = last - first + 1
	r.GasMean = float64(gas) / float64(r.Committed)
	start := blocks[first].Time.Add(-time.Second) // no block before: one block time
	if first > 0 {
		start = blocks[first-1].Time
	}
	r.Seconds = blocks[last].Time.Sub(start).Seconds()
	if r.Seconds > 0 {
		r.TxPerSec = float64(r.Committed) / r.Seconds
	}
	r.SteadyTxPerSec, r.SteadyBlocks = steadyRate(hashes, blocks[first:last+1])
	n := float64(r.Committed)
	r.CPUMicros = timings.CPUSeconds / n * 1e6
	r.FinalizeMicros = timings.Finalize.Sum / n * 1e6
	r.CheckTxMicros = max(timings.CPUSeconds-timings.Finalize.Sum, 0) / n * 1e6
	if timings.CheckTx.Count > 0 {
		r.CheckTxLatency = timings.CheckTx.Sum / timings.CheckTx.Count * 1e6
	}
	r.CheckTxCalls = timings.CheckTx.Count / n
	return r
}

// steadyRate is the committed rate of the hashes' txs in blocks (the
// first and the last of which hold one) leaving out the first block and
// the last: the blocks made while the node had more of them waiting than
// it could take, timed from the first block to the one before the last.
// It is 0 with fewer than three blocks (the load did not saturate the node).
func steadyRate(hashes map[string]bool, blocks []blockInfo) (float64, int) {
	if len(blocks) < 3 {
		return 0, 0
	}
	n := 0
	for _, b := range blocks[1 : len(blocks)-1] {
		for _, t := range b.Txs {
			if hashes[t.Hash] {
				n++
			}
		}
	}
	secs := blocks[len(blocks)-2].Time.Sub(blocks[0].Time).Seconds()
	if secs <= 0 {
		return 0, 0
	}
	return float64(n) / secs, len(blocks) - 2
}

// percentile is the p-th percentile (0..100, nearest rank) of xs.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	rank := int(p/100*float64(len(s))+0.999999) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

package main

import (
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// chainResult is what the chain benchmark measured.
type chainResult struct {
	Date       string       `json:"date"`
	Machine    string       `json:"machine"`
	Accounts   int          `json:"accounts"`
	PerAccount int          `json:"per_account"`
	BlockTime  string       `json:"block_time"`
	Kinds      []kindResult `json:"kinds"`
	// Intervals are the block intervals (s) before each block holding a
	// measured kind's tx.
	Intervals []float64 `json:"block_intervals_s"`
	// NodePeakMiB is the node's peak resident memory over the run (VmHWM).
	NodePeakMiB float64 `json:"node_peak_rss_mib"`
	// Blocks are the blocks the measured phases read, in height order:
	// where the interval's tail comes from.
	Blocks []blockRecord `json:"blocks"`
	// Targets are issue 20's targets, met or not in this run.
	Targets []targetResult `json:"targets"`
	options *chainOptions
}

// blockRecord is one block of a measured phase: its time, the interval
// since the block before it, and what it held.
type blockRecord struct {
	Height int64     `json:"height"`
	Time   time.Time `json:"time"`
	// IntervalS is the time since the block before (s); 0 for a phase's
	// first block read.
	IntervalS float64 `json:"interval_s"`
	Txs       int     `json:"txs"`
	GasUsed   int64   `json:"gas_used"`
	// Phase is the kind whose phase read the block ("" for a block between
	// phases).
	Phase string `json:"phase"`
	// Timing is where the block's time went at the node (its log line),
	// nil where the log had none.
	Timing *blockTiming `json:"timing,omitempty"`
}

// addBlocks records blocks read by phase (after the last recorded height).
func (c *chainResult) addBlocks(phase string, blocks []blockInfo) {
	for _, b := range blocks {
		var prev *blockRecord
		if n := len(c.Blocks); n > 0 {
			prev = &c.Blocks[n-1]
			if b.Height <= prev.Height {
				continue
			}
		}
		rec := blockRecord{Height: b.Height, Time: b.Time, Txs: len(b.Txs), Phase: phase}
		for _, t := range b.Txs {
			rec.GasUsed += t.GasUsed
		}
		if prev != nil && prev.Height == b.Height-1 {
			rec.IntervalS = b.Time.Sub(prev.Time).Seconds()
		}
		c.Blocks = append(c.Blocks, rec)
	}
}

// longest describes the n longest intervals before the blocks of measured
// phases (not those between phases, nor the chain's first blocks), each
// with the block two heights before it: a block's time is when the
// validators committed to the block before it, so the interval before block
// h spans the execution of block h-2 and the proposal of h-1.
func (c *chainResult) longest(n int) []string {
	byHeight := make(map[int64]blockRecord, len(c.Blocks))
	idx := make([]int, 0, len(c.Blocks))
	for i, b := range c.Blocks {
		byHeight[b.Height] = b
		if b.IntervalS > 0 && b.Phase != "" {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return c.Blocks[idx[a]].IntervalS > c.Blocks[idx[b]].IntervalS })
	var out []string
	for _, i := range idx[:min(n, len(idx))] {
		b := c.Blocks[i]
		s := fmt.Sprintf("%.2f s before height %d", b.IntervalS, b.Height)
		if x, ok := byHeight[b.Height-2]; ok {
			var next *blockRecord
			if y, ok := byHeight[b.Height-1]; ok {
				next = &y
			}
			s += fmt.Sprintf(" (executing %d: %d txs, %.1fM gas, %s%s)", x.Height, x.Txs, float64(x.GasUsed)/1e6, phaseName(x.Phase), timingNote(x, next))
		}
		out = append(out, s)
	}
	return out
}

// phaseName is a block's phase as the report prints it.
func phaseName(p string) string {
	if p == "" {
		return "between phases"
	}
	return p
}

// send is the bank send phase k is compared with: the one run right
// before it, or else the run's first (ok false without one).
func (c *chainResult) send(k kindResult) (kindResult, bool) {
	if k.PairedSend != nil {
		return *k.PairedSend, true
	}
	for _, s := range c.Kinds {
		if s.Kind == kindSend {
			return s, true
		}
	}
	return kindResult{}, false
}

// ratio is a kind's steady committed tx/s over its bank send's: the
// issue's measure, ≥ 0.9 wanted (0 when either did not saturate the node,
// or without a send measurement).
func (c *chainResult) ratio(k kindResult) float64 {
	if s, ok := c.send(k); ok && s.SteadyTxPerSec > 0 {
		return k.SteadyTxPerSec / s.SteadyTxPerSec
	}
	return 0
}

// gasRatio is a kind's steady gas per second over its bank send's: the
// rate of work the gas schedule says each committed, 0 without steady
// rates.
func (c *chainResult) gasRatio(k kindResult) float64 {
	if s, ok := c.send(k); ok && s.SteadyTxPerSec > 0 && s.GasMean > 0 {
		return k.SteadyTxPerSec * k.GasMean / (s.SteadyTxPerSec * s.GasMean)
	}
	return 0
}

// cpuRatio is a kind's node CPU per tx over its bank send's: what the
// ratio of rates tends to on a node bound by its CPU, and steadier than it
// on a shared machine.
func (c *chainResult) cpuRatio(k kindResult) float64 {
	if s, ok := c.send(k); ok && s.CPUMicros > 0 {
		return k.CPUMicros / s.CPUMicros
	}
	return 0
}

// shortKinds names the kinds (bank send aside) whose steady rate, or their
// send's, rests on fewer than minSteadyBlocks blocks but is not zero.
func (c *chainResult) shortKinds() []string {
	var out []string
	for _, k := range c.Kinds {
		if k.Kind != kindSend && k.SteadyBlocks > 0 && c.tooShort(k) {
			out = append(out, k.Kind)
		}
	}
	return out
}

// pairedRate is the steady tx/s of the bank send k is compared with.
func (c *chainResult) pairedRate(k kindResult) float64 {
	s, _ := c.send(k)
	return s.SteadyTxPerSec
}

// table is the Markdown table of the run.
func (c *chainResult) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s: one validator, %s blocks, %d accounts × %d txs per kind, broadcast over gRPC at once.\n\n",
		c.Date, c.Machine, c.BlockTime, c.Accounts, c.PerAccount)
	b.WriteString("| kind | committed (failed) | blocks (steady) | committed tx/s | steady tx/s | bank send's steady tx/s | × bank send | gas used / tx | gas/s × send | node CPU µs / tx | CPU × send | FinalizeBlock µs / tx | CheckTx etc. µs / tx | CheckTx latency µs | CheckTx calls / tx |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, k := range c.Kinds {
		fmt.Fprintf(&b, "| %s | %d (%d) | %d (%d) | %.0f | %.0f | %.0f | %.2f | %.0f | %.2f | %.0f | %.2f | %.0f | %.0f | %.0f | %.1f |\n",
			k.Kind, k.Committed, k.Failed, k.Blocks, k.SteadyBlocks, k.TxPerSec, k.SteadyTxPerSec, c.pairedRate(k), c.ratio(k), k.GasMean,
			c.gasRatio(k), k.CPUMicros, c.cpuRatio(k), k.FinalizeMicros, k.CheckTxMicros, k.CheckTxLatency, k.CheckTxCalls)
	}
	iv := c.Intervals
	fmt.Fprintf(&b, "\nBlock interval under load (%d blocks): p50 %.2f s, p90 %.2f s, p99 %.2f s, max %.2f s.\n",
		len(iv), percentile(iv, 50), percentile(iv, 90), percentile(iv, 99), percentile(iv, 100))
	if l := c.longest(5); len(l) > 0 {
		fmt.Fprintf(&b, "Longest intervals: %s.\n", strings.Join(l, "; "))
	}
	if c.NodePeakMiB > 0 {
		fmt.Fprintf(&b, "Node peak resident memory (VmHWM): %.0f MiB.\n", c.NodePeakMiB)
	}
	b.WriteString(targetsText(c.targets()))
	if short := c.shortKinds(); len(short) > 0 {
		fmt.Fprintf(&b, "\nSteady over fewer than %d blocks (the kind's or its send's), so not counted towards the targets: %s. "+
			"A phase of %d txs was too short for this host: raise --per-account (at most %d) or --accounts.",
			minSteadyBlocks, strings.Join(short, ", "), c.Accounts*c.PerAccount, maxPerAccount)
	}
	for _, k := range c.Kinds {
		if k.SteadyBlocks == 0 && k.Committed > 0 {
			fmt.Fprintf(&b, "\n%s: committed in fewer than three blocks, so the node was never saturated and there is no steady rate: raise --accounts or --per-account.", k.Kind)
		}
		if k.Rejected > 0 {
			fmt.Fprintf(&b, "\n%s: CheckTx refused %d of %d (%.200s).", k.Kind, k.Rejected, k.Signed, k.FirstError)
		}
		if k.Failed > 0 {
			fmt.Fprintf(&b, "\n%s: %d failed in the block (%.200s).", k.Kind, k.Failed, k.FirstFailure)
		}
		if k.Lost > 0 {
			fmt.Fprintf(&b, "\n%s: %d answered code 0 by CheckTx but never committed (dropped from the mempool).", k.Kind, k.Lost)
		}
	}
	b.WriteString("\n\nSteady tx/s leaves out each kind's first block (filled while its txs were still arriving) and last (the\n" +
		"remainder): the rate while the node had more waiting than it could take. Each kind is compared with a bank send\n" +
		"phase run right before it (bank send's steady tx/s), on the same state. × bank send is steady tx/s over that\n" +
		"send's; gas/s × send is steady tx/s times gas used per tx over bank send's; CPU × send is node CPU per tx over\n" +
		"bank send's.\n" +
		"Per tx, over each kind's phase, divided by the txs committed: node CPU is the node process's user+system time\n" +
		"(/proc); FinalizeBlock is CometBFT's abci_connection_method_timing_seconds{method=\"finalize_block\"} (Prometheus),\n" +
		"the phase's blocks whole (begin and end blockers too); CheckTx etc. is node CPU less FinalizeBlock: CheckTx with\n" +
		"the mempool's rechecks, gRPC ingest and consensus. CheckTx latency is the mean of {method=\"check_tx\"}, which\n" +
		"includes each call's wait for the app's lock while other txs are checked or a block is finalized. CheckTx calls / tx\n" +
		"is the node's CheckTx calls over the txs committed: 1, plus the rechecks CometBFT makes of every tx still in the\n" +
		"mempool after each block.\n")
	return b.String()
}

func (c *chainResult) path(ext string) string {
	return filepath.Join(c.options.out, "chain-bench."+ext)
}

// write saves the table, the measurements and the chart, and prints the
// table.
func (c *chainResult) write() error {
	c.Targets = c.targets()
	table := c.table()
	fmt.Print("\n" + table)
	if err := os.WriteFile(c.path("md"), []byte(table), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.path("json"), b, 0o644); err != nil {
		return err
	}
	if len(c.Kinds) == 0 {
		return nil
	}
	return c.chart()
}

// chart draws each kind's steady committed tx/s beside that of the bank
// send phase run right before it, and the kind's ratio to it above.
func (c *chainResult) chart() error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Steady committed tx/s per kind, beside bank send's just before (%d accounts, %s blocks, %s)",
		c.Accounts, c.BlockTime, c.Date)
	p.Y.Label.Text = "steady committed tx/s"
	kinds, sends := make(plotter.Values, len(c.Kinds)), make(plotter.Values, len(c.Kinds))
	names := make([]string, len(c.Kinds))
	for i, k := range c.Kinds {
		kinds[i], sends[i] = k.SteadyTxPerSec, c.pairedRate(k)
		names[i] = fmt.Sprintf("%s\n%.2f ×", strings.ReplaceAll(k.Kind, " ", "\n"), c.ratio(k))
	}
	w := vg.Points(16)
	for j, series := range []struct {
		vals  plotter.Values
		color color.RGBA
		label string
	}{{sends, color.RGBA{160, 160, 160, 255}, "bank send, just before"}, {kinds, color.RGBA{40, 90, 200, 255}, "the kind"}} {
		bars, err := plotter.NewBarChart(series.vals, w)
		if err != nil {
			return err
		}
		bars.Color, bars.LineStyle.Width, bars.Offset = series.color, 0, w*vg.Length(2*j-1)/2
		p.Add(bars)
		p.Legend.Add(series.label, bars)
	}
	p.Add(plotter.NewGrid())
	p.NominalX(names...)
	p.Legend.Top = true
	return p.Save(11*vg.Inch, 5*vg.Inch, c.path("png"))
}

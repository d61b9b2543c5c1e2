package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// blockTiming is where a height's time went at the node, from its "block
// executed" log line (app/blocklog.go; its JSON names are the line's keys): the wait since the last Commit (with
// the rechecks CometBFT ran in it), PrepareProposal, ProcessProposal, the
// votes, FinalizeBlock split into the time before the block's transactions,
// the transactions and after them, the time to Commit, and Commit.
type blockTiming struct {
	WaitMs      float64 `json:"wait_ms"`
	PrepareMs   float64 `json:"prepare_ms"`
	ProcessMs   float64 `json:"process_ms"`
	VotesMs     float64 `json:"votes_ms"`
	ToExtendMs  float64 `json:"to_extend_ms"`
	ExtendMs    float64 `json:"extend_ms"`
	ResultsMs   float64 `json:"results_ms"`
	FinalizeMs  float64 `json:"finalize_ms"`
	BeforeTxsMs float64 `json:"before_txs_ms"`
	TxsMs       float64 `json:"txs_ms"`
	AfterTxsMs  float64 `json:"after_txs_ms"`
	CommitMs    float64 `json:"commit_ms"`
	Rechecks    int     `json:"rechecks_before"`
	RecheckMs   float64 `json:"recheck_ms"`
}

// blockLine is the message of the node's line per block.
const blockLine = "block executed"

var (
	logField = regexp.MustCompile(`([a-z_]+)=(\S+)`)
	// ansiColor is a terminal colour code: the node's log has them unless
	// started with --log_no_color (as this benchmark starts it; a log of
	// make localnet has them).
	ansiColor = regexp.MustCompile("\x1b\\[[0-9;]*m")
)

// readBlockTimings reads the node's "block executed" lines from its log, by
// height. Lines it cannot read are skipped: the timings explain the report,
// they do not make it.
func readBlockTimings(r io.Reader) (map[int64]blockTiming, error) {
	out := map[int64]blockTiming{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := ansiColor.ReplaceAllString(sc.Text(), "")
		if !strings.Contains(line, blockLine) {
			continue
		}
		// The line's numeric fields, read into blockTiming by its JSON names
		// (the line's keys).
		fields := map[string]float64{}
		for _, m := range logField.FindAllStringSubmatch(line, -1) {
			if f, err := strconv.ParseFloat(strings.Trim(m[2], `"`), 64); err == nil {
				fields[m[1]] = f
			}
		}
		var t blockTiming
		raw, err := json.Marshal(fields)
		if err != nil || json.Unmarshal(raw, &t) != nil {
			continue
		}
		h := int64(fields["height"])
		if h > 0 {
			out[h] = t
		}
	}
	return out, sc.Err()
}

// addTimings attaches the node's timings to the recorded blocks.
func (c *chainResult) addTimings(timings map[int64]blockTiming) {
	for i := range c.Blocks {
		if t, ok := timings[c.Blocks[i].Height]; ok {
			c.Blocks[i].Timing = &t
		}
	}
}

// readNodeTimings attaches the timings in the node's log at path.
func (c *chainResult) readNodeTimings(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	t, err := readBlockTimings(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	c.addTimings(t)
	return nil
}

// timingNote says where the time of an interval went: the execution of
// block x (FinalizeBlock, the time to Commit, Commit) and then the next
// height's (next, when read) wait with its rechecks, proposal and votes. ""
// without x's line.
func timingNote(x blockRecord, next *blockRecord) string {
	t := x.Timing
	if t == nil {
		return ""
	}
	s := fmt.Sprintf("; finalize %.0f ms (%.0f before txs, %.0f txs, %.0f after), to commit %.0f, commit %.0f",
		t.FinalizeMs, t.BeforeTxsMs, t.TxsMs, t.AfterTxsMs, t.ResultsMs, t.CommitMs)
	if next != nil && next.Timing != nil {
		n := next.Timing
		s += fmt.Sprintf("; then wait %.0f (%d rechecks %.0f), prepare %.0f, process %.0f, votes %.0f (%.0f to extend, extend %.0f)",
			n.WaitMs, n.Rechecks, n.RecheckMs, n.PrepareMs, n.ProcessMs, n.VotesMs, n.ToExtendMs, n.ExtendMs)
	}
	return s
}

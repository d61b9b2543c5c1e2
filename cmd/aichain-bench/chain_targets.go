package main

import (
	"fmt"
	"strings"
)

// Issue 20's targets that a run of the chain benchmark measures. The third,
// an idle block with 100,000 open jobs at most 1.1 × one with 100, is
// measured in process, where the machine's drift can be paired round by
// round: make bench, BenchmarkOpenJobsFlat (x_100).
const (
	// minKindRatio: every kind's steady tx/s over its bank send's.
	minKindRatio = 0.9
	// maxIntervalP99 (s): the block interval's p99 at saturation.
	maxIntervalP99 = 1.3
	// minSteadyBlocks is the fewest blocks a steady rate may rest on for a
	// ratio of it to count towards a target, the kind's and its send's
	// alike. A rate over one or two blocks is those blocks' fill, which the
	// proposer's budget and the host's moment decide: on a fast host
	// (2026-12-03, phases of 10,000 in 3–5 blocks) such ratios ran from 0.74
	// to 2.31 in one run, lock at 1.42 against a send phase of one steady
	// block.
	minSteadyBlocks = 3
)

// targetResult is one target and what the run measured of it.
type targetResult struct {
	Target string `json:"target"`
	// Met is false where any kind missed it, or nothing was measured.
	Met bool `json:"met"`
	// Measured gives the values: the kinds that missed it first.
	Measured string `json:"measured"`
}

// targets checks the run against issue 20's targets, and against gas-rate
// parity (each kind's gas/s at least minKindRatio × its bank send's: fees
// follow the node's work), the measure docs/bench-chain.md proposes in
// place of the first, which a kind that does more work than a send cannot
// meet on a node bound by its CPU. A kind without a steady rate (it never
// saturated the node), or whose rate or its send's rests on fewer than
// minSteadyBlocks blocks, is not measured, and a target with a kind not
// measured, or none measured, is not met.
func (c *chainResult) targets() []targetResult {
	rate := c.kindTarget(fmt.Sprintf("every kind's steady tx/s ≥ %.2f × its bank send's", minKindRatio), c.ratio)
	gas := c.kindTarget(fmt.Sprintf("every kind's gas/s ≥ %.2f × its bank send's (proposed in place of the first)", minKindRatio), c.gasRatio)
	p99 := targetResult{Target: fmt.Sprintf("block interval p99 ≤ %.1f s", maxIntervalP99), Measured: "no intervals"}
	if len(c.Intervals) > 0 {
		v := percentile(c.Intervals, 99)
		p99.Met, p99.Measured = v <= maxIntervalP99, fmt.Sprintf("%.2f s over %d intervals", v, len(c.Intervals))
	}
	return []targetResult{rate, p99, gas}
}

// kindTarget checks ratio(k) ≥ minKindRatio for every kind but bank send.
func (c *chainResult) kindTarget(name string, ratio func(kindResult) float64) targetResult {
	var missed, met, unmeasured, short []string
	for _, k := range c.Kinds {
		if k.Kind == kindSend {
			continue
		}
		r := ratio(k)
		switch {
		case k.SteadyBlocks == 0 || r == 0:
			unmeasured = append(unmeasured, k.Kind)
		case c.tooShort(k):
			s, _ := c.send(k)
			short = append(short, fmt.Sprintf("%s %.2f (%d and its send's %d)", k.Kind, r, k.SteadyBlocks, s.SteadyBlocks))
		case r < minKindRatio:
			missed = append(missed, fmt.Sprintf("%s %.2f", k.Kind, r))
		default:
			met = append(met, fmt.Sprintf("%s %.2f", k.Kind, r))
		}
	}
	t := targetResult{Target: name, Met: len(met) > 0 && len(missed) == 0 && len(unmeasured) == 0 && len(short) == 0}
	var parts []string
	for _, p := range []struct {
		label string
		kinds []string
	}{{"below", missed}, {"at or above", met}, {"no steady rate", unmeasured},
		{fmt.Sprintf("not counted, steady over fewer than %d blocks", minSteadyBlocks), short}} {
		if len(p.kinds) > 0 {
			parts = append(parts, p.label+": "+strings.Join(p.kinds, ", "))
		}
	}
	t.Measured = strings.Join(parts, "; ")
	if t.Measured == "" {
		t.Measured = "no kind measured"
	}
	return t
}

// tooShort reports whether k's steady rate, or its send's, rests on fewer
// than minSteadyBlocks blocks.
func (c *chainResult) tooShort(k kindResult) bool {
	s, ok := c.send(k)
	return k.SteadyBlocks < minSteadyBlocks || !ok || s.SteadyBlocks < minSteadyBlocks
}

// targetsText is the report's list of targets, met or not.
func targetsText(ts []targetResult) string {
	var b strings.Builder
	b.WriteString("\nTargets (issue 20), this run:\n")
	for _, t := range ts {
		verdict := "NOT MET"
		if t.Met {
			verdict = "met"
		}
		fmt.Fprintf(&b, "- %s: %s (%s)\n", t.Target, verdict, t.Measured)
	}
	b.WriteString("- an idle block with 100,000 open jobs ≤ 1.1 × one with 100: measured in process (make bench, BenchmarkOpenJobsFlat, x_100)\n")
	return b.String()
}

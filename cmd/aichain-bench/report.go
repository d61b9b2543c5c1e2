package main

import (
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// summary is the benchmark's table.
type summary struct {
	settled, expired, failed       int
	forfeits, timeouts             int
	commits, reveals, results      int
	maxCommits, maxReveals, blocks int
	perMinute, lastSettle          float64
	peakRSS                        int64
}

func (r *result) summarize() summary {
	var s summary
	for _, x := range r.Samples {
		s.commits += x.Commits
		s.reveals += x.Reveals
		s.results += x.Results
		s.forfeits += x.Forfeits
		s.timeouts += x.Timeouts
		s.maxCommits = max(s.maxCommits, x.Commits)
		s.maxReveals = max(s.maxReveals, x.Reveals)
		s.peakRSS = max(s.peakRSS, x.RSSKiB)
		if x.States["SETTLED"] > s.settled {
			s.settled, s.lastSettle = x.States["SETTLED"], x.Seconds
		}
	}
	if n := len(r.Samples); n > 0 {
		last := r.Samples[n-1].States
		s.expired, s.failed = last["EXPIRED"], last["FAILED"]
		s.blocks = int(r.Samples[n-1].Height - r.PostHeight)
	}
	if s.lastSettle > 0 {
		s.perMinute = float64(s.settled) / s.lastSettle * 60
	}
	return s
}

// table is the Markdown table of the run.
func (r *result) table() string {
	s := r.summarize()
	o := r.options
	rows := [][2]string{
		{"jobs posted in one block", fmt.Sprintf("%d (gemm %d×%d×%d, %d-row chunks; windows commit %d, reveal %d, exec %d blocks)", r.Jobs, o.m, o.n, o.k, o.chunkRows, o.commit, o.reveal, o.exec)},
		{"settled / expired / failed", fmt.Sprintf("%d / %d / %d", s.settled, s.expired, s.failed)},
		{"bids committed / revealed / results", fmt.Sprintf("%d / %d / %d", s.commits, s.reveals, s.results)},
		{"most bids in one block / reveals in one block", fmt.Sprintf("%d / %d", s.maxCommits, s.maxReveals)},
		{"forfeited deposits (missed reveals)", fmt.Sprint(s.forfeits)},
		{"execution timeouts", fmt.Sprint(s.timeouts)},
		{"all settled after", fmt.Sprintf("%.0f s (%d blocks)", s.lastSettle, s.blocks)},
		{"jobs settled per minute", fmt.Sprintf("%.0f", s.perMinute)},
		{"agent stop on SIGTERM mid-run", stopText(r.StopSeconds)},
		{"agent peak memory (RSS)", fmt.Sprintf("%.0f MiB", float64(s.peakRSS)/1024)},
	}
	var b strings.Builder
	b.WriteString("| measure | value |\n|---|---|\n")
	for _, row := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", row[0], row[1])
	}
	return b.String()
}

func stopText(secs float64) string {
	if secs == 0 {
		return "not measured (--restart=false)"
	}
	return fmt.Sprintf("%.3f s, then restarted and finished", secs)
}

// write saves the table, the series and the chart, and prints the table.
func (r *result) write() error {
	table := r.table()
	fmt.Print("\n" + table)
	if err := os.WriteFile(r.path("md"), []byte(table), 0o644); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(r.path("json"), b, 0o644); err != nil {
		return err
	}
	return r.chart()
}

// chart draws jobs by state over time.
func (r *result) chart() error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%d gemm jobs in one block, one provider agent (CPU)", r.Jobs)
	p.X.Label.Text = "seconds since the jobs' block"
	p.Y.Label.Text = "jobs"
	states := []struct {
		name string
		rgb  color.RGBA
	}{
		{"OPEN", color.RGBA{120, 120, 120, 255}}, {"REVEAL", color.RGBA{230, 160, 0, 255}},
		{"ASSIGNED", color.RGBA{200, 40, 40, 255}}, {"SUBMITTED", color.RGBA{40, 90, 200, 255}},
		{"VERIFYING", color.RGBA{140, 60, 180, 255}}, {"SETTLED", color.RGBA{20, 150, 60, 255}},
	}
	for _, st := range states {
		pts := make(plotter.XYs, len(r.Samples))
		for i, s := range r.Samples {
			pts[i].X, pts[i].Y = s.Seconds, float64(s.States[st.name])
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		line.Color, line.Width = st.rgb, vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(st.name, line)
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p.Save(9*vg.Inch, 5*vg.Inch, r.path("png"))
}

package provider

import (
	"context"
	"errors"
	"os"
	"runtime/debug"
	"time"

	"github.com/aichain/aichain/accel/treehash"
	"github.com/aichain/aichain/workload"
)

// defaultOutSecs is the seconds one output byte costs where calibration
// failed: 10 ns (measured 3–10 ns on a loaded 2-core host), erring long.
const defaultOutSecs = 10e-9

// outputProbe is the job whose output calibrateOutput times: a gemm with
// K = 1, whose 16 MiB output (4096 × 1024 float32s, past the caches as a
// large job's is) is nearly all of its cost, its 4M multiply-adds and 5K
// drawn values a few milliseconds.
var outputProbe = workload.GemmParams{M: 4096, N: 1024, K: 1, ChunkRows: 256, Seed: 1}

// calibrateOutput measures the seconds per output byte (outSecs): what a
// job costs beside its arithmetic and drawn values for every byte of its
// output, held twice, encoded, tree-hashed and written to disk (the
// agent's execute: workload.ComputeChunks, then ChunkStore.Put). Without it
// a job of a wide output and little arithmetic (a gemm with K = 1: 256 MiB
// of output for 0.13 GFLOP) was estimated at a share of its time, bid on
// with the shortest window the chain admits, and timed out
// (TestAttackWideOutputJobOutrunsItsEstimate). The arithmetic and drawn
// values are taken off at the rates split measured, at most half the time,
// as split does.
func (c *capacity) calibrateOutput(ctx context.Context, b workload.Backend) error {
	const rounds = 2
	var secs float64
	for r := 0; r < rounds; r++ {
		debug.FreeOSMemory()
		start := time.Now()
		if err := runOutputProbe(ctx, b, c.scratch); err != nil {
			return err
		}
		secs += time.Since(start).Seconds() / rounds
	}
	p := outputProbe
	bytes := float64(p.M) * float64(p.N) * 4
	c.mu.Lock()
	defer c.mu.Unlock()
	work := 2*float64(p.M)*float64(p.N)*float64(p.K)/(c.gflops*1e9) +
		(float64(p.M)*float64(p.K)+float64(p.K)*float64(p.N))*c.genSecs
	if per := max(secs-work, secs/2) / bytes; per > 0 {
		c.outSecs = per
	}
	return nil
}

// runOutputProbe runs outputProbe as the agent runs a job: computed whole,
// tree-hashed, written to a file under dir (the system's temporary
// directory if empty), which it then removes.
func runOutputProbe(ctx context.Context, b workload.Backend, dir string) error {
	job, err := workload.NewGemmJob(outputProbe)
	if err != nil {
		return err
	}
	chunks, err := workload.ComputeChunks(ctx, job, b)
	if err != nil {
		return err
	}
	if _, err := treehash.New(chunks); err != nil {
		return err
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	f, err := os.CreateTemp(dir, ".calibrate-*")
	if err != nil {
		return err
	}
	for _, ch := range chunks {
		if _, err := f.Write(ch); err != nil {
			return errors.Join(err, f.Close(), os.Remove(f.Name()))
		}
	}
	return errors.Join(f.Close(), os.Remove(f.Name()))
}

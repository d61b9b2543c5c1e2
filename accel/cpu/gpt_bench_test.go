package cpu

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/aichain/aichain/workload"
)

var gptBench = flag.Bool("gptbench", false, "run TestGPTBenchmarkTable (GPT-2-small-shaped model: about a minute and 1.5 GB)")

// gptBenchCase is one row of the README's gpt-f32 benchmark table.
type gptBenchCase struct {
	name            string
	cfg             workload.GPTConfig
	prompts, tokens int // prompts of tokens tokens each
	maxNew          int
	chunkRows       int
}

var gptBenchCases = []gptBenchCase{
	{"tiny byte-level (aichain-gpt model)", workload.GPTConfig{Layers: 2, Heads: 4, Embed: 64, Vocab: 256, Context: 128}, 8, 16, 32, 4},
	{"GPT-2-small-shaped, random weights", workload.GPTConfig{Layers: 12, Heads: 12, Embed: 768, Vocab: 50257, Context: 1024}, 2, 16, 8, 1},
}

// recorder is a Backend that records the shape of every Dense call.
type recorder struct {
	b      *Backend
	mu     sync.Mutex
	shapes [][3]int // rows, in, out
}

func (r *recorder) Name() string { return r.b.Name() }

func (r *recorder) Dense(ctx context.Context, x []float32, rows, in int, w []float32, bias []float32, out int, relu bool) ([]float32, error) {
	r.mu.Lock()
	r.shapes = append(r.shapes, [3]int{rows, in, out})
	r.mu.Unlock()
	return r.b.Dense(ctx, x, rows, in, w, bias, out, relu)
}

func benchPrompts(n, tokens, vocab int) *workload.TokenMatrix {
	m := &workload.TokenMatrix{Rows: n, Cols: tokens, Data: make([]int32, n*tokens)}
	for i := range m.Data {
		m.Data[i] = int32(workload.SplitMixAt(99, uint64(i)) % uint64(vocab))
	}
	return m
}

type gptBenchResult struct {
	decode, dense, sgemm, perChunk, verify time.Duration
	generated, positions, chunks           int
}

// runGPTBench decodes the case's job chunk by chunk as a provider does,
// recording its dense products; times the same products alone through the
// CPU backend's Dense and through gonum's Sgemm; and recomputes one chunk as
// a verifier does.
func runGPTBench(t testing.TB, c gptBenchCase) gptBenchResult {
	m, err := workload.RandomGPT(c.cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := benchPrompts(c.prompts, c.tokens, c.cfg.Vocab)
	j, err := workload.NewGPTJob(m, p, c.maxNew, c.chunkRows)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{b: New()}
	k := &workload.HostKernels{Backend: rec, For: rec.b.parallelFor}
	ctx := context.Background()
	var res gptBenchResult
	start := time.Now()
	n, _ := workload.JobChunkCount(j)
	for i := 0; i < n; i++ {
		r0, r1, _ := workload.ChunkRange(j.Rows(), j.ChunkRows(), i)
		if _, err := workload.DecodeGPT(ctx, k, m, p, r0, r1, c.maxNew); err != nil {
			t.Fatal(err)
		}
	}
	res.decode, res.chunks = time.Since(start), n
	res.perChunk = res.decode / time.Duration(n)
	res.generated, res.positions = c.prompts*c.maxNew, c.prompts*(c.tokens+c.maxNew)
	start = time.Now()
	if _, err := workload.ComputeChunk(ctx, j, New(), n-1); err != nil {
		t.Fatal(err)
	}
	res.verify = time.Since(start)
	res.dense, res.sgemm = timeProducts(t, rec.shapes)
	return res
}

// timeProducts runs every recorded product alone, through Dense (y = x·wᵀ)
// and through gonum's Sgemm (the same product, C = X·Wᵀ), on one shared set
// of operands per shape.
func timeProducts(t testing.TB, shapes [][3]int) (dense, sgemm time.Duration) {
	ctx := context.Background()
	b := New()
	impl := gonum.Implementation{}
	type operands struct{ x, w []float32 }
	cache := map[[3]int]operands{}
	for _, s := range shapes {
		rows, in, out := s[0], s[1], s[2]
		op, ok := cache[s]
		if !ok {
			op.x, op.w, _ = randomOperands(uint64(rows*7+in), rows, in, out, false)
			cache[s] = op
		}
		x, w := op.x, op.w
		start := time.Now()
		if _, err := b.Dense(ctx, x, rows, in, w, nil, out, false); err != nil {
			t.Fatal(err)
		}
		dense += time.Since(start)
		c := make([]float32, rows*out)
		start = time.Now()
		impl.Sgemm(blas.NoTrans, blas.Trans, rows, out, in, 1, x, in, w, in, 0, c, out)
		sgemm += time.Since(start)
	}
	return dense, sgemm
}

// TestGPTBenchmarkTable prints the README's gpt-f32 benchmark table:
//
//	go test ./accel/cpu -run TestGPTBenchmarkTable -v -args -gptbench
func TestGPTBenchmarkTable(t *testing.T) {
	if !*gptBench {
		t.Skip("run with -gptbench (a GPT-2-small-shaped model: about a minute and 1.5 GB)")
	}
	t.Logf("CPU backend, GOMAXPROCS=%d, %s/%s", runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	out := "\n| model | params | job | CPU tokens/s (positions/s) | dense products: aichain Dense / gonum Sgemm | provider per chunk | verifier per sampled chunk |\n|---|---|---|---|---|---|---|\n"
	for _, c := range gptBenchCases {
		r := runGPTBench(t, c)
		out += fmt.Sprintf("| %s | %.1fM | %d prompts × %d tokens + %d new, %d per chunk | %.1f (%.1f) | %.2fs / %.2fs = %.1f× | %.0f ms | %.0f ms (%.2f×) |\n",
			c.name, float64(c.cfg.Params())/1e6, c.prompts, c.tokens, c.maxNew, c.chunkRows,
			float64(r.generated)/r.decode.Seconds(), float64(r.positions)/r.decode.Seconds(),
			r.dense.Seconds(), r.sgemm.Seconds(), r.dense.Seconds()/r.sgemm.Seconds(),
			ms(r.perChunk), ms(r.verify), r.verify.Seconds()/r.perChunk.Seconds())
	}
	t.Log(out)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkGPTTiny decodes the tiny model's benchmark job on the CPU
// backend, in generated tokens per second.
func BenchmarkGPTTiny(b *testing.B) {
	c := gptBenchCases[0]
	m, err := workload.RandomGPT(c.cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	p := benchPrompts(c.prompts, c.tokens, c.cfg.Vocab)
	be := New()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := workload.DecodeGPT(context.Background(), be.GPTKernels(), m, p, 0, p.Rows, c.maxNew); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.prompts*c.maxNew*b.N)/b.Elapsed().Seconds(), "tokens/s")
}

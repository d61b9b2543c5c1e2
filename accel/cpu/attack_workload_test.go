package cpu

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
)

// kernelCount is what a gpt-f32 decode did through its kernels: calls,
// products (dense layers, attention's scores and values), elements (every
// other value a kernel reads or writes once: layer norms, GELUs, softmax
// terms, adds, cache stores, allocations, uploads, downloads) and weights
// (each dense layer's weights, read once a call whatever its rows).
type kernelCount struct {
	calls, products, elements, weights uint64
}

func (c kernelCount) add(o kernelCount) kernelCount {
	return kernelCount{c.calls + o.calls, c.products + o.products, c.elements + o.elements, c.weights + o.weights}
}

// work is the count in multiply-adds, at one per product and per element,
// workload.GPTCallMulAdds per call and one per workload.GPTWeightReadDiv
// weights read.
func (c kernelCount) work() uint64 {
	return c.products + c.elements + c.calls*workload.GPTCallMulAdds + c.weights/workload.GPTWeightReadDiv
}

// countingKernels are the CPU backend's gpt-f32 kernels, counted.
type countingKernels struct {
	workload.GPTKernels
	n kernelCount
}

func (k *countingKernels) count(products, elements int) {
	k.n.calls++
	k.n.products += uint64(products)
	k.n.elements += uint64(elements)
}

func (k *countingKernels) Upload(v []float32) (workload.GPTBuffer, error) {
	k.count(0, len(v))
	return k.GPTKernels.Upload(v)
}

func (k *countingKernels) UploadInts(v []int32) (workload.GPTBuffer, error) {
	k.count(0, len(v))
	return k.GPTKernels.UploadInts(v)
}

func (k *countingKernels) Alloc(n int) (workload.GPTBuffer, error) {
	k.count(0, n)
	return k.GPTKernels.Alloc(n)
}

func (k *countingKernels) Download(b workload.GPTBuffer, off int, dst []float32) error {
	k.count(0, len(dst))
	return k.GPTKernels.Download(b, off, dst)
}

func (k *countingKernels) Free(bufs ...workload.GPTBuffer) {
	k.count(0, 0)
	k.GPTKernels.Free(bufs...)
}

func (k *countingKernels) Dense(ctx context.Context, x workload.GPTBuffer, rows, in int, w, bias workload.GPTBuffer, out int) (workload.GPTBuffer, error) {
	k.count(rows*in*out, rows*out)
	k.n.weights += uint64(in * out)
	return k.GPTKernels.Dense(ctx, x, rows, in, w, bias, out)
}

func (k *countingKernels) LayerNorm(x workload.GPTBuffer, rows, n int, g, b workload.GPTBuffer) (workload.GPTBuffer, error) {
	k.count(0, rows*n)
	return k.GPTKernels.LayerNorm(x, rows, n, g, b)
}

func (k *countingKernels) GELU(x workload.GPTBuffer, n int) error {
	k.count(0, n)
	return k.GPTKernels.GELU(x, n)
}

func (k *countingKernels) Add(x, y workload.GPTBuffer, n int) error {
	k.count(0, n)
	return k.GPTKernels.Add(x, y, n)
}

func (k *countingKernels) StoreKV(qkv workload.GPTBuffer, rows, embed int, spans, kc, vc workload.GPTBuffer) error {
	k.count(0, 2*rows*embed)
	return k.GPTKernels.StoreKV(qkv, rows, embed, spans, kc, vc)
}

// Attention counts each (row, head)'s span: a product of its query and of
// its values per cached position and value, and one softmax term.
func (k *countingKernels) Attention(qkv workload.GPTBuffer, rows, heads, headDim int, spans, kc, vc workload.GPTBuffer) (workload.GPTBuffer, error) {
	sp := spans.(workload.HostInts)
	positions := 0
	for r := 0; r < rows; r++ {
		positions += int(sp[2*r+1])
	}
	k.count(2*positions*heads*headDim, positions*heads)
	return k.GPTKernels.Attention(qkv, rows, heads, headDim, spans, kc, vc)
}

// countingBackend is the CPU backend with counted gpt-f32 kernels.
type countingBackend struct {
	*Backend
	k *countingKernels
}

func (b countingBackend) GPTKernels() workload.GPTKernels { return b.k }

// gptWorkCase is a job: prompts of the given lengths (a dataset's, at
// width, when dataset is set) decoded for maxNew tokens in chunks.
type gptWorkCase struct {
	name      string
	cfg       workload.GPTConfig
	lens      []int
	width     int
	maxNew    int
	chunkRows int
	dataset   bool
}

func repeatLen(n, length int) []int {
	lens := make([]int, n)
	for i := range lens {
		lens[i] = length
	}
	return lens
}

func (c gptWorkCase) prompts() *workload.TokenMatrix {
	p := &workload.TokenMatrix{Rows: len(c.lens), Cols: c.width, Data: make([]int32, len(c.lens)*c.width)}
	for r, n := range c.lens {
		for i := range p.Row(r) {
			p.Row(r)[i] = workload.PromptPad
			if i < n {
				p.Row(r)[i] = int32(workload.SplitMixAt(uint64(r), uint64(i)) % uint64(c.cfg.Vocab))
			}
		}
	}
	return p
}

// charged is the chain's work for the case's job.
func (c gptWorkCase) charged() workload.GPTWork {
	if c.dataset {
		return c.cfg.Work(len(c.lens), c.width, nil, c.maxNew, c.chunkRows)
	}
	return c.cfg.Work(len(c.lens), c.width, c.lens, c.maxNew, c.chunkRows)
}

// TestAttackOneTokenPromptsCostMoreThanTheirWork: a requester (or a model
// owner) registers a gpt-f32 model of 64 layers with embed 1, vocabulary 2
// and context 1, and lists thousands of one-token prompts. The chain used
// to charge each prompt its products alone (GPTConfig.MulAdds(1, 0) = 898
// multiply-adds), while the decoder ran a dozen kernel calls per block per
// prompt: 470× a gemm's time per charged multiply-add on this backend, so
// an honest provider that bids by the work missed its exec window and every
// sidecar spent half a minute per sampled chunk budgeted at a fraction of a
// second. Now the prefill runs a batch's prompts together and the chain
// charges, besides the products, every elementwise value and every kernel
// call (GPTConfig.Work), and each pass's read of the block weights, which
// bounds a step of one prompt (a matrix-vector product) more than its
// arithmetic. Here the CPU backend's kernels are counted over whole jobs,
// chunk by chunk as a provider and a verifier run them, for a spread of
// legal shapes: the charged work of the job and of its costliest chunk is
// at least its products, its elements, GPTCallMulAdds per call it made and
// one per GPTWeightReadDiv weights its dense layers read. (BenchmarkGPTWorkPerChargedUnit times the attack's shape against
// a gemm of the same charged work.)
func TestAttackOneTokenPromptsCostMoreThanTheirWork(t *testing.T) {
	cases := []gptWorkCase{
		{"attack: 64 layers, embed 1, one-token prompts", workload.GPTConfig{Layers: 64, Heads: 1, Embed: 1, Vocab: 2, Context: 1},
			repeatLen(8192, 1), 1, 0, 4096, true},
		{"tiny byte-level, inline prompts", workload.GPTConfig{Layers: 2, Heads: 4, Embed: 64, Vocab: 256, Context: 128},
			[]int{16, 3, 1, 9, 16, 12, 5, 2, 7}, 16, 8, 4, false},
		{"odd heads, a dataset with an invalid row", workload.GPTConfig{Layers: 1, Heads: 3, Embed: 45, Vocab: 97, Context: 24},
			[]int{1, 8, 4, 0, 6, 2, 8}, 8, 7, 3, true},
		{"two prefill passes", workload.GPTConfig{Layers: 1, Heads: 1, Embed: 16, Vocab: 2, Context: 256},
			repeatLen(1025, 256), 256, 0, 1025, true},
		{"long decode", workload.GPTConfig{Layers: 4, Heads: 2, Embed: 8, Vocab: 3, Context: 64},
			[]int{2, 1, 2}, 2, 60, 2, false},
		{"wide vocabulary, embed 1", workload.GPTConfig{Layers: 1, Heads: 1, Embed: 1, Vocab: 4096, Context: 4},
			repeatLen(64, 1), 1, 3, 64, true},
		// One prompt a chunk decoded long: each step reads every block
		// weight for one row (BenchmarkGPTWorkPerChargedUnit/long-context).
		{"one prompt a chunk, decoded long", workload.GPTConfig{Layers: 2, Heads: 4, Embed: 256, Vocab: 16, Context: 128},
			[]int{1, 1}, 1, 127, 1, false},
	}
	ctx := context.Background()
	for _, c := range cases {
		m, err := workload.RandomGPT(c.cfg, 7)
		if err != nil {
			t.Fatal(c.name, err)
		}
		job, err := workload.NewGPTJob(m, c.prompts(), c.maxNew, c.chunkRows)
		if err != nil {
			t.Fatal(c.name, err)
		}
		chunks, err := workload.JobChunkCount(job)
		if err != nil {
			t.Fatal(c.name, err)
		}
		var total, costliest kernelCount
		for i := 0; i < chunks; i++ {
			k := &countingKernels{GPTKernels: New().GPTKernels()}
			if _, err := workload.ComputeChunk(ctx, job, countingBackend{Backend: New(), k: k}, i); err != nil {
				t.Fatal(c.name, err)
			}
			total = total.add(k.n)
			if k.n.work() > costliest.work() {
				costliest = k.n
			}
		}
		w := c.charged()
		t.Logf("%s: %d calls, %d products, %d elements = %d; charged %d (products alone: %d); costliest chunk %d, charged %d",
			c.name, total.calls, total.products, total.elements, total.work(), w.Job,
			uint64(len(c.lens))*c.cfg.MulAdds(c.width, c.maxNew), costliest.work(), w.Chunk)
		if w.Job < total.work() {
			t.Errorf("%s: the job is charged %d multiply-adds, but its decode made %d kernel calls (%d at %d each), %d products and %d elements: %d",
				c.name, w.Job, total.calls, total.calls*workload.GPTCallMulAdds, workload.GPTCallMulAdds, total.products, total.elements, total.work())
		}
		if w.Chunk < costliest.work() {
			t.Errorf("%s: a chunk is charged %d multiply-adds, but the costliest did %d", c.name, w.Chunk, costliest.work())
		}
	}
}

// BenchmarkGPTWorkPerChargedUnit decodes a chunk of the attack's shape
// (8192 one-token prompts through 64 blocks of embed 1), and one of the
// tiny byte-level model's (4 prompts of 16 tokens + 32 new), and a long
// decode at embed 1024 (one token + 1023 new), and two of the widest
// vocabulary a default chunk holds (one token + 63 new), and a gemm of
// the same charged work each on the CPU backend, and reports the time per
// charged multiply-add of each and their ratio (gpt/gemm): near 1 or below
// when the charge is honest (gpt/gemm-by-products: the ratio per product
// alone, the measure the chain used before).
//
//	go test ./accel/cpu -run '^$' -bench GPTWorkPerChargedUnit
func BenchmarkGPTWorkPerChargedUnit(b *testing.B) {
	for _, c := range []struct {
		name      string
		cfg       workload.GPTConfig
		rows, len int
		maxNew    int
	}{
		{"attack", workload.GPTConfig{Layers: 64, Heads: 1, Embed: 1, Vocab: 2, Context: 1}, 8192, 1, 0},
		{"tiny", workload.GPTConfig{Layers: 2, Heads: 4, Embed: 64, Vocab: 256, Context: 128}, 4, 16, 32},
		// A long decode at a power-of-two embed (GPT-2 medium's 1024): the
		// attention's value pass once read one value every 4 KiB, each sum
		// a chain of dependent adds (AttendHead).
		{"long-context", workload.GPTConfig{Layers: 1, Heads: 4, Embed: 1024, Vocab: 64, Context: 1024}, 1, 1, 1023},
		// The widest vocabulary a default chunk holds (one prompt, 63 new
		// tokens: a row of 2^20 − 1 values), where a step's cost is its
		// logits row: the LM head's overhead per output at embed 1 and 8
		// and six passes over the row once took 1.1–2.1× a gemm's time per
		// charged multiply-add (TestAttackWideVocabStepCopiesItsLogits).
		{"wide-vocab", workload.GPTConfig{Layers: 1, Heads: 1, Embed: 1, Vocab: 1<<20 - 64, Context: 64}, 1, 1, 63},
		{"wide-vocab-embed8", workload.GPTConfig{Layers: 8, Heads: 2, Embed: 8, Vocab: 1<<20 - 64, Context: 64}, 1, 1, 63},
	} {
		b.Run(c.name, func(b *testing.B) {
			w := gptWorkCase{cfg: c.cfg, lens: repeatLen(c.rows, c.len), width: c.len, maxNew: c.maxNew, chunkRows: c.rows, dataset: true}
			benchWorkPerUnit(b, w)
		})
	}
}

func benchWorkPerUnit(b *testing.B, c gptWorkCase) {
	m, err := workload.RandomGPT(c.cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	rows := len(c.lens)
	job, err := workload.NewGPTJob(m, c.prompts(), c.maxNew, rows)
	if err != nil {
		b.Fatal(err)
	}
	charged := c.charged().Chunk
	perGPT, perGemm := benchAgainstGemm(b, job, charged)
	b.ReportMetric(perGPT, "gpt-ns/unit")
	b.ReportMetric(perGemm, "gemm-ns/unit")
	b.ReportMetric(perGPT/perGemm, "gpt/gemm")
	products := uint64(rows) * c.cfg.MulAdds(c.width, c.maxNew)
	b.ReportMetric(perGPT*float64(charged)/float64(products)/perGemm, "gpt/gemm-by-products")
}

// benchAgainstGemm times chunk 0 of job, charged charged multiply-adds,
// and a gemm chunk of the same charged work (256-wide, as many rows as
// that takes), alternately, b.N times each, and returns the time per
// charged multiply-add of each, in ns.
func benchAgainstGemm(b *testing.B, job workload.Job, charged uint64) (perJob, perGemm float64) {
	const n, k = 256, 256
	mRows := max(1, int(charged/(n*k)))
	gemm, err := workload.NewGemmJob(workload.GemmParams{M: mRows, N: n, K: k, ChunkRows: mRows, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	ctx, be := context.Background(), New()
	var jobTime, gemmTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC() // neither run pays for the other's garbage
		start := time.Now()
		if _, err := workload.ComputeChunk(ctx, job, be, 0); err != nil {
			b.Fatal(err)
		}
		jobTime += time.Since(start)
		runtime.GC()
		start = time.Now()
		if _, err := workload.ComputeChunk(ctx, gemm, be, 0); err != nil {
			b.Fatal(err)
		}
		gemmTime += time.Since(start)
	}
	perJob = float64(jobTime.Nanoseconds()) / float64(b.N) / float64(charged)
	perGemm = float64(gemmTime.Nanoseconds()) / float64(b.N) / float64(mRows*n*k)
	return perJob, perGemm
}

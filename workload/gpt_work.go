package workload

import (
	"math"
	mbits "math/bits"
)

// The charges, in multiply-adds, of what a gpt-f32 decode does besides its
// products (docs/gpt-f32.md, section 6). They were chosen from the CPU
// backend on two cores, where a large Dense runs at 0.22–0.34 ns per
// multiply-add: each is at least the measured cost of its item at that
// rate, with a margin, so that no legal shape costs much more per charged
// multiply-add than a gemm does.
const (
	// GPTCallMulAdds is one kernel call (GPTKernels: a layer norm, a
	// dense layer, an upload, a free…): 50–130 ns measured for the costliest
	// calls on one value, 1024 multiply-adds ≈ 225–340 ns.
	GPTCallMulAdds = 1024
	// GPTRowMulAdds is the fixed cost of one position's row in one block
	// (each kernel's per-row loop, four dense layers' row tiles): ≈ 37 ns
	// measured.
	GPTRowMulAdds = 256
	// GPTEmbedMulAdds is one embedding value of one position in one block:
	// its two layer norms (1.7–3 ns each), four GELUs (≈ 10 ns each), nine
	// dense outputs (≈ 3.4 ns each beyond their products), two residual
	// adds and two cache stores: 270–345 multiply-adds measured.
	GPTEmbedMulAdds = 384
	// GPTHeadMulAdds is one head of one position in one block (its query,
	// its scratch row): ≈ 16 ns measured.
	GPTHeadMulAdds = 96
	// GPTExpMulAdds is one softmax term of a head (its exp32, its sum and
	// its division): 7–10 ns measured.
	GPTExpMulAdds = 48
	// GPTVocabMulAdds is one logit of a position whose logits are needed
	// beyond its product (its argmax and canonical form, and on a device
	// its download).
	GPTVocabMulAdds = 16
	// GPTWeightReadDiv: each pass of a batch over its positions reads every
	// block weight (12·E² a block) from memory once, charged at one
	// multiply-add per GPTWeightReadDiv weights. A step of a batch of one
	// prompt is a matrix-vector product that waits on memory, not on
	// arithmetic: a long decode at embed 1024 took 1.07–1.44× a gemm's time
	// per charged multiply-add when its products were charged as a gemm's
	// (BenchmarkGPTWorkPerChargedUnit/long-context). A batch of P prompts
	// reads the weights once for P rows, so the charge falls to 1/(P·Div)
	// of its block products.
	GPTWeightReadDiv = 2
)

// gptCallsPerLayer and gptCallsPerPass are the kernel calls of one block
// and of the rest of one pass over a set of positions (uploads, downloads,
// frees, the final layer norm and the LM head), the downloads of its final
// rows aside (gptDecoder.positions, block, residual, logits).
const (
	gptCallsPerLayer = 18
	gptCallsPerPass  = 11
)

// GPTWork is a gpt-f32 job's work as the chain charges it: every product
// (MulAdds), every elementwise operation and every kernel call, in
// multiply-adds.
type GPTWork struct {
	// Job is the whole job's: what it records as mul_adds, what
	// max_work_per_exec_block admits and what providers price.
	Job uint64
	// Chunk is its costliest chunk's (chunk_rows prompts of the widest
	// length): what a verifier spends per sampled chunk.
	Chunk uint64
}

// Work charges a job of rows prompts of at most width tokens, each decoded
// for maxNew tokens, in chunks of chunkRows prompts (at least one). lens,
// when not nil, are the prompts' own lengths (inline prompts); a dataset's
// prompts count at its full width. It saturates at MaxUint64, and is
// MaxUint64 for a shape no decode can have (an invalid config, prompts
// beyond width or the context). It counts
// what DecodeGPT does for each chunk on its own, at most: its products, its
// elementwise work per position and block, and GPTCallMulAdds for each of
// its kernel calls, whose number follows from its batching (a chunk's
// prompts in batches whose caches fit gptCacheBudget, each prefilled in
// passes of prefillPrompts, then advanced one position a step).
func (c GPTConfig) Work(rows, width int, lens []int, maxNew, chunkRows int) GPTWork {
	if c.Validate() != nil || rows < 0 || width > MaxGPTContext || maxNew > MaxGPTContext || c.CheckDecode(width, maxNew) != nil {
		return GPTWork{Job: math.MaxUint64, Chunk: math.MaxUint64}
	}
	for _, n := range lens {
		if n < 0 || n > width {
			return GPTWork{Job: math.MaxUint64, Chunk: math.MaxUint64}
		}
	}
	chunkRows = max(chunkRows, 1)
	per := min(chunkRows, rows)
	widest := c.promptWork(width, width, maxNew)
	w := GPTWork{Chunk: satAdd(satMul(uint64(per), widest), c.chunkWork(per, width, maxNew))}
	if lens == nil {
		w.Job = satMul(uint64(rows), widest)
	} else {
		for _, n := range lens {
			w.Job = satAdd(w.Job, c.promptWork(n, width, maxNew))
		}
	}
	full, last := rows/chunkRows, rows%chunkRows
	w.Job = satAdd(w.Job, satMul(uint64(full), c.chunkWork(chunkRows, width, maxNew)))
	if last > 0 {
		w.Job = satAdd(w.Job, c.chunkWork(last, width, maxNew))
	}
	return w
}

// promptWork is one prompt's share: k tokens (in prompts of width tokens)
// decoded for maxNew, T = k + maxNew positions. Besides MulAdds(k, maxNew):
// per position and block, a row, its embedding values and its heads'
// softmax terms (position t attends to t+1); per position, its embedding
// (as if one more block); per position whose logits are needed, its final
// layer norm and its logits; its slot's zeroed caches (2·L·E·(width +
// maxNew)); and two calls (its final row's download after the prefill, and
// its bookkeeping on the host).
func (c GPTConfig) promptWork(k, width, maxNew int) uint64 {
	t, e, l, h := uint64(k+maxNew), uint64(c.Embed), uint64(c.Layers), uint64(c.Heads)
	row := satAdd(GPTRowMulAdds, satMul(GPTEmbedMulAdds, e))
	sum := c.MulAdds(k, maxNew)
	for _, term := range []uint64{
		satMul(satMul(l+1, t), row),
		satMul(satMul(l, h), satMul(t, GPTHeadMulAdds)),
		satMul(satMul(l, h), satMul(GPTExpMulAdds, satMul(t, t+1)/2)),
		satMul(uint64(maxNew)+1, satAdd(satMul(GPTEmbedMulAdds, e), satMul(GPTVocabMulAdds, uint64(c.Vocab)))),
		satMul(satMul(2*l, e), uint64(width+maxNew)),
		2 * GPTCallMulAdds,
	} {
		sum = satAdd(sum, term)
	}
	return sum
}

// chunkWork is what a chunk of n prompts adds to its prompts' shares: its
// weights' upload (Params values), its kernel calls, and its passes' reads
// of the block weights (GPTWeightReadDiv).
func (c GPTConfig) chunkWork(n, width, maxNew int) uint64 {
	reads := satMul(c.chunkPasses(n, width, maxNew), c.blockWeights()) / GPTWeightReadDiv
	return satAdd(satAdd(c.Params(), satMul(c.chunkCalls(n, width, maxNew), GPTCallMulAdds)), reads)
}

// chunkPasses is how many passes over the blocks DecodeGPT makes for n
// prompts of width tokens decoded for maxNew.
func (c GPTConfig) chunkPasses(n, width, maxNew int) uint64 {
	return c.perBatch(n, width, maxNew, func(passes uint64) uint64 { return passes })
}

// chunkCalls bounds DecodeGPT's kernel calls for n prompts of width tokens
// decoded for maxNew, the prefill's per-prompt downloads aside (promptWork
// counts them): the weights' uploads and their free; per batch, its caches'
// allocations and their free, its prefill passes and maxNew steps, each a
// pass of L blocks with one download of its final rows for a step.
func (c GPTConfig) chunkCalls(n, width, maxNew int) uint64 {
	if n < 1 {
		return 0
	}
	l := uint64(c.Layers)
	pass := gptCallsPerLayer*l + gptCallsPerPass
	return satAdd(12*l+4, c.perBatch(n, width, maxNew, func(passes uint64) uint64 {
		return satAdd(2*l+1+uint64(maxNew), satMul(passes, pass))
	}))
}

// perBatch sums f over the batches DecodeGPT splits n prompts of width
// tokens decoded for maxNew into (gptBatch prompts each, the last the
// rest), given each batch's passes over the blocks: its prefill passes
// (prefillPrompts prompts each) and its maxNew steps.
func (c GPTConfig) perBatch(n, width, maxNew int, f func(passes uint64) uint64) uint64 {
	if n < 1 {
		return 0
	}
	batch := uint64(gptBatch(c, width, maxNew))
	pp := uint64(prefillPrompts(c.Embed, width))
	one := func(b uint64) uint64 { return f(satAdd((b+pp-1)/pp, uint64(maxNew))) }
	full, last := uint64(n)/batch, uint64(n)%batch
	sum := satMul(full, one(batch))
	if last > 0 {
		sum = satAdd(sum, one(last))
	}
	return sum
}

// gptBatch is how many prompts of width tokens decoded for maxNew tokens
// DecodeGPT decodes together: as many as their caches fit gptCacheBudget,
// at least one.
func gptBatch(c GPTConfig, width, maxNew int) int {
	return max(1, gptCacheBudget/max(2*c.Layers*c.Embed*(width+maxNew), 1))
}

func satMul(a, b uint64) uint64 {
	hi, lo := mbits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

func satAdd(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxUint64
}

// DecodeBytes is the most memory DecodeGPT holds, besides its output and
// the model's weights, decoding rows prompts of width tokens for maxNew new
// tokens each, in bytes: the logits of every prompt's last position until
// the output is written (rows × Vocab), one batch's key and value caches
// (at most gptBatch prompts, at most rows, of 2 · Layers · Embed ·
// (width + maxNew) values, a single prompt's however large) and the largest pass of the decoder over
// new positions (passValues). A provider's memory admission counts it per
// worker (jobexec: BidShape.ExecBytes).
func (c GPTConfig) DecodeBytes(rows, width, maxNew int) uint64 {
	perPrompt := satMul(satMul(2*uint64(max(c.Layers, 0)), uint64(max(c.Embed, 0))), uint64(max(width+maxNew, 0)))
	batch := uint64(gptBatch(c, width, maxNew))
	// A batch holds the caches of its prompts (gptDecoder.run), at most
	// rows: a whole batch's counted for a few short prompts admitted them at
	// 256 MiB (TestDecodeBytesOfAFewShortPromptsIsTheirs).
	caches := satMul(min(uint64(max(rows, 1)), batch), perPrompt)
	logits := satMul(uint64(max(rows, 0)), uint64(max(c.Vocab, 0)))
	return satMul(satAdd(satAdd(logits, caches), c.passValues(rows, width, batch)), 4)
}

// passValues is the most values one pass of the decoder over new positions
// holds (gptDecoder.positions and block): per position the residual stream
// and its host copy, a layer norm, q|k|v, the attention output and the
// 4·Embed-wide MLP activation with its projection (10 · Embed values) and
// its span (2), and per group (a prompt) its final row, the final layer
// norm and its logits. A decode step runs a batch's prompts at one position
// each; a prefill pass runs prefillPrompts prompts of width positions, one
// at least however wide. Counting a prefill pass as 5 × gptPrefillBudget
// missed both: 2^20 one-token prompts of a small model, one batch, held
// 840 MiB in a decode step where 344 MiB were admitted
// (TestAttackOneStepDecodeOfAWholeBatchOutgrowsDecodeBytes).
func (c GPTConfig) passValues(rows, width int, batch uint64) uint64 {
	e := uint64(max(c.Embed, 0))
	prompts := min(uint64(max(rows, 1)), batch)
	prefill := satMul(min(prompts, uint64(prefillPrompts(c.Embed, width))), uint64(max(width, 1)))
	positions := max(prompts, prefill)
	perPosition := satAdd(satMul(10, e), 2)
	perGroup := satAdd(uint64(max(c.Vocab, 0)), satMul(2, e))
	return satAdd(satMul(positions, perPosition), satMul(prompts, perGroup))
}

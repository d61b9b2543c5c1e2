package workload

import (
	"context"
	"fmt"
)

// gptCacheBudget bounds the key/value caches of one batch of prompts, in
// float32 values (256 MiB): prompts are decoded in batches that fit.
const gptCacheBudget = 64 << 20

// gptPrefillBudget bounds the residual stream of one prefill pass, in
// float32 values (16 MiB; the pass's MLP activations are four times that):
// a batch's prompts are prefilled in passes that fit, at least one prompt
// each.
const gptPrefillBudget = 4 << 20

// gptWeights are a model's tensors as kernel buffers.
type gptWeights struct {
	wte, lnfG, lnfB GPTBuffer
	blocks          []gptBlockBufs
}

type gptBlockBufs struct {
	ln1G, ln1B, attnW, attnB, projW, projB, ln2G, ln2B, fcW, fcB, outW, outB GPTBuffer
}

func (w *gptWeights) all() []GPTBuffer {
	out := []GPTBuffer{w.wte, w.lnfG, w.lnfB}
	for _, b := range w.blocks {
		out = append(out, b.ln1G, b.ln1B, b.attnW, b.attnB, b.projW, b.projB, b.ln2G, b.ln2B, b.fcW, b.fcB, b.outW, b.outB)
	}
	return out
}

func uploadGPT(k GPTKernels, m *GPTModel) (*gptWeights, error) {
	w := &gptWeights{}
	var err error
	up := func(v []float32) GPTBuffer {
		if err != nil {
			return nil
		}
		var b GPTBuffer
		b, err = k.Upload(v)
		return b
	}
	w.wte, w.lnfG, w.lnfB = up(m.WTE), up(m.LNFG), up(m.LNFB)
	for _, b := range m.Blocks {
		w.blocks = append(w.blocks, gptBlockBufs{
			ln1G: up(b.LN1G), ln1B: up(b.LN1B), attnW: up(b.AttnW), attnB: up(b.AttnB), projW: up(b.ProjW), projB: up(b.ProjB),
			ln2G: up(b.LN2G), ln2B: up(b.LN2B), fcW: up(b.FCW), fcB: up(b.FCB), outW: up(b.OutW), outB: up(b.OutB),
		})
	}
	if err != nil {
		k.Free(w.all()...)
		return nil, err
	}
	return w, nil
}

// gptSeq is one valid prompt being decoded: its output row, its tokens so
// far (prompt, then generated) and the logits of its last position.
type gptSeq struct {
	row    int
	tokens []int32
	logits []float32
}

// DecodeGPT decodes prompt rows [r0, r1) greedily for maxNew tokens with
// kernels k and returns their output rows (maxNew ids as float32, then the
// Vocab logits of the final position; an invalid prompt row gives −1s and
// canonical NaNs). Prompts are decoded in batches whose key/value caches fit
// gptCacheBudget; the bits do not depend on the batching, since every value
// of a position depends only on that position's row and the cached keys and
// values of earlier positions (docs/gpt-f32.md, "KV cache").
func DecodeGPT(ctx context.Context, k GPTKernels, m *GPTModel, prompts *TokenMatrix, r0, r1, maxNew int) ([]float32, error) {
	cfg := m.Config
	if r0 < 0 || r1 > prompts.Rows || r0 >= r1 {
		return nil, fmt.Errorf("%w: prompt rows [%d, %d) of %d", ErrShape, r0, r1, prompts.Rows)
	}
	if err := cfg.CheckDecode(prompts.Cols, maxNew); err != nil {
		return nil, err
	}
	cols := maxNew + cfg.Vocab
	out := make([]float32, (r1-r0)*cols)
	var seqs []*gptSeq
	for r := r0; r < r1; r++ {
		toks, ok := PromptTokens(prompts.Row(r), cfg.Vocab)
		if !ok {
			invalidRow(out[(r-r0)*cols:(r-r0+1)*cols], maxNew)
			continue
		}
		seqs = append(seqs, &gptSeq{row: r - r0, tokens: append(make([]int32, 0, len(toks)+maxNew), toks...)})
	}
	if len(seqs) == 0 {
		return out, nil
	}
	w, err := uploadGPT(k, m)
	if err != nil {
		return nil, err
	}
	defer k.Free(w.all()...)
	batch := gptBatch(cfg, prompts.Cols, maxNew)
	for i := 0; i < len(seqs); i += batch {
		d := &gptDecoder{ctx: ctx, k: k, m: m, w: w, width: prompts.Cols}
		if err := d.run(seqs[i:min(i+batch, len(seqs))], maxNew); err != nil {
			return nil, err
		}
	}
	for _, s := range seqs {
		row := out[s.row*cols : (s.row+1)*cols]
		for n := 0; n < maxNew; n++ {
			row[n] = float32(s.tokens[len(s.tokens)-maxNew+n])
		}
		for v, l := range s.logits {
			row[maxNew+v] = Canonical(l)
		}
	}
	return out, nil
}

// gptDecoder decodes one batch of sequences: slot s of the batch owns cache
// rows [s·T, (s+1)·T) of every layer's key and value caches.
type gptDecoder struct {
	ctx    context.Context
	k      GPTKernels
	m      *GPTModel
	w      *gptWeights
	kc, vc []GPTBuffer
	t      int // cache rows per slot
	width  int // the prompts' width (their matrix's columns)
}

func (d *gptDecoder) run(seqs []*gptSeq, maxNew int) (err error) {
	cfg := d.m.Config
	for _, s := range seqs {
		d.t = max(d.t, len(s.tokens)+maxNew)
	}
	defer func() { d.k.Free(append(d.kc, d.vc...)...) }()
	for l := 0; l < cfg.Layers; l++ {
		kc, err := d.k.Alloc(len(seqs) * d.t * cfg.Embed)
		if err != nil {
			return err
		}
		d.kc = append(d.kc, kc)
		vc, err := d.k.Alloc(len(seqs) * d.t * cfg.Embed)
		if err != nil {
			return err
		}
		d.vc = append(d.vc, vc)
	}
	if err := d.prefill(seqs); err != nil {
		return err
	}
	// Decode: every sequence takes its argmax and advances one position.
	slots := make([]int, len(seqs))
	toks := make([][]int32, len(seqs))
	pos := make([][]int, len(seqs))
	for n := 0; n < maxNew; n++ {
		for i, s := range seqs {
			s.tokens = append(s.tokens, int32(Argmax(s.logits)))
			slots[i], toks[i], pos[i] = i, s.tokens[len(s.tokens)-1:], []int{len(s.tokens) - 1}
		}
		logits, err := d.positions(slots, toks, pos)
		if err != nil {
			return err
		}
		v := cfg.Vocab
		for i, s := range seqs {
			s.logits = logits[i*v : (i+1)*v]
		}
	}
	return nil
}

// prefill runs every prompt's positions, in passes of up to prefillPrompts
// prompts, and keeps each prompt's last logits. One pass runs each kernel
// once for all its prompts: a kernel call's fixed cost (its launch, its
// allocations) is shared by the pass, not paid per prompt (the work the
// chain charges, GPTConfig.Work, counts the passes). The bits are those of
// one prompt at a time: every row depends only on its own position and its
// own slot's cache.
func (d *gptDecoder) prefill(seqs []*gptSeq) error {
	per := prefillPrompts(d.m.Config.Embed, d.width)
	for i := 0; i < len(seqs); i += per {
		pass := seqs[i:min(i+per, len(seqs))]
		slots := make([]int, len(pass))
		toks := make([][]int32, len(pass))
		pos := make([][]int, len(pass))
		for g, s := range pass {
			slots[g], toks[g], pos[g] = i+g, s.tokens, make([]int, len(s.tokens))
			for p := range pos[g] {
				pos[g][p] = p
			}
		}
		logits, err := d.positions(slots, toks, pos)
		if err != nil {
			return err
		}
		v := d.m.Config.Vocab
		for g, s := range pass {
			s.logits = logits[g*v : (g+1)*v]
		}
	}
	return nil
}

// prefillPrompts is how many prompts of width tokens one prefill pass runs:
// as many as keep the pass's residual stream within gptPrefillBudget values
// (its MLP activations four times that), at least one.
func prefillPrompts(embed, width int) int {
	return max(1, gptPrefillBudget/(embed*max(width, 1)))
}

// positions runs the model over new positions: for each group g, the tokens
// toks[g] at positions pos[g] of the sequence in slot slots[g]. It returns
// the logits of the last position of each group (groups × Vocab).
func (d *gptDecoder) positions(slots []int, toks [][]int32, pos [][]int) ([]float32, error) {
	if err := d.ctx.Err(); err != nil {
		return nil, err
	}
	cfg := d.m.Config
	e := cfg.Embed
	rows := 0
	for _, ts := range toks {
		rows += len(ts)
	}
	xs := make([]float32, rows*e)
	spans := make([]int32, 0, 2*rows)
	last := make([]int, 0, len(toks)) // row index of each group's last position
	for g, ts := range toks {
		for i, t := range ts {
			p := pos[g][i]
			embedRow(d.m, t, p, xs[len(spans)/2*e:][:e])
			spans = append(spans, int32(slots[g]*d.t), int32(p+1))
		}
		last = append(last, len(spans)/2-1)
	}
	x, err := d.k.Upload(xs)
	if err != nil {
		return nil, err
	}
	defer d.k.Free(x)
	sp, err := d.k.UploadInts(spans)
	if err != nil {
		return nil, err
	}
	defer d.k.Free(sp)
	for l := range d.w.blocks {
		if err := d.block(l, x, rows, sp); err != nil {
			return nil, fmt.Errorf("block %d: %w", l, err)
		}
	}
	final := make([]float32, len(last)*e)
	if err := d.downloadRows(x, last, final); err != nil {
		return nil, err
	}
	return d.logits(final, len(last))
}

// downloadRows copies rows rows of e values of x into dst, one Download per
// run of consecutive rows (a decode step's rows are one run).
func (d *gptDecoder) downloadRows(x GPTBuffer, rows []int, dst []float32) error {
	e := d.m.Config.Embed
	for g := 0; g < len(rows); {
		n := 1
		for g+n < len(rows) && rows[g+n] == rows[g]+n {
			n++
		}
		if err := d.k.Download(x, rows[g]*e, dst[g*e:(g+n)*e]); err != nil {
			return err
		}
		g += n
	}
	return nil
}

// embedRow sets x to wte[token] + wpe[position], element by element.
func embedRow(m *GPTModel, token int32, pos int, x []float32) {
	e := m.Config.Embed
	te := m.WTE[int(token)*e : (int(token)+1)*e]
	pe := m.WPE[pos*e : (pos+1)*e]
	for i := range x {
		x[i] = te[i] + pe[i]
	}
}

// block runs transformer block l on rows rows of x in place.
func (d *gptDecoder) block(l int, x GPTBuffer, rows int, spans GPTBuffer) error {
	k, b, cfg := d.k, d.w.blocks[l], d.m.Config
	e := cfg.Embed
	h, err := k.LayerNorm(x, rows, e, b.ln1G, b.ln1B)
	if err != nil {
		return err
	}
	qkv, err := k.Dense(d.ctx, h, rows, e, b.attnW, b.attnB, 3*e)
	k.Free(h)
	if err != nil {
		return err
	}
	defer k.Free(qkv)
	if err := k.StoreKV(qkv, rows, e, spans, d.kc[l], d.vc[l]); err != nil {
		return err
	}
	a, err := k.Attention(qkv, rows, cfg.Heads, cfg.HeadDim(), spans, d.kc[l], d.vc[l])
	if err != nil {
		return err
	}
	if err := d.residual(x, a, rows, e, b.projW, b.projB, e); err != nil {
		return err
	}
	if h, err = k.LayerNorm(x, rows, e, b.ln2G, b.ln2B); err != nil {
		return err
	}
	f, err := k.Dense(d.ctx, h, rows, e, b.fcW, b.fcB, 4*e)
	k.Free(h)
	if err != nil {
		return err
	}
	if err := k.GELU(f, rows*4*e); err != nil {
		k.Free(f)
		return err
	}
	return d.residual(x, f, rows, 4*e, b.outW, b.outB, e)
}

// residual adds Dense(in; w, bias) to x and frees in.
func (d *gptDecoder) residual(x, in GPTBuffer, rows, width int, w, bias GPTBuffer, out int) error {
	p, err := d.k.Dense(d.ctx, in, rows, width, w, bias, out)
	d.k.Free(in)
	if err != nil {
		return err
	}
	defer d.k.Free(p)
	return d.k.Add(x, p, rows*out)
}

// logits applies ln_f and the tied LM head to rows final rows. Logits in a
// HostBuffer are read in place, not copied: at a wide vocabulary and a
// narrow embedding, a copy of the row costs about as much as its products.
// Others are downloaded.
func (d *gptDecoder) logits(final []float32, rows int) ([]float32, error) {
	k, cfg := d.k, d.m.Config
	fx, err := k.Upload(final)
	if err != nil {
		return nil, err
	}
	defer k.Free(fx)
	h, err := k.LayerNorm(fx, rows, cfg.Embed, d.w.lnfG, d.w.lnfB)
	if err != nil {
		return nil, err
	}
	defer k.Free(h)
	lg, err := k.Dense(d.ctx, h, rows, cfg.Embed, d.w.wte, nil, cfg.Vocab)
	if err != nil {
		return nil, err
	}
	if host, ok := lg.(HostBuffer); ok && len(host) == rows*cfg.Vocab {
		return host, nil // host memory already: read in place, not copied
	}
	defer k.Free(lg)
	out := make([]float32, rows*cfg.Vocab)
	return out, k.Download(lg, 0, out)
}

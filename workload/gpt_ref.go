package workload

// The reference gpt-f32: the specification (docs/gpt-f32.md) as plainly as
// Go can say it, for clarity and not speed. It keeps no key/value cache:
// after each generated token the whole sequence is computed again from its
// tokens, so it also checks that a decoder's cache gives the bits of
// recomputation. Every fast implementation (DecodeGPT on any kernels) is
// tested against it.

// ReferenceGPTRows decodes every prompt row of prompts for maxNew tokens and
// returns the output rows of a gpt-f32 job.
func ReferenceGPTRows(m *GPTModel, prompts *TokenMatrix, maxNew int) []float32 {
	cols := maxNew + m.Config.Vocab
	out := make([]float32, prompts.Rows*cols)
	for r := 0; r < prompts.Rows; r++ {
		row := out[r*cols : (r+1)*cols]
		prompt, ok := PromptTokens(prompts.Row(r), m.Config.Vocab)
		if !ok {
			invalidRow(row, maxNew)
			continue
		}
		ids, logits := ReferenceGPT(m, prompt, maxNew)
		for n, id := range ids {
			row[n] = float32(id)
		}
		for v, l := range logits {
			row[maxNew+v] = Canonical(l)
		}
	}
	return out
}

// ReferenceGPT decodes one valid prompt greedily: it returns the maxNew
// generated token ids and the logits of the final position.
func ReferenceGPT(m *GPTModel, prompt []int32, maxNew int) (ids []int32, logits []float32) {
	seq := append([]int32(nil), prompt...)
	for {
		logits = referenceForward(m, seq)
		if len(ids) == maxNew {
			return ids, logits
		}
		next := int32(Argmax(logits))
		ids = append(ids, next)
		seq = append(seq, next)
	}
}

// referenceForward computes every position of seq through the model and
// returns the logits of the last one.
func referenceForward(m *GPTModel, seq []int32) []float32 {
	c := m.Config
	e, d := c.Embed, c.HeadDim()
	x := make([][]float32, len(seq))
	for t, tok := range seq {
		x[t] = make([]float32, e)
		embedRow(m, tok, t, x[t])
	}
	for _, b := range m.Blocks {
		// Attention: q, k, v of every position, then each position's
		// heads over the positions up to its own.
		qkv := make([][]float32, len(seq))
		for t := range seq {
			qkv[t] = referenceDense(referenceLayerNorm(x[t], b.LN1G, b.LN1B), b.AttnW, b.AttnB)
		}
		keys := make([]float32, 0, len(seq)*e)
		vals := make([]float32, 0, len(seq)*e)
		for t := range seq {
			keys = append(keys, qkv[t][e:2*e]...)
			vals = append(vals, qkv[t][2*e:]...)
		}
		for t := range seq {
			a := make([]float32, e)
			for h := 0; h < c.Heads; h++ {
				q := qkv[t][h*d : (h+1)*d]
				AttendHead(q, keys[h*d:], vals[h*d:], t+1, e, AttentionScale(d), make([]float32, t+1), a[h*d:(h+1)*d])
			}
			addInto(x[t], referenceDense(a, b.ProjW, b.ProjB))
		}
		// MLP: position by position.
		for t := range seq {
			f := referenceDense(referenceLayerNorm(x[t], b.LN2G, b.LN2B), b.FCW, b.FCB)
			for i := range f {
				f[i] = GELU32(f[i])
			}
			addInto(x[t], referenceDense(f, b.OutW, b.OutB))
		}
	}
	final := referenceLayerNorm(x[len(seq)-1], m.LNFG, m.LNFB)
	return referenceDense(final, m.WTE, nil)
}

// referenceDense is one row through a dense layer under the Dense rule: w
// holds one row of len(x) values per output.
func referenceDense(x, w, bias []float32) []float32 {
	out := len(w) / len(x)
	y := make([]float32, out)
	for o := range y {
		y[o] = Finish(dot(x, w[o*len(x):(o+1)*len(x)]), bias, o, false)
	}
	return y
}

func referenceLayerNorm(x, g, b []float32) []float32 {
	y := make([]float32, len(x))
	LayerNorm32(x, g, b, y)
	return y
}

// addInto is the residual connection: x[i] = x[i] + y[i].
func addInto(x, y []float32) {
	for i := range x {
		x[i] += y[i]
	}
}

package workload

import (
	"context"
	"errors"
	"math"
	"testing"
)

var tinyGPT = GPTConfig{Layers: 2, Heads: 4, Embed: 32, Vocab: 256, Context: 48}

func tinyGPTModel(t testing.TB) *GPTModel {
	t.Helper()
	m, err := RandomGPT(tinyGPT, 7)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tinyPrompts: rows of different lengths (padded with −1), one invalid row
// (a token past the vocabulary) and one empty row.
func tinyPrompts() *TokenMatrix {
	rows := [][]int32{
		{72, 101, 108, 108, 111},
		{1},
		{255, 0, 255, 0, 17, 3, 9, 200},
		{32, 300},
		{},
		{7, 7, 7},
		{100, 101, 102, 103, 104, 105, 106},
	}
	m := &TokenMatrix{Rows: len(rows), Cols: 8, Data: make([]int32, len(rows)*8)}
	for r, row := range rows {
		for c := 0; c < 8; c++ {
			m.Data[r*8+c] = PromptPad
			if c < len(row) {
				m.Data[r*8+c] = row[c]
			}
		}
	}
	return m
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %#08x, want %#08x", what, i, math.Float32bits(got[i]), math.Float32bits(want[i]))
		}
	}
}

// TestDecodeGPTMatchesReference: the cached, batched decoder gives the bits
// of the reference's recomputation, for the whole job and for every chunk
// computed alone (other batchings).
func TestDecodeGPTMatchesReference(t *testing.T) {
	m, p := tinyGPTModel(t), tinyPrompts()
	const maxNew = 9
	want := ReferenceGPTRows(m, p, maxNew)
	cols := maxNew + m.Config.Vocab
	got, err := DecodeGPT(context.Background(), KernelsFor(Reference{}), m, p, 0, p.Rows, maxNew)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "whole job", got, want)
	for r := 0; r < p.Rows; r++ {
		one, err := DecodeGPT(context.Background(), KernelsFor(Reference{}), m, p, r, r+1, maxNew)
		if err != nil {
			t.Fatal(err)
		}
		sameBits(t, "one row", one, want[r*cols:(r+1)*cols])
	}
	// Row 3 (token 300 ≥ vocab) and row 4 (empty) are invalid.
	for _, r := range []int{3, 4} {
		row := want[r*cols : (r+1)*cols]
		if row[0] != -1 || row[maxNew-1] != -1 || math.Float32bits(row[maxNew]) != CanonicalNaN {
			t.Fatalf("invalid row %d: %v", r, row[:maxNew+1])
		}
	}
	// Valid rows generate token ids within the vocabulary, and the last id
	// is the argmax of the previous position (not checked here), the final
	// logits are finite.
	for _, r := range []int{0, 1, 2, 5, 6} {
		for n := 0; n < maxNew; n++ {
			if id := want[r*cols+n]; id < 0 || id >= 256 || id != float32(int(id)) {
				t.Fatalf("row %d id %d = %v", r, n, id)
			}
		}
	}
}

func TestGPTJobChunks(t *testing.T) {
	m, p := tinyGPTModel(t), tinyPrompts()
	j, err := NewGPTJob(m, p, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if j.Rows() != 7 || j.Cols() != 260 || j.Kind() != KindGPT {
		t.Fatalf("job %d×%d %s", j.Rows(), j.Cols(), j.Kind())
	}
	chunks, err := ComputeChunks(context.Background(), j, Reference{})
	if err != nil {
		t.Fatal(err)
	}
	want := ReferenceGPTRows(m, p, 4)
	for i, c := range chunks {
		alone, err := ComputeChunk(context.Background(), j, Reference{}, i)
		if err != nil {
			t.Fatal(err)
		}
		if string(alone) != string(c) {
			t.Fatalf("chunk %d computed alone differs", i)
		}
		r0 := i * 3
		wantBytes := EncodeFloats(want[r0*260 : min(r0+3, 7)*260])
		if string(c) != string(wantBytes) {
			t.Fatalf("chunk %d differs from the reference", i)
		}
	}
	if _, err := NewGPTJob(m, p, 41, 3); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("8 + 41 tokens in a context of 48: %v", err)
	}
}

func TestGPTSafetensorsRoundTrip(t *testing.T) {
	m := tinyGPTModel(t)
	data, err := EncodeGPTSafetensors(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseGPTSafetensors(data, SHA256Hex(data), tinyGPT, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := EncodeGPTSafetensors(back)
	if err != nil || string(again) != string(data) {
		t.Fatalf("re-encoding differs (%v)", err)
	}
	p := tinyPrompts()
	sameBits(t, "parsed model", ReferenceGPTRows(back, p, 3), ReferenceGPTRows(m, p, 3))
	// Another config than the file's is refused.
	other := tinyGPT
	other.Context = 64
	if _, err := ParseGPTSafetensors(data, SHA256Hex(data), other, Limits{}); !errors.Is(err, ErrShape) {
		t.Fatalf("wrong context: %v", err)
	}
	other = tinyGPT
	other.Layers = 3
	if _, err := ParseGPTSafetensors(data, SHA256Hex(data), other, Limits{}); !errors.Is(err, ErrLayers) {
		t.Fatalf("missing layer: %v", err)
	}
	other.Layers = 1
	if _, err := ParseGPTSafetensors(data, SHA256Hex(data), other, Limits{}); !errors.Is(err, ErrUnknownTensor) {
		t.Fatalf("extra layer: %v", err)
	}
}

// TestGPTMaskBuffersIgnored: GPT-2 exports' h.{i}.attn.bias buffers are
// accepted and change nothing.
func TestGPTMaskBuffersIgnored(t *testing.T) {
	m := tinyGPTModel(t)
	var ts []stTensor
	for _, tt := range m.tensors() {
		v := *tt.dst
		if tt.transpose {
			v, _ = Transpose(v, tt.shape[1], tt.shape[0])
		}
		ts = append(ts, stTensor{tt.name, tt.shape, v})
	}
	ts = append(ts, stTensor{"h.0.attn.bias", []int{1, 1, 4, 4}, make([]float32, 16)}, stTensor{"h.1.attn.masked_bias", []int{}, []float32{-1e4}})
	data, err := encodeSafetensors(nil, ts)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseGPTSafetensors(data, SHA256Hex(data), tinyGPT, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "with mask buffers", back.WTE, m.WTE)
	ts = append(ts, stTensor{"h.2.attn.bias", []int{1}, []float32{0}})
	if data, err = encodeSafetensors(nil, ts); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseGPTSafetensors(data, SHA256Hex(data), tinyGPT, Limits{}); !errors.Is(err, ErrUnknownTensor) {
		t.Fatalf("mask buffer of a layer that does not exist: %v", err)
	}
}

func TestGPTConfigBounds(t *testing.T) {
	for _, c := range []GPTConfig{
		{0, 1, 8, 16, 8}, {1, 3, 8, 16, 8}, {1, 1, 512, 16, 8}, {1, 1, 8, 1, 8}, {1, 1, 8, 16, 0}, {1, 1, 8, 16, 4097},
		{65, 1, 8, 16, 8}, {1, 1, 8, MaxGPTVocab + 1, 8},
	} {
		if err := c.Validate(); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("%+v accepted: %v", c, err)
		}
	}
	gpt2 := GPTConfig{Layers: 12, Heads: 12, Embed: 768, Vocab: 50257, Context: 1024}
	if err := gpt2.Validate(); err != nil {
		t.Fatal(err)
	}
	if p := gpt2.Params(); p != 124439808 {
		t.Fatalf("GPT-2 small has %d parameters, want 124439808", p)
	}
	// One prompt of 1 token, no new token: 12 layers × 12·768² + 12·768·2 + 50257·768.
	if got, want := gpt2.MulAdds(1, 0), uint64(12*12*768*768+12*768*2+50257*768); got != want {
		t.Fatalf("MulAdds %d, want %d", got, want)
	}
	if gpt2.MulAdds(1<<62, 1) != math.MaxUint64 {
		t.Fatal("MulAdds does not saturate")
	}
	// Work charges the products and more; a job is the sum of its chunks
	// (one prompt each here), a chunk of one prompt that prompt and its
	// chunk's weights and calls.
	one := gpt2.Work(1, 1024, nil, 0, 1)
	if one.Job != one.Chunk || one.Chunk <= gpt2.MulAdds(1024, 0)+gpt2.Params() {
		t.Fatalf("GPT-2 over its context: %+v, products %d", one, gpt2.MulAdds(1024, 0))
	}
	if three := gpt2.Work(3, 1024, nil, 0, 1); three.Job != 3*one.Job || three.Chunk != one.Chunk {
		t.Fatalf("three prompts in chunks of one: %+v, one: %+v", three, one)
	}
	if w := gpt2.Work(1, 1<<62, nil, 1, 1); w.Job != math.MaxUint64 || w.Chunk != math.MaxUint64 {
		t.Fatalf("Work does not saturate: %+v", w)
	}
}

func TestPromptTokens(t *testing.T) {
	for _, c := range []struct {
		row []int32
		n   int
		ok  bool
	}{
		{[]int32{1, 2, -1, -1}, 2, true}, {[]int32{1, 2, 3}, 3, true}, {[]int32{-1, -1}, 0, false},
		{[]int32{1, -1, 2}, 0, false}, {[]int32{1, 16}, 0, false}, {[]int32{-2}, 0, false},
	} {
		p, ok := PromptTokens(c.row, 16)
		if ok != c.ok || (ok && len(p) != c.n) {
			t.Errorf("%v: %v %v", c.row, p, ok)
		}
	}
}

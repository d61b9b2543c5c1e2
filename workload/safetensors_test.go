package workload

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func tinyModel() *Model {
	return &Model{Layers: []Layer{
		{In: 2, Out: 3, Weight: []float32{1, 0, 0, 1, 1, -1}, Bias: []float32{0, 0, -10}},
		{In: 3, Out: 1, Weight: []float32{1, 2, 3}},
	}}
}

// stFile builds a safetensors file from a literal JSON header and a buffer.
func stFile(hdr string, buf []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	return append(append(out, hdr...), buf...)
}

func parseST(data []byte, lim Limits) (*Model, error) {
	return ParseSafetensors(data, SHA256Hex(data), lim)
}

func TestSafetensorsRoundTrip(t *testing.T) {
	m := tinyModel()
	m.Metadata = map[string]string{"format": "pt", "a": "b"}
	b, err := EncodeSafetensors(m)
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.LittleEndian.Uint64(b); n%8 != 0 {
		t.Fatalf("header length %d not padded to 8", n)
	}
	got, err := parseST(b, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Layers) != 2 || got.Metadata["format"] != "pt" {
		t.Fatalf("decoded %+v", got)
	}
	for i := range m.Layers {
		expectBits(t, got.Layers[i].Weight, m.Layers[i].Weight)
		if (got.Layers[i].Bias == nil) != (m.Layers[i].Bias == nil) {
			t.Fatalf("layer %d bias presence differs", i)
		}
		expectBits(t, got.Layers[i].Bias, m.Layers[i].Bias)
	}
	again, _ := EncodeSafetensors(got)
	if string(again) != string(b) {
		t.Fatal("encoding is not deterministic")
	}
	// A header written by another tool: other key order, spaces, padding.
	buf := EncodeFloats([]float32{2, 3})
	other := stFile(`{ "layers.0.bias" : {"shape":[1], "data_offsets":[4,8], "dtype":"F32"}, "layers.0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]}}   `, buf)
	om, err := parseST(other, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	y, err := om.Forward(context.Background(), Reference{}, []float32{5}, 1)
	if err != nil {
		t.Fatal(err)
	}
	expectBits(t, y, []float32{13})
}

func TestSafetensorsRefused(t *testing.T) {
	w := func(i, out, in, b, e int) string {
		return fmt.Sprintf(`"layers.%d.weight":{"dtype":"F32","shape":[%d,%d],"data_offsets":[%d,%d]}`, i, out, in, b, e)
	}
	bias := func(i, out, b, e int) string {
		return fmt.Sprintf(`"layers.%d.bias":{"dtype":"F32","shape":[%d],"data_offsets":[%d,%d]}`, i, out, b, e)
	}
	obj := func(entries ...string) string { return "{" + strings.Join(entries, ",") + "}" }
	buf := func(n int) []byte { return make([]byte, 4*n) }
	nanBuf := buf(4)
	binary.LittleEndian.PutUint32(nanBuf[4:], 0x7F800001)
	good := stFile(obj(w(0, 2, 2, 0, 16)), buf(4))
	if _, err := parseST(good, Limits{}); err != nil {
		t.Fatalf("baseline refused: %v", err)
	}
	cases := []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"empty", nil, Limits{}, ErrMalformed},
		{"short length", []byte{1, 0, 0}, Limits{}, ErrMalformed},
		{"header length past end", stFile(obj(w(0, 2, 2, 0, 16)), nil)[:20], Limits{}, ErrMalformed},
		{"huge header length", append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, good[8:]...), Limits{}, ErrTooLarge},
		{"header limit", good, Limits{MaxHeaderBytes: 16}, ErrTooLarge},
		{"file limit", good, Limits{MaxFileBytes: 16}, ErrTooLarge},
		{"not an object", stFile(`[1,2]`, nil), Limits{}, ErrMalformed},
		{"empty header", stFile(``, nil), Limits{}, ErrMalformed},
		{"leading space", stFile(" "+obj(w(0, 2, 2, 0, 16)), buf(4)), Limits{}, ErrMalformed},
		{"bad json", stFile(`{"layers.0.weight":{`, buf(4)), Limits{}, ErrMalformed},
		{"trailing json", stFile(obj(w(0, 2, 2, 0, 16))+"{}", buf(4)), Limits{}, ErrMalformed},
		{"invalid utf8", stFile("{\"\xff\":1}", nil), Limits{}, ErrMalformed},
		{"no tensors", stFile(`{}`, nil), Limits{}, ErrLayers},
		{"only metadata", stFile(`{"__metadata__":{"a":"b"}}`, nil), Limits{}, ErrLayers},
		{"bad metadata", stFile(obj(`"__metadata__":{"a":1}`, w(0, 2, 2, 0, 16)), buf(4)), Limits{}, ErrMalformed},
		{"null metadata", stFile(obj(`"__metadata__":null`, w(0, 2, 2, 0, 16)), buf(4)), Limits{}, ErrMalformed},
		{"duplicate tensor", stFile(obj(w(0, 2, 2, 0, 16), w(0, 2, 2, 0, 16)), buf(4)), Limits{}, ErrMalformed},
		{"duplicate field", stFile(`{"layers.0.weight":{"dtype":"F32","dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}`, buf(4)), Limits{}, ErrMalformed},
		{"unknown field", stFile(`{"layers.0.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16],"x":1}}`, buf(4)), Limits{}, ErrMalformed},
		{"missing field", stFile(`{"layers.0.weight":{"dtype":"F32","shape":[2,2]}}`, buf(4)), Limits{}, ErrMalformed},
		{"unknown tensor", stFile(obj(w(0, 2, 2, 0, 16), `"extra":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}`), buf(5)), Limits{}, ErrUnknownTensor},
		{"unknown suffix", stFile(`{"layers.0.gamma":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, buf(1)), Limits{}, ErrUnknownTensor},
		{"leading zero index", stFile(`{"layers.00.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]}}`, buf(1)), Limits{}, ErrUnknownTensor},
		{"signed index", stFile(`{"layers.+0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]}}`, buf(1)), Limits{}, ErrUnknownTensor},
		{"huge index", stFile(`{"layers.99999999999999999999.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]}}`, buf(1)), Limits{}, ErrTooLarge},
		{"other double underscore", stFile(obj(`"__extra__":{}`, w(0, 2, 2, 0, 16)), buf(4)), Limits{}, ErrUnknownTensor},
		{"F16", stFile(`{"layers.0.weight":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]}}`, make([]byte, 8)), Limits{}, ErrUnsupported},
		{"weight rank 1", stFile(`{"layers.0.weight":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, buf(4)), Limits{}, ErrShape},
		{"bias rank 2", stFile(obj(w(0, 2, 2, 0, 16), `"layers.0.bias":{"dtype":"F32","shape":[2,1],"data_offsets":[16,24]}`), buf(6)), Limits{}, ErrShape},
		{"zero dim", stFile(`{"layers.0.weight":{"dtype":"F32","shape":[0,2],"data_offsets":[0,0]}}`, nil), Limits{}, ErrShape},
		{"negative dim", stFile(`{"layers.0.weight":{"dtype":"F32","shape":[-1,2],"data_offsets":[0,8]}}`, buf(2)), Limits{}, ErrMalformed},
		{"fractional offset", stFile(`{"layers.0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4.0]}}`, buf(1)), Limits{}, ErrMalformed},
		{"element limit", good, Limits{MaxElements: 3}, ErrTooLarge},
		{"dims overflow", stFile(`{"layers.0.weight":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, buf(1)), Limits{}, ErrTooLarge},
		{"offsets size mismatch", stFile(obj(w(0, 2, 2, 0, 12)), buf(3)), Limits{}, ErrMalformed},
		{"offsets reversed", stFile(obj(w(0, 2, 2, 16, 0)), buf(4)), Limits{}, ErrMalformed},
		{"offsets three values", stFile(`{"layers.0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4,8]}}`, buf(1)), Limits{}, ErrMalformed},
		{"out of bounds", stFile(obj(w(0, 2, 2, 4, 20)), buf(4)), Limits{}, ErrMalformed},
		{"overlap", stFile(obj(w(0, 2, 2, 0, 16), bias(0, 2, 8, 16)), buf(4)), Limits{}, ErrMalformed},
		{"hole", stFile(obj(w(0, 2, 2, 0, 16), bias(0, 2, 20, 28)), buf(7)), Limits{}, ErrMalformed},
		{"trailing bytes", stFile(obj(w(0, 2, 2, 0, 16)), buf(5)), Limits{}, ErrMalformed},
		{"layer gap", stFile(obj(w(0, 2, 2, 0, 16), w(2, 2, 2, 16, 32)), buf(8)), Limits{}, ErrLayers},
		{"no layer 0", stFile(obj(w(1, 2, 2, 0, 16)), buf(4)), Limits{}, ErrLayers},
		{"bias without weight", stFile(obj(w(0, 2, 2, 0, 16), bias(1, 2, 16, 24)), buf(6)), Limits{}, ErrLayers},
		{"bias length", stFile(obj(w(0, 2, 2, 0, 16), bias(0, 3, 16, 28)), buf(7)), Limits{}, ErrLayers},
		{"chain mismatch", stFile(obj(w(0, 2, 2, 0, 16), w(1, 1, 3, 16, 28)), buf(7)), Limits{}, ErrLayers},
		{"NaN weight", stFile(obj(w(0, 2, 2, 0, 16)), nanBuf), Limits{}, ErrNonFinite},
		{"tensor limit", stFile(obj(w(0, 2, 2, 0, 16), w(1, 2, 2, 16, 32)), buf(8)), Limits{MaxTensors: 1}, ErrTooLarge},
	}
	for _, c := range cases {
		if _, err := parseST(c.data, c.lim); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := ParseSafetensors(good, SHA256Hex(good[1:]), Limits{}); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("wrong digest: %v", err)
	}
	if _, err := ParseSafetensors(good, "", Limits{}); !errors.Is(err, ErrBadDigest) {
		t.Errorf("empty digest: %v", err)
	}
	bad := tinyModel()
	bad.Layers[1].In = 2
	if _, err := EncodeSafetensors(bad); !errors.Is(err, ErrLayers) {
		t.Errorf("EncodeSafetensors of an inconsistent model: %v", err)
	}
	if _, err := EncodeSafetensors(&Model{}); !errors.Is(err, ErrLayers) {
		t.Errorf("EncodeSafetensors of an empty model: %v", err)
	}
}

func TestMLPForwardHandChecked(t *testing.T) {
	m := tinyModel()
	// Row (2, 5): layer 0 = (2, 5, 2-5-10 = -13) → ReLU (2, 5, 0);
	// layer 1 = 2 + 10 + 0 = 12, no ReLU after the last layer.
	// Row (-1, -2): layer 0 = (-1, -2, 1-10 = -9) → ReLU (0, 0, 0); layer 1 = 0.
	// Row (4, 1): layer 0 = (4, 1, 3-10=-7) → (4, 1, 0); layer 1 = 6.
	y, err := m.Forward(context.Background(), Reference{}, []float32{2, 5, -1, -2, 4, 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	expectBits(t, y, []float32{12, 0, 6})
	neg := &Model{Layers: []Layer{{In: 1, Out: 1, Weight: []float32{-1}}}}
	y, _ = neg.Forward(context.Background(), Reference{}, []float32{3}, 1)
	expectBits(t, y, []float32{-3}) // no ReLU after the last layer
	if _, err := m.Forward(context.Background(), Reference{}, []float32{1, 2, 3}, 2); !errors.Is(err, ErrShape) {
		t.Fatalf("short input: %v", err)
	}
	d := &Matrix{Rows: 3, Cols: 2, Data: []float32{2, 5, -1, -2, 4, 1}}
	j, err := NewMLPJob(m, d, 2)
	if err != nil {
		t.Fatal(err)
	}
	c1, err := ComputeChunk(context.Background(), j, Reference{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(c1) != string(EncodeFloats([]float32{6})) {
		t.Fatalf("chunk 1 = %x", c1)
	}
	if _, err := NewMLPJob(m, &Matrix{Rows: 1, Cols: 3, Data: make([]float32, 3)}, 2); !errors.Is(err, ErrShape) {
		t.Fatalf("column mismatch: %v", err)
	}
	if _, err := NewMLPJob(m, d, 0); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("chunk_rows 0: %v", err)
	}
}

func FuzzParseSafetensors(f *testing.F) {
	m := tinyModel()
	m.Metadata = map[string]string{"k": "v"}
	good, _ := EncodeSafetensors(m)
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add(stFile(`{"layers.0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(stFile(`{"layers.0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"layers.0.bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add([]byte{8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseSafetensors(data, SHA256Hex(data), Limits{MaxFileBytes: 1 << 20, MaxElements: 1 << 16})
		if err != nil {
			if got != nil {
				t.Fatal("model returned with an error")
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("accepted an invalid model: %v", err)
		}
		enc, err := EncodeSafetensors(got)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseSafetensors(enc, SHA256Hex(enc), Limits{}); err != nil {
			t.Fatalf("re-encoded model refused: %v", err)
		}
	})
}

// FuzzParseGPTSafetensors: a gpt-f32 model's file is its creator's, who
// also writes its sha256 on chain, so every verifier's sidecar parses
// whatever bytes the creator chose. The parser refuses or returns a model
// that validates and re-encodes to a file it takes again; it never panics.
func FuzzParseGPTSafetensors(f *testing.F) {
	cfg := GPTConfig{Layers: 1, Heads: 2, Embed: 4, Vocab: 3, Context: 2}
	m, err := RandomGPT(cfg, 3)
	if err != nil {
		f.Fatal(err)
	}
	good, err := EncodeGPTSafetensors(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-5])
	f.Add(stFile(`{"h.0.attn.bias":{"dtype":"F32","shape":[1,1,2,2],"data_offsets":[0,16]}}`, make([]byte, 16)))
	f.Add(stFile(`{"wte.weight":{"dtype":"F32","shape":[3,4,1],"data_offsets":[0,48]}}`, make([]byte, 48)))
	lim := Limits{MaxFileBytes: 1 << 20, MaxElements: 1 << 16}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseGPTSafetensors(data, SHA256Hex(data), cfg, lim)
		if err != nil {
			if got != nil {
				t.Fatal("model returned with an error")
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("accepted an invalid model: %v", err)
		}
		enc, err := EncodeGPTSafetensors(got)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseGPTSafetensors(enc, SHA256Hex(enc), cfg, Limits{}); err != nil {
			t.Fatalf("re-encoded model refused: %v", err)
		}
	})
}

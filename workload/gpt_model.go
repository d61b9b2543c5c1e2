package workload

import (
	"fmt"
	"strconv"
	"strings"
)

// GPTBlock is one transformer block. The dense weights are held in the
// Dense layout, one row per output ([out, in]): GPT-2's files store them
// transposed ([in, out], its Conv1D), and the parser transposes them. The
// arithmetic does not depend on the layout: y[o] = Σ_i x[i]·W[i][o] in
// index order of i.
type GPTBlock struct {
	LN1G, LN1B []float32 // ln_1: [E]
	AttnW      []float32 // attn.c_attn: [3E, E]
	AttnB      []float32 // [3E]
	ProjW      []float32 // attn.c_proj: [E, E]
	ProjB      []float32 // [E]
	LN2G, LN2B []float32 // ln_2: [E]
	FCW        []float32 // mlp.c_fc: [4E, E]
	FCB        []float32 // [4E]
	OutW       []float32 // mlp.c_proj: [E, 4E]
	OutB       []float32 // [E]
}

// GPTModel is a gpt-f32 model: GPT-2's architecture with the LM head tied to
// the token embedding.
type GPTModel struct {
	Config GPTConfig
	WTE    []float32 // wte: [V, E], also the LM head
	WPE    []float32 // wpe: [C, E]
	Blocks []GPTBlock
	LNFG   []float32 // ln_f: [E]
	LNFB   []float32
	// Metadata is the safetensors "__metadata__" map; it does not affect
	// computation.
	Metadata map[string]string
}

// gptTensor is one tensor of a GPT-2 safetensors file: its name, its shape
// in the file, where the model keeps it and whether the file stores it
// transposed ([in, out]).
type gptTensor struct {
	name      string
	shape     []int
	dst       *[]float32
	transpose bool
}

// tensors lists the model's tensors in the order EncodeGPTSafetensors
// writes them.
func (m *GPTModel) tensors() []gptTensor {
	c := m.Config
	e, v := c.Embed, c.Vocab
	out := []gptTensor{{"wte.weight", []int{v, e}, &m.WTE, false}, {"wpe.weight", []int{c.Context, e}, &m.WPE, false}}
	for i := range m.Blocks {
		b := &m.Blocks[i]
		p := "h." + strconv.Itoa(i) + "."
		out = append(out,
			gptTensor{p + "ln_1.weight", []int{e}, &b.LN1G, false},
			gptTensor{p + "ln_1.bias", []int{e}, &b.LN1B, false},
			gptTensor{p + "attn.c_attn.weight", []int{e, 3 * e}, &b.AttnW, true},
			gptTensor{p + "attn.c_attn.bias", []int{3 * e}, &b.AttnB, false},
			gptTensor{p + "attn.c_proj.weight", []int{e, e}, &b.ProjW, true},
			gptTensor{p + "attn.c_proj.bias", []int{e}, &b.ProjB, false},
			gptTensor{p + "ln_2.weight", []int{e}, &b.LN2G, false},
			gptTensor{p + "ln_2.bias", []int{e}, &b.LN2B, false},
			gptTensor{p + "mlp.c_fc.weight", []int{e, 4 * e}, &b.FCW, true},
			gptTensor{p + "mlp.c_fc.bias", []int{4 * e}, &b.FCB, false},
			gptTensor{p + "mlp.c_proj.weight", []int{4 * e, e}, &b.OutW, true},
			gptTensor{p + "mlp.c_proj.bias", []int{e}, &b.OutB, false},
		)
	}
	return append(out, gptTensor{"ln_f.weight", []int{e}, &m.LNFG, false}, gptTensor{"ln_f.bias", []int{e}, &m.LNFB, false})
}

func elems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Validate checks the configuration and every tensor's length.
func (m *GPTModel) Validate() error {
	if m == nil {
		return fmt.Errorf("%w: nil gpt model", ErrLayers)
	}
	if err := m.Config.Validate(); err != nil {
		return err
	}
	if len(m.Blocks) != m.Config.Layers {
		return fmt.Errorf("%w: gpt model has %d blocks, config says %d", ErrLayers, len(m.Blocks), m.Config.Layers)
	}
	for _, t := range m.tensors() {
		if len(*t.dst) != elems(t.shape) {
			return fmt.Errorf("%w: gpt tensor %s has %d values, want %d", ErrLayers, t.name, len(*t.dst), elems(t.shape))
		}
	}
	return nil
}

// EncodeGPTSafetensors encodes m as a GPT-2 safetensors file: GPT-2's tensor
// names, F32, the dense weights transposed back to [in, out], in the order
// of GPTModel.tensors.
func EncodeGPTSafetensors(m *GPTModel) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	var ts []stTensor
	for _, t := range m.tensors() {
		v := *t.dst
		if t.transpose {
			var err error
			if v, err = Transpose(v, t.shape[1], t.shape[0]); err != nil {
				return nil, err
			}
		}
		ts = append(ts, stTensor{t.name, t.shape, v})
	}
	return encodeSafetensors(m.Metadata, ts)
}

// ParseGPTSafetensors checks data against the expected SHA-256 (hex), then
// decodes a GPT-2 safetensors model of configuration cfg (from the model's
// on-chain record). Every tensor of the architecture must be present, F32,
// with exactly cfg's shape, and finite; the causal-mask buffers some GPT-2
// exports carry (h.{i}.attn.bias, h.{i}.attn.masked_bias) are accepted and
// ignored, since the mask is part of the architecture; any other name is
// refused (ErrUnknownTensor). The container rules are ParseSafetensors'.
func ParseGPTSafetensors(data []byte, expectedSHA256 string, cfg GPTConfig, lim Limits) (*GPTModel, error) {
	if err := checkFileSize(data, lim.withDefaults()); err != nil {
		return nil, err
	}
	f, err := CheckFile(data, expectedSHA256)
	if err != nil {
		return nil, err
	}
	return ParseCheckedGPTSafetensors(f, cfg, lim)
}

// ParseCheckedGPTSafetensors is ParseGPTSafetensors of a file already
// checked against its sha256, which it does not hash again.
func ParseCheckedGPTSafetensors(f Checked, cfg GPTConfig, lim Limits) (*GPTModel, error) {
	lim = lim.withDefaults()
	data := f.data
	if err := checkFileSize(data, lim); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &GPTModel{Config: cfg, Blocks: make([]GPTBlock, cfg.Layers)}
	want := map[string]gptTensor{}
	for _, t := range m.tensors() {
		want[t.name] = t
	}
	classify := func(name string, _ Limits) (*namedTensor, error) {
		if t, ok := want[name]; ok {
			return &namedTensor{name: name, rank: len(t.shape)}, nil
		}
		if isMaskBuffer(name, cfg.Layers) {
			return &namedTensor{name: name, layer: -1}, nil
		}
		return nil, fmt.Errorf("%w: %q is not a tensor of a %d-layer GPT-2 model", ErrUnknownTensor, name, cfg.Layers)
	}
	meta, tensors, buf, err := readSafetensors(data, lim, classify)
	if err != nil {
		return nil, err
	}
	if err := m.fill(tensors, buf, want); err != nil {
		return nil, err
	}
	m.Metadata = meta
	return m, m.Validate()
}

// fill decodes the tensors the model needs into m.
func (m *GPTModel) fill(tensors []*namedTensor, buf []byte, want map[string]gptTensor) error {
	seen := 0
	for _, nt := range tensors {
		t, ok := want[nt.name]
		if !ok {
			continue // a mask buffer
		}
		for i, d := range nt.info.Shape {
			if d != uint64(t.shape[i]) {
				return fmt.Errorf("%w: gpt tensor %s has shape %v, the config needs %v", ErrShape, t.name, nt.info.Shape, t.shape)
			}
		}
		v, err := decodeFinite(buf[nt.info.DataOffsets[0]:nt.info.DataOffsets[1]], nt.name)
		if err != nil {
			return err
		}
		if t.transpose {
			if v, err = Transpose(v, t.shape[0], t.shape[1]); err != nil {
				return err
			}
		}
		*t.dst = v
		seen++
	}
	if seen != len(want) {
		for name, t := range want {
			if *t.dst == nil {
				return fmt.Errorf("%w: gpt tensor %s is missing", ErrLayers, name)
			}
		}
	}
	return nil
}

// isMaskBuffer reports whether name is h.{i}.attn.bias or
// h.{i}.attn.masked_bias for a layer i < layers.
func isMaskBuffer(name string, layers int) bool {
	rest, ok := strings.CutPrefix(name, "h.")
	if !ok {
		return false
	}
	idx, kind, ok := strings.Cut(rest, ".")
	if !ok || (kind != "attn.bias" && kind != "attn.masked_bias") {
		return false
	}
	i, err := strconv.Atoi(idx)
	return err == nil && i >= 0 && i < layers && strconv.Itoa(i) == idx
}

// RandomGPT returns a model of configuration cfg with weights drawn from
// one SplitMix64 stream of state seed, tensor after tensor in the order of
// the safetensors file, each value in the file's layout: u = UnitFloat(next)
// and the value float32(u·scale) with the scale of the tensor's role — ln
// gains 1 + float32(u·0.125), ln biases and dense biases u·0.125, wte and
// wpe u·0.25, a dense weight with n inputs u·(2/√n) (1/√n rounded as in
// AttentionScale, then doubled: exact). Small embeddings and strong blocks
// keep the tied LM head from echoing the last token. Used for the example,
// test and benchmark models.
func RandomGPT(cfg GPTConfig, seed uint64) (*GPTModel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &GPTModel{Config: cfg, Blocks: make([]GPTBlock, cfg.Layers), Metadata: map[string]string{
		"architecture": KindGPT, "layers": strconv.Itoa(cfg.Layers), "heads": strconv.Itoa(cfg.Heads),
		"embed": strconv.Itoa(cfg.Embed), "vocab": strconv.Itoa(cfg.Vocab), "context": strconv.Itoa(cfg.Context),
		"seed": strconv.FormatUint(seed, 10),
	}}
	g := SplitMix64{State: seed}
	for _, t := range m.tensors() {
		v := make([]float32, elems(t.shape))
		gain := strings.HasSuffix(t.name, "ln_1.weight") || strings.HasSuffix(t.name, "ln_2.weight") || t.name == "ln_f.weight"
		var scale float32
		switch {
		case t.name == "wte.weight" || t.name == "wpe.weight":
			scale = 0.25
		case len(t.shape) == 2:
			scale = 2 * AttentionScale(t.shape[0]) // file layout [in, out]: n = in
		default:
			scale = 0.125
		}
		for i := range v {
			v[i] = float32(UnitFloat(g.Next()) * scale)
			if gain {
				v[i] = 1 + v[i]
			}
		}
		if t.transpose {
			var err error
			if v, err = Transpose(v, t.shape[0], t.shape[1]); err != nil {
				return nil, err
			}
		}
		*t.dst = v
	}
	return m, nil
}

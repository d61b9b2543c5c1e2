package workload

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Layer is one dense layer of a model: y = x·Weightᵀ + Bias.
type Layer struct {
	In, Out int
	// Weight is Out×In, row-major (safetensors shape [out, in]).
	Weight []float32
	// Bias has Out values, or is nil for a layer without bias.
	Bias []float32
}

// Model is a multi-layer perceptron: the layers in order, ReLU between
// layers and none after the last.
type Model struct {
	Layers []Layer
	// Metadata is the safetensors "__metadata__" map (string to string).
	// It does not affect computation.
	Metadata map[string]string
}

// Validate checks every layer's shapes and that the dimensions chain.
func (m *Model) Validate() error {
	if m == nil || len(m.Layers) == 0 {
		return fmt.Errorf("%w: model has no layers", ErrLayers)
	}
	for i, l := range m.Layers {
		if l.In < 1 || l.Out < 1 || l.Out > MaxDenseElements/l.In || len(l.Weight) != l.In*l.Out {
			return fmt.Errorf("%w: layer %d weight has %d values for [%d, %d]", ErrLayers, i, len(l.Weight), l.Out, l.In)
		}
		if l.Bias != nil && len(l.Bias) != l.Out {
			return fmt.Errorf("%w: layer %d bias has %d values, want %d", ErrLayers, i, len(l.Bias), l.Out)
		}
		if i > 0 && l.In != m.Layers[i-1].Out {
			return fmt.Errorf("%w: layer %d input %d does not match layer %d output %d", ErrLayers, i, l.In, i-1, m.Layers[i-1].Out)
		}
	}
	return nil
}

// InputDim returns the first layer's input size.
func (m *Model) InputDim() int { return m.Layers[0].In }

// OutputDim returns the last layer's output size.
func (m *Model) OutputDim() int { return m.Layers[len(m.Layers)-1].Out }

// Forward runs rows input rows x (rows×InputDim) through the model with
// backend b and returns rows×OutputDim outputs.
func (m *Model) Forward(ctx context.Context, b Backend, x []float32, rows int) ([]float32, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if rows < 1 || len(x) != rows*m.InputDim() {
		return nil, fmt.Errorf("%w: %d input values for %d rows of %d", ErrShape, len(x), rows, m.InputDim())
	}
	for i, l := range m.Layers {
		y, err := b.Dense(ctx, x, rows, l.In, l.Weight, l.Bias, l.Out, i < len(m.Layers)-1)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		if len(y) != rows*l.Out {
			return nil, fmt.Errorf("%w: backend %s returned %d values for layer %d", ErrShape, b.Name(), len(y), i)
		}
		x = y
	}
	return x, nil
}

// ParseSafetensors checks data against the expected SHA-256 (hex), then
// decodes a safetensors model.
//
// Format: an 8-byte little-endian header length N, an N-byte JSON object
// (UTF-8, starting with '{', optionally padded with trailing spaces), then
// the data buffer. Policy, all refused before any value is used:
//   - every tensor must be named layers.{i}.weight or layers.{i}.bias with i
//     a canonical decimal (no leading zeros); any other name (except the
//     optional "__metadata__" object of string values) is an unknown tensor
//     and refused (ErrUnknownTensor);
//   - dtype must be "F32"; weights are [out, in], biases [out], all
//     dimensions positive;
//   - layers 0..L-1 must all have a weight (no gaps); a bias is optional (a
//     layer without bias adds nothing); consecutive dimensions must chain;
//   - data_offsets [begin, end) must be exactly 4·elements long, must not
//     overlap, and must tile the data buffer exactly (no holes, no trailing
//     bytes);
//   - duplicate JSON keys, unknown fields (a tensor entry's keys are
//     matched byte for byte: "DATA_OFFSETS" is unknown, not data_offsets),
//     sizes above lim and non-finite values are refused.
func ParseSafetensors(data []byte, expectedSHA256 string, lim Limits) (*Model, error) {
	if err := checkFileSize(data, lim.withDefaults()); err != nil {
		return nil, err
	}
	f, err := CheckFile(data, expectedSHA256)
	if err != nil {
		return nil, err
	}
	return ParseCheckedSafetensors(f, lim)
}

// ParseCheckedSafetensors is ParseSafetensors of a file already checked
// against its sha256, which it does not hash again.
func ParseCheckedSafetensors(f Checked, lim Limits) (*Model, error) {
	lim = lim.withDefaults()
	if err := checkFileSize(f.data, lim); err != nil {
		return nil, err
	}
	return decodeSafetensors(f.data, lim)
}

// checkFileSize refuses a safetensors file over lim.MaxFileBytes (lim with
// its defaults), before it is hashed or read.
func checkFileSize(data []byte, lim Limits) error {
	if int64(len(data)) > lim.MaxFileBytes {
		return fmt.Errorf("%w: safetensors file of %d bytes, limit %d", ErrTooLarge, len(data), lim.MaxFileBytes)
	}
	return nil
}

func decodeSafetensors(data []byte, lim Limits) (*Model, error) {
	meta, tensors, buf, err := readSafetensors(data, lim, parseTensorName)
	if err != nil {
		return nil, err
	}
	m, err := assembleModel(tensors)
	if err != nil {
		return nil, err
	}
	for _, t := range tensors {
		v, err := decodeFinite(buf[t.info.DataOffsets[0]:t.info.DataOffsets[1]], t.name)
		if err != nil {
			return nil, err
		}
		t.values = v
	}
	for _, t := range tensors {
		l := &m.Layers[t.layer]
		if t.bias {
			l.Bias = t.values
		} else {
			l.Weight = t.values
		}
	}
	m.Metadata = meta
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func parseTensorName(name string, lim Limits) (*namedTensor, error) {
	rest, ok := strings.CutPrefix(name, "layers.")
	if !ok {
		return nil, fmt.Errorf("%w: %q (only layers.{i}.weight and layers.{i}.bias are allowed)", ErrUnknownTensor, name)
	}
	idx, kind, ok := strings.Cut(rest, ".")
	if !ok || (kind != "weight" && kind != "bias") || idx == "" || (len(idx) > 1 && idx[0] == '0') {
		return nil, fmt.Errorf("%w: %q (only layers.{i}.weight and layers.{i}.bias are allowed)", ErrUnknownTensor, name)
	}
	for _, c := range idx {
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("%w: %q (layer index must be a decimal number)", ErrUnknownTensor, name)
		}
	}
	i, err := strconv.Atoi(idx)
	if err != nil || i >= lim.MaxTensors {
		return nil, fmt.Errorf("%w: layer index in %q above %d", ErrTooLarge, name, lim.MaxTensors)
	}
	rank := 2
	if kind == "bias" {
		rank = 1
	}
	return &namedTensor{name: name, layer: i, bias: kind == "bias", rank: rank}, nil
}

func assembleModel(ts []*namedTensor) (*Model, error) {
	maxLayer := -1
	for _, t := range ts {
		maxLayer = max(maxLayer, t.layer)
	}
	if maxLayer < 0 {
		return nil, fmt.Errorf("%w: model has no layers", ErrLayers)
	}
	weights := make([]*namedTensor, maxLayer+1)
	biases := make([]*namedTensor, maxLayer+1)
	for _, t := range ts {
		if t.bias {
			biases[t.layer] = t
		} else {
			weights[t.layer] = t
		}
	}
	m := &Model{Layers: make([]Layer, maxLayer+1)}
	for i, w := range weights {
		if w == nil {
			return nil, fmt.Errorf("%w: layers.%d.weight is missing (layers must be numbered 0, 1, … without gaps)", ErrLayers, i)
		}
		out, in := int(w.info.Shape[0]), int(w.info.Shape[1])
		if b := biases[i]; b != nil && int(b.info.Shape[0]) != out {
			return nil, fmt.Errorf("%w: layers.%d.bias has %d values, weight has %d outputs", ErrLayers, i, b.info.Shape[0], out)
		}
		if i > 0 && in != m.Layers[i-1].Out {
			return nil, fmt.Errorf("%w: layers.%d input %d does not match layers.%d output %d", ErrLayers, i, in, i-1, m.Layers[i-1].Out)
		}
		m.Layers[i] = Layer{In: in, Out: out}
	}
	return m, nil
}

// EncodeSafetensors encodes m deterministically: tensors in layer order
// (weight, then bias), contiguous, the header's keys in that order after an
// optional "__metadata__" (keys sorted), the header padded with spaces to a
// multiple of 8 bytes.
func EncodeSafetensors(m *Model) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	var ts []stTensor
	for i, l := range m.Layers {
		ts = append(ts, stTensor{fmt.Sprintf("layers.%d.weight", i), []int{l.Out, l.In}, l.Weight})
		if l.Bias != nil {
			ts = append(ts, stTensor{fmt.Sprintf("layers.%d.bias", i), []int{l.Out}, l.Bias})
		}
	}
	return encodeSafetensors(m.Metadata, ts)
}

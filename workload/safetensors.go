package workload

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
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

// tensorInfo is one safetensors header entry.
type tensorInfo struct {
	DType       string   `json:"dtype"`
	Shape       []uint64 `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

type namedTensor struct {
	name   string
	layer  int
	bias   bool
	info   tensorInfo
	elems  int64
	values []float32
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
//   - duplicate JSON keys, unknown fields, sizes above lim and non-finite
//     values are refused.
func ParseSafetensors(data []byte, expectedSHA256 string, lim Limits) (*Model, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxFileBytes {
		return nil, fmt.Errorf("%w: safetensors file of %d bytes, limit %d", ErrTooLarge, len(data), lim.MaxFileBytes)
	}
	if err := CheckDigest(data, expectedSHA256); err != nil {
		return nil, err
	}
	return decodeSafetensors(data, lim)
}

func decodeSafetensors(data []byte, lim Limits) (*Model, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: safetensors: %d bytes, shorter than the header length", ErrMalformed, len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > uint64(lim.MaxHeaderBytes) {
		return nil, fmt.Errorf("%w: safetensors header of %d bytes, limit %d", ErrTooLarge, n, lim.MaxHeaderBytes)
	}
	if n > uint64(len(data)-8) {
		return nil, fmt.Errorf("%w: safetensors header of %d bytes truncated at %d", ErrMalformed, n, len(data)-8)
	}
	hdr := data[8 : 8+n]
	buf := data[8+n:]
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, fmt.Errorf("%w: safetensors header does not start with '{'", ErrMalformed)
	}
	if !utf8.Valid(hdr) {
		return nil, fmt.Errorf("%w: safetensors header is not UTF-8", ErrMalformed)
	}
	hdr = bytes.TrimRight(hdr, " ")
	meta, tensors, err := parseSTHeader(hdr, lim)
	if err != nil {
		return nil, err
	}
	if err := checkSTLayout(tensors, uint64(len(buf))); err != nil {
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

// parseSTHeader decodes the JSON header strictly.
func parseSTHeader(hdr []byte, lim Limits) (map[string]string, []*namedTensor, error) {
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, nil, err
	}
	var meta map[string]string
	var tensors []*namedTensor
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("%w: safetensors header: %v", ErrMalformed, err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("%w: safetensors header: expected a key", ErrMalformed)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("%w: safetensors header: duplicate key %q", ErrMalformed, name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("%w: safetensors header: value of %q: %v", ErrMalformed, name, err)
		}
		if err := noDuplicateKeys(raw); err != nil {
			return nil, nil, fmt.Errorf("%w: safetensors header: value of %q: %v", ErrMalformed, name, err)
		}
		if name == "__metadata__" {
			if err := json.Unmarshal(raw, &meta); err != nil || meta == nil {
				return nil, nil, fmt.Errorf("%w: safetensors __metadata__ must be an object of strings", ErrMalformed)
			}
			continue
		}
		if len(tensors) >= lim.MaxTensors {
			return nil, nil, fmt.Errorf("%w: more than %d tensors", ErrTooLarge, lim.MaxTensors)
		}
		t, err := parseTensorName(name, lim)
		if err != nil {
			return nil, nil, err
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&t.info); err != nil {
			return nil, nil, fmt.Errorf("%w: safetensors tensor %q: %v", ErrMalformed, name, err)
		}
		if err := checkTensorInfo(t, lim); err != nil {
			return nil, nil, err
		}
		tensors = append(tensors, t)
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("%w: safetensors header: trailing data after the object", ErrMalformed)
	}
	return meta, tensors, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: safetensors header: %v", ErrMalformed, err)
	}
	if tok != d {
		return fmt.Errorf("%w: safetensors header: expected %q", ErrMalformed, d)
	}
	return nil
}

// noDuplicateKeys reports duplicate keys in a JSON object (at any depth).
func noDuplicateKeys(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	type frame struct {
		obj    bool
		keys   map[string]bool
		expKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.expKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].obj {
					stack[len(stack)-1].expKey = true
				}
				continue
			}
			k, _ := tok.(string)
			if top.keys[k] {
				return fmt.Errorf("duplicate key %q", k)
			}
			top.keys[k] = true
			top.expKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, keys: map[string]bool{}, expKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].expKey = true
		}
	}
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
	return &namedTensor{name: name, layer: i, bias: kind == "bias"}, nil
}

func checkTensorInfo(t *namedTensor, lim Limits) error {
	if t.info.DType == "" || t.info.Shape == nil || t.info.DataOffsets == nil {
		return fmt.Errorf("%w: tensor %q needs dtype, shape and data_offsets", ErrMalformed, t.name)
	}
	if t.info.DType != "F32" {
		return fmt.Errorf("%w: tensor %q has dtype %s (want F32)", ErrUnsupported, t.name, t.info.DType)
	}
	rank := 2
	if t.bias {
		rank = 1
	}
	if len(t.info.Shape) != rank {
		return fmt.Errorf("%w: tensor %q has shape %v (want %d dimensions)", ErrShape, t.name, t.info.Shape, rank)
	}
	elems := int64(1)
	for _, d := range t.info.Shape {
		if d < 1 {
			return fmt.Errorf("%w: tensor %q has shape %v (dimensions must be positive)", ErrShape, t.name, t.info.Shape)
		}
		if d > uint64(lim.MaxElements) || uint64(elems) > uint64(lim.MaxElements)/d {
			return fmt.Errorf("%w: tensor %q of shape %v exceeds %d elements", ErrTooLarge, t.name, t.info.Shape, lim.MaxElements)
		}
		elems *= int64(d)
	}
	t.elems = elems
	if len(t.info.DataOffsets) != 2 {
		return fmt.Errorf("%w: tensor %q data_offsets has %d values (want 2)", ErrMalformed, t.name, len(t.info.DataOffsets))
	}
	b, e := t.info.DataOffsets[0], t.info.DataOffsets[1]
	if e < b || e-b != uint64(elems)*4 {
		return fmt.Errorf("%w: tensor %q data_offsets [%d, %d) do not hold %d float32", ErrMalformed, t.name, b, e, elems)
	}
	return nil
}

// checkSTLayout checks that the tensors tile the data buffer exactly.
func checkSTLayout(ts []*namedTensor, bufLen uint64) error {
	sorted := append([]*namedTensor(nil), ts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].info.DataOffsets[0] < sorted[j].info.DataOffsets[0] })
	var pos uint64
	for _, t := range sorted {
		b, e := t.info.DataOffsets[0], t.info.DataOffsets[1]
		if e > bufLen {
			return fmt.Errorf("%w: tensor %q data_offsets [%d, %d) beyond the %d-byte buffer", ErrMalformed, t.name, b, e, bufLen)
		}
		if b < pos {
			return fmt.Errorf("%w: tensor %q data_offsets [%d, %d) overlap another tensor", ErrMalformed, t.name, b, e)
		}
		if b > pos {
			return fmt.Errorf("%w: data buffer has a hole at [%d, %d)", ErrMalformed, pos, b)
		}
		pos = e
	}
	if pos != bufLen {
		return fmt.Errorf("%w: data buffer has %d bytes not covered by any tensor", ErrMalformed, bufLen-pos)
	}
	return nil
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
	var h bytes.Buffer
	h.WriteByte('{')
	first := true
	sep := func() {
		if !first {
			h.WriteByte(',')
		}
		first = false
	}
	if len(m.Metadata) > 0 {
		sep()
		mb, err := json.Marshal(m.Metadata) // encoding/json sorts map keys
		if err != nil {
			return nil, fmt.Errorf("%w: metadata: %v", ErrMalformed, err)
		}
		h.WriteString(`"__metadata__":`)
		h.Write(mb)
	}
	var off uint64
	var body []byte
	add := func(name string, shape []int, v []float32) {
		sep()
		end := off + 4*uint64(len(v))
		dims := make([]string, len(shape))
		for i, d := range shape {
			dims[i] = strconv.Itoa(d)
		}
		fmt.Fprintf(&h, `%q:{"dtype":"F32","shape":[%s],"data_offsets":[%d,%d]}`, name, strings.Join(dims, ","), off, end)
		body = append(body, EncodeFloats(v)...)
		off = end
	}
	for i, l := range m.Layers {
		add(fmt.Sprintf("layers.%d.weight", i), []int{l.Out, l.In}, l.Weight)
		if l.Bias != nil {
			add(fmt.Sprintf("layers.%d.bias", i), []int{l.Out}, l.Bias)
		}
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(h.Len()))
	out = append(out, h.Bytes()...)
	return append(out, body...), nil
}

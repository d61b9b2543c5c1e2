package workload

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The safetensors container, shared by the mlp-f32 and gpt-f32 model
// parsers: a strict reader of the header and the data layout (which tensor
// names a model may hold is the caller's tensorClassifier) and a
// deterministic encoder.

// tensorInfo is one safetensors header entry. It is filled by
// decodeTensorInfo, not by encoding/json's struct matching, which folds
// case.
type tensorInfo struct {
	DType       string
	Shape       []uint64
	DataOffsets []uint64
}

type namedTensor struct {
	name  string
	layer int
	bias  bool
	// rank is the number of dimensions the tensor must have (0: any).
	rank   int
	info   tensorInfo
	elems  int64
	values []float32
}

// tensorClassifier accepts a tensor name and says what it must be (rank;
// for mlp, its layer and whether it is a bias), or refuses it.
type tensorClassifier func(name string, lim Limits) (*namedTensor, error)

// readSafetensors checks the framing, decodes the header strictly with
// classify and checks that the tensors tile the data buffer exactly. It
// returns the metadata, the tensors (values not yet decoded) and the buffer.
func readSafetensors(data []byte, lim Limits, classify tensorClassifier) (map[string]string, []*namedTensor, []byte, error) {
	if len(data) < 8 {
		return nil, nil, nil, fmt.Errorf("%w: safetensors: %d bytes, shorter than the header length", ErrMalformed, len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > uint64(lim.MaxHeaderBytes) {
		return nil, nil, nil, fmt.Errorf("%w: safetensors header of %d bytes, limit %d", ErrTooLarge, n, lim.MaxHeaderBytes)
	}
	if n > uint64(len(data)-8) {
		return nil, nil, nil, fmt.Errorf("%w: safetensors header of %d bytes truncated at %d", ErrMalformed, n, len(data)-8)
	}
	hdr := data[8 : 8+n]
	buf := data[8+n:]
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, nil, nil, fmt.Errorf("%w: safetensors header does not start with '{'", ErrMalformed)
	}
	if !utf8.Valid(hdr) {
		return nil, nil, nil, fmt.Errorf("%w: safetensors header is not UTF-8", ErrMalformed)
	}
	hdr = bytes.TrimRight(hdr, " ")
	meta, tensors, err := parseSTHeader(hdr, lim, classify)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkSTLayout(tensors, uint64(len(buf))); err != nil {
		return nil, nil, nil, err
	}
	return meta, tensors, buf, nil
}

// parseSTHeader decodes the JSON header strictly.
func parseSTHeader(hdr []byte, lim Limits, classify tensorClassifier) (map[string]string, []*namedTensor, error) {
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
		t, err := classify(name, lim)
		if err != nil {
			return nil, nil, err
		}
		if err := decodeTensorInfo(raw, &t.info); err != nil {
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

// decodeTensorInfo decodes one tensor entry with its keys matched byte for
// byte. encoding/json matches struct fields case-insensitively (last one
// wins), so "DATA_OFFSETS" would override "data_offsets" that a
// case-sensitive reader (safetensors' own) uses: the same file, same sha256,
// would then read as different weights to aichain and to an independent
// verifier (TestAttackSafetensorsCaseFoldedKeysSwapWeights). Any key other
// than the three the format defines is refused.
func decodeTensorInfo(raw []byte, info *tensorInfo) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return err
	}
	if fields == nil {
		return fmt.Errorf("entry is not an object")
	}
	// Sorted, so that a file with several bad keys is refused with the same
	// message everywhere.
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := fields[k]
		var err error
		switch k {
		case "dtype":
			err = json.Unmarshal(v, &info.DType)
		case "shape":
			err = json.Unmarshal(v, &info.Shape)
		case "data_offsets":
			err = json.Unmarshal(v, &info.DataOffsets)
		default:
			return fmt.Errorf("unknown field %q (only dtype, shape and data_offsets, in lower case)", k)
		}
		if err != nil {
			return fmt.Errorf("field %q: %v", k, err)
		}
	}
	return nil
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

func checkTensorInfo(t *namedTensor, lim Limits) error {
	if t.info.DType == "" || t.info.Shape == nil || t.info.DataOffsets == nil {
		return fmt.Errorf("%w: tensor %q needs dtype, shape and data_offsets", ErrMalformed, t.name)
	}
	if t.info.DType != "F32" {
		return fmt.Errorf("%w: tensor %q has dtype %s (want F32)", ErrUnsupported, t.name, t.info.DType)
	}
	if t.rank > 0 && len(t.info.Shape) != t.rank {
		return fmt.Errorf("%w: tensor %q has shape %v (want %d dimensions)", ErrShape, t.name, t.info.Shape, t.rank)
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

// stTensor is a tensor to encode: its name, shape and float32 values.
type stTensor struct {
	name   string
	shape  []int
	values []float32
}

// encodeSafetensors encodes tensors in the given order, contiguous, the
// header's keys in that order after an optional "__metadata__" (keys
// sorted), the header padded with spaces to a multiple of 8 bytes.
func encodeSafetensors(meta map[string]string, ts []stTensor) ([]byte, error) {
	var h bytes.Buffer
	h.WriteByte('{')
	if len(meta) > 0 {
		mb, err := json.Marshal(meta) // encoding/json sorts map keys
		if err != nil {
			return nil, fmt.Errorf("%w: metadata: %v", ErrMalformed, err)
		}
		h.WriteString(`"__metadata__":`)
		h.Write(mb)
	}
	var off uint64
	var size int
	for _, t := range ts {
		size += 4 * len(t.values)
	}
	body := make([]byte, 0, size)
	for i, t := range ts {
		if i > 0 || len(meta) > 0 {
			h.WriteByte(',')
		}
		end := off + 4*uint64(len(t.values))
		dims := make([]string, len(t.shape))
		for i, d := range t.shape {
			dims[i] = strconv.Itoa(d)
		}
		fmt.Fprintf(&h, `%q:{"dtype":"F32","shape":[%s],"data_offsets":[%d,%d]}`, t.name, strings.Join(dims, ","), off, end)
		body = append(body, EncodeFloats(t.values)...)
		off = end
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(h.Len()))
	out = append(out, h.Bytes()...)
	return append(out, body...), nil
}

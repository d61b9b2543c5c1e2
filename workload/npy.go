package workload

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Matrix is a dense rows×cols float32 matrix, row-major.
type Matrix struct {
	Rows, Cols int
	Data       []float32
}

// Validate checks the matrix's dimensions against its data.
func (m *Matrix) Validate() error {
	if m == nil {
		return fmt.Errorf("%w: nil matrix", ErrShape)
	}
	if m.Rows < 1 || m.Cols < 1 || m.Rows > MaxDenseElements/m.Cols || len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("%w: matrix %d×%d with %d values", ErrShape, m.Rows, m.Cols, len(m.Data))
	}
	return nil
}

const npyMagic = "\x93NUMPY"

// The .npy dtypes accepted: little-endian float32 (npy-f32 datasets) and
// little-endian int32 (npy-i32 datasets: token ids).
const (
	npyF32 = "<f4"
	npyI32 = "<i4"
)

// ParseNPY checks data against the expected SHA-256 (hex), then decodes a
// .npy file holding a 2-D little-endian float32 array in C order.
//
// Accepted: format versions 1.0 and 2.0; a header dict with exactly the keys
// 'descr' (must be '<f4'), 'fortran_order' (must be False) and 'shape' (two
// positive integers), padded with spaces and ending in '\n', of at most
// MaxNPYHeaderBytes; exactly rows·cols·4 data bytes, every float32 bit
// pattern (NaN and ±Inf included). Everything else is refused with an error
// wrapping ErrMalformed, ErrUnsupported, ErrTooLarge or ErrShape, before any
// data is used.
//
// Non-finite values are data, not a format error: the chain records a
// dataset's sha256, shape and content root, never its values, and a verifier
// recomputes a sampled chunk over whatever rows match that root (the
// arithmetic rule defines NaN and Inf results). A job's winner that refused
// them would abort on inputs the validators rule available and forfeit its
// collateral (TestAttackMLPNaNDatasetForfeitsTheWinnersCollateral).
func ParseNPY(data []byte, expectedSHA256 string, lim Limits) (*Matrix, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxFileBytes {
		return nil, fmt.Errorf("%w: npy file of %d bytes, limit %d", ErrTooLarge, len(data), lim.MaxFileBytes)
	}
	if err := CheckDigest(data, expectedSHA256); err != nil {
		return nil, err
	}
	return decodeNPY(data, lim)
}

func decodeNPY(data []byte, lim Limits) (*Matrix, error) {
	descr, rows, cols, body, err := npyLayout(data, lim)
	if err != nil {
		return nil, err
	}
	if descr != npyF32 {
		return nil, fmt.Errorf("%w: npy dtype %q (want '<f4')", ErrUnsupported, descr)
	}
	v, err := DecodeFloats(body)
	if err != nil {
		return nil, err
	}
	return &Matrix{Rows: rows, Cols: cols, Data: v}, nil
}

// npyLayout checks a .npy file's framing and header and returns its dtype
// ('<f4' or '<i4'), its shape and its data bytes (exactly rows·cols·4).
func npyLayout(data []byte, lim Limits) (descr string, rows, cols int, body []byte, err error) {
	maxHdr := min(lim.MaxHeaderBytes, MaxNPYHeaderBytes)
	if len(data) < len(npyMagic)+2 || string(data[:len(npyMagic)]) != npyMagic {
		return "", 0, 0, nil, fmt.Errorf("%w: npy: missing magic string", ErrMalformed)
	}
	major, minor := data[6], data[7]
	var hlen, pre int
	switch {
	case major == 1 && minor == 0:
		if len(data) < 10 {
			return "", 0, 0, nil, fmt.Errorf("%w: npy: truncated header length", ErrMalformed)
		}
		hlen, pre = int(binary.LittleEndian.Uint16(data[8:])), 10
	case major == 2 && minor == 0:
		if len(data) < 12 {
			return "", 0, 0, nil, fmt.Errorf("%w: npy: truncated header length", ErrMalformed)
		}
		h := binary.LittleEndian.Uint32(data[8:])
		if uint64(h) > uint64(maxHdr) {
			return "", 0, 0, nil, fmt.Errorf("%w: npy header of %d bytes, limit %d", ErrTooLarge, h, maxHdr)
		}
		hlen, pre = int(h), 12
	default:
		return "", 0, 0, nil, fmt.Errorf("%w: npy format version %d.%d (want 1.0 or 2.0)", ErrUnsupported, major, minor)
	}
	if hlen > maxHdr {
		return "", 0, 0, nil, fmt.Errorf("%w: npy header of %d bytes, limit %d", ErrTooLarge, hlen, maxHdr)
	}
	if len(data)-pre < hlen {
		return "", 0, 0, nil, fmt.Errorf("%w: npy: header of %d bytes truncated at %d", ErrMalformed, hlen, len(data)-pre)
	}
	hdr := data[pre : pre+hlen]
	descr, rows, cols, err = parseNPYHeader(hdr)
	if err != nil {
		return "", 0, 0, nil, err
	}
	if int64(rows) > lim.MaxElements/int64(cols) {
		return "", 0, 0, nil, fmt.Errorf("%w: npy array %d×%d exceeds %d elements", ErrTooLarge, rows, cols, lim.MaxElements)
	}
	body = data[pre+hlen:]
	if int64(len(body)) != int64(rows)*int64(cols)*4 {
		return "", 0, 0, nil, fmt.Errorf("%w: npy data is %d bytes, shape (%d, %d) needs %d", ErrMalformed, len(body), rows, cols, int64(rows)*int64(cols)*4)
	}
	return descr, rows, cols, body, nil
}

// decodeFinite decodes a model's weights, which must be finite (a dataset's
// values need not be: ParseNPY).
func decodeFinite(b []byte, what string) ([]float32, error) {
	v := make([]float32, len(b)/4)
	for i := range v {
		f := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return nil, fmt.Errorf("%w: %s value %d is %v", ErrNonFinite, what, i, f)
		}
		v[i] = f
	}
	return v, nil
}

// parseNPYHeader parses the Python dict literal of a .npy header.
func parseNPYHeader(h []byte) (descr string, rows, cols int, err error) {
	if len(h) == 0 || h[len(h)-1] != '\n' {
		return "", 0, 0, fmt.Errorf("%w: npy header does not end in newline", ErrMalformed)
	}
	for _, c := range h {
		if c < 0x20 && c != '\n' || c > 0x7e {
			return "", 0, 0, fmt.Errorf("%w: npy header has non-printable byte 0x%02x", ErrMalformed, c)
		}
	}
	p := &pyLit{s: string(h[:len(h)-1])}
	fields, err := p.dict()
	if err != nil {
		return "", 0, 0, err
	}
	p.space()
	if p.i != len(p.s) {
		return "", 0, 0, fmt.Errorf("%w: npy header has trailing text %q", ErrMalformed, p.s[p.i:])
	}
	descr, ok := fields["descr"].(string)
	if !ok {
		return "", 0, 0, fmt.Errorf("%w: npy header 'descr' missing or not a string", ErrMalformed)
	}
	if descr != npyF32 && descr != npyI32 {
		return "", 0, 0, fmt.Errorf("%w: npy dtype %q (want '<f4' or '<i4')", ErrUnsupported, descr)
	}
	fo, ok := fields["fortran_order"].(bool)
	if !ok {
		return "", 0, 0, fmt.Errorf("%w: npy header 'fortran_order' missing or not a bool", ErrMalformed)
	}
	if fo {
		return "", 0, 0, fmt.Errorf("%w: npy fortran_order True (want C order)", ErrUnsupported)
	}
	shape, ok := fields["shape"].([]int)
	if !ok {
		return "", 0, 0, fmt.Errorf("%w: npy header 'shape' missing or not a tuple", ErrMalformed)
	}
	if len(fields) != 3 {
		return "", 0, 0, fmt.Errorf("%w: npy header has %d keys (want descr, fortran_order, shape)", ErrMalformed, len(fields))
	}
	if len(shape) != 2 {
		return "", 0, 0, fmt.Errorf("%w: npy array of %d dimensions (want 2)", ErrUnsupported, len(shape))
	}
	if shape[0] < 1 || shape[1] < 1 {
		return "", 0, 0, fmt.Errorf("%w: npy shape (%d, %d) must be positive", ErrShape, shape[0], shape[1])
	}
	return descr, shape[0], shape[1], nil
}

// pyLit is a parser for the tiny subset of Python literals .npy headers use.
type pyLit struct {
	s string
	i int
}

func (p *pyLit) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *pyLit) errf(format string, a ...any) error {
	return fmt.Errorf("%w: npy header at offset %d: %s", ErrMalformed, p.i, fmt.Sprintf(format, a...))
}

func (p *pyLit) expect(c byte) error {
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != c {
		return p.errf("expected %q", c)
	}
	p.i++
	return nil
}

func (p *pyLit) peek() byte {
	p.space()
	if p.i >= len(p.s) {
		return 0
	}
	return p.s[p.i]
}

func (p *pyLit) dict() (map[string]any, error) {
	if err := p.expect('{'); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for {
		if p.peek() == '}' {
			p.i++
			return out, nil
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, dup := out[k]; dup {
			return nil, p.errf("duplicate key %q", k)
		}
		if len(out) >= 3 {
			return nil, p.errf("unexpected key %q", k)
		}
		if err := p.expect(':'); err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out[k] = v
		switch p.peek() {
		case ',':
			p.i++
		case '}':
		default:
			return nil, p.errf("expected ',' or '}'")
		}
	}
}

func (p *pyLit) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", p.errf("expected string")
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", p.errf("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsRune(v, '\\') {
		return "", p.errf("escapes are not supported")
	}
	p.i += end + 2
	return v, nil
}

func (p *pyLit) value() (any, error) {
	switch c := p.peek(); {
	case c == '\'' || c == '"':
		return p.str()
	case c == '(':
		return p.tuple()
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	default:
		return nil, p.errf("unsupported value")
	}
}

func (p *pyLit) tuple() ([]int, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	var out []int
	comma := false
	for {
		if p.peek() == ')' {
			p.i++
			if len(out) == 1 && !comma {
				return nil, p.errf("(n) is not a tuple")
			}
			return out, nil
		}
		if len(out) >= 32 {
			return nil, p.errf("too many dimensions")
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if start == p.i {
			return nil, p.errf("expected integer")
		}
		if p.i-start > 1 && p.s[start] == '0' {
			return nil, p.errf("integer with leading zero")
		}
		n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		if err != nil || n > MaxDenseElements {
			return nil, p.errf("dimension %s out of range", p.s[start:p.i])
		}
		out = append(out, int(n))
		switch p.peek() {
		case ',':
			p.i++
			comma = true
		case ')':
			comma = false
		default:
			return nil, p.errf("expected ',' or ')'")
		}
	}
}

// EncodeNPY encodes m as a version 1.0 .npy file (dtype '<f4', C order),
// header padded to a multiple of 64 bytes as numpy does.
func EncodeNPY(m *Matrix) ([]byte, error) {
	return EncodeNPYVersion(m, 1)
}

// EncodeNPYVersion encodes m as a .npy file of format version major.0
// (1 or 2).
func EncodeNPYVersion(m *Matrix, major int) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return encodeNPY(npyF32, m.Rows, m.Cols, EncodeFloats(m.Data), major)
}

// encodeNPY frames rows×cols values of dtype descr (body, little-endian, C
// order) as a .npy file of format version major.0.
func encodeNPY(descr string, rows, cols int, body []byte, major int) ([]byte, error) {
	var pre int
	switch major {
	case 1:
		pre = 10
	case 2:
		pre = 12
	default:
		return nil, fmt.Errorf("%w: npy version %d.0", ErrUnsupported, major)
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", descr, rows, cols)
	total := pre + len(dict) + 1
	pad := (64 - total%64) % 64
	hdr := dict + strings.Repeat(" ", pad) + "\n"
	out := make([]byte, 0, pre+len(hdr)+len(body))
	out = append(out, npyMagic...)
	out = append(out, byte(major), 0)
	if major == 1 {
		out = binary.LittleEndian.AppendUint16(out, uint16(len(hdr)))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(hdr)))
	}
	out = append(out, hdr...)
	return append(out, body...), nil
}

package workload

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

// npyFile builds a .npy file with a literal header (padded like numpy).
func npyFile(major byte, dict string, body []byte) []byte {
	pre := 10
	if major != 1 {
		pre = 12
	}
	total := pre + len(dict) + 1
	hdr := dict + strings.Repeat(" ", (64-total%64)%64) + "\n"
	out := append([]byte("\x93NUMPY"), major, 0)
	if major == 1 {
		out = binary.LittleEndian.AppendUint16(out, uint16(len(hdr)))
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(hdr)))
	}
	out = append(out, hdr...)
	return append(out, body...)
}

func parseNPY(data []byte, lim Limits) (*Matrix, error) {
	return ParseNPY(data, SHA256Hex(data), lim)
}

func TestNPYRoundTrip(t *testing.T) {
	m := &Matrix{Rows: 2, Cols: 3, Data: []float32{1, -2, 3.5, 0, float32(math.Copysign(0, -1)), 1e-40}}
	for _, v := range []int{1, 2} {
		b, err := EncodeNPYVersion(m, v)
		if err != nil {
			t.Fatal(err)
		}
		hdrEnd := 10 + int(binary.LittleEndian.Uint16(b[8:]))
		if v == 2 {
			hdrEnd = 12 + int(binary.LittleEndian.Uint32(b[8:]))
		}
		if hdrEnd%64 != 0 {
			t.Fatalf("v%d header ends at %d, not 64-aligned", v, hdrEnd)
		}
		got, err := parseNPY(b, Limits{})
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		if got.Rows != 2 || got.Cols != 3 {
			t.Fatalf("v%d: shape %d×%d", v, got.Rows, got.Cols)
		}
		expectBits(t, got.Data, m.Data)
	}
	// The exact header numpy 1.x/2.x writes for np.zeros((2, 3), '<f4').
	numpy := "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
		strings.Repeat(" ", 58) + "\n" + strings.Repeat("\x00", 24)
	got, err := parseNPY([]byte(numpy), Limits{})
	if err != nil {
		t.Fatalf("numpy-written file: %v", err)
	}
	if got.Rows != 2 || got.Cols != 3 {
		t.Fatalf("numpy-written file: %d×%d", got.Rows, got.Cols)
	}
	enc, _ := EncodeNPY(&Matrix{Rows: 2, Cols: 3, Data: make([]float32, 6)})
	if string(enc) != numpy {
		t.Fatalf("EncodeNPY differs from numpy's encoding:\n%q\n%q", enc, numpy)
	}
	// Other spellings numpy's reader accepts.
	for _, d := range []string{
		`{"descr": "<f4", "fortran_order": False, "shape": (2, 3)}`,
		`{'shape': (2,3), 'fortran_order': False, 'descr': '<f4'}`,
	} {
		if _, err := parseNPY(npyFile(1, d, make([]byte, 24)), Limits{}); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
}

func TestNPYRefused(t *testing.T) {
	body := make([]byte, 24)
	good := "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
	valid := npyFile(1, good, body)
	cases := []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"empty", nil, Limits{}, ErrMalformed},
		{"bad magic", append([]byte("\x93NUMPZ"), valid[6:]...), Limits{}, ErrMalformed},
		{"version 3", append(append([]byte{}, valid[:6]...), append([]byte{3, 0}, valid[8:]...)...), Limits{}, ErrUnsupported},
		{"version 1.1", append(append([]byte{}, valid[:6]...), append([]byte{1, 1}, valid[8:]...)...), Limits{}, ErrUnsupported},
		{"truncated length", valid[:9], Limits{}, ErrMalformed},
		{"truncated header", valid[:40], Limits{}, ErrMalformed},
		{"truncated data", valid[:len(valid)-1], Limits{}, ErrMalformed},
		{"trailing data", append(append([]byte{}, valid...), 0), Limits{}, ErrMalformed},
		{"f8", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", make([]byte, 48)), Limits{}, ErrUnsupported},
		{"big endian", npyFile(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", body), Limits{}, ErrUnsupported},
		{"fortran", npyFile(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", body), Limits{}, ErrUnsupported},
		{"1-D", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", body), Limits{}, ErrUnsupported},
		{"3-D", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", body), Limits{}, ErrUnsupported},
		{"scalar", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", body[:4]), Limits{}, ErrUnsupported},
		{"not a tuple", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", body), Limits{}, ErrMalformed},
		{"zero rows", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", nil), Limits{}, ErrShape},
		{"missing key", npyFile(1, "{'descr': '<f4', 'shape': (2, 3), }", body), Limits{}, ErrMalformed},
		{"extra key", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", body), Limits{}, ErrMalformed},
		{"duplicate key", npyFile(1, "{'descr': '<f4', 'descr': '<f4', 'shape': (2, 3), }", body), Limits{}, ErrMalformed},
		{"unknown key", npyFile(1, "{'descr': '<f4', 'order': False, 'shape': (2, 3), }", body), Limits{}, ErrMalformed},
		{"no newline", append(append([]byte{}, valid[:127]...), append([]byte{' '}, valid[128:]...)...), Limits{}, ErrMalformed},
		{"garbage", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } x", body), Limits{}, ErrMalformed},
		{"negative dim", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", body), Limits{}, ErrMalformed},
		{"huge dim", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 3), }", body), Limits{}, ErrMalformed},
		{"leading zero", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (02, 3), }", body), Limits{}, ErrMalformed},
		{"file limit", valid, Limits{MaxFileBytes: int64(len(valid) - 1)}, ErrTooLarge},
		{"header limit", valid, Limits{MaxHeaderBytes: 32}, ErrTooLarge},
		{"element limit", valid, Limits{MaxElements: 5}, ErrTooLarge},
		{"v2 header limit", npyFile(2, good, body), Limits{MaxHeaderBytes: 32}, ErrTooLarge},
		{"v2 huge header length", append(append([]byte("\x93NUMPY\x02\x00"), 0xff, 0xff, 0xff, 0xff), valid[10:]...), Limits{}, ErrTooLarge},
	}
	for _, c := range cases {
		if _, err := parseNPY(c.data, c.lim); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := ParseNPY(valid, strings.Repeat("0", 64), Limits{}); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("wrong digest: %v", err)
	}
	for _, d := range []string{"", "abc", strings.Repeat("z", 64), SHA256Hex(valid) + "00"} {
		if _, err := ParseNPY(valid, d, Limits{}); !errors.Is(err, ErrBadDigest) {
			t.Errorf("digest %q: %v", d, err)
		}
	}
	if _, err := ParseNPY(valid, strings.ToUpper(SHA256Hex(valid)), Limits{}); err != nil {
		t.Errorf("upper-case digest refused: %v", err)
	}
	if _, err := EncodeNPY(&Matrix{Rows: 2, Cols: 2, Data: make([]float32, 3)}); !errors.Is(err, ErrShape) {
		t.Errorf("EncodeNPY of a bad matrix: %v", err)
	}
}

// TestNPYKeepsNonFiniteValues: a dataset's NaN and ±Inf are data, kept bit
// for bit (a signalling NaN's payload too): the verifiers compute over the
// chunk bytes the content root commits, so the winner must hold the same.
func TestNPYKeepsNonFiniteValues(t *testing.T) {
	good := "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
	bits := []uint32{0x7FC00000, 0xFF800000, 0x7F800000, 0x7F800001, 0xFFC00123, 0x3F800000}
	body := make([]byte, 24)
	for i, b := range bits {
		binary.LittleEndian.PutUint32(body[4*i:], b)
	}
	m, err := parseNPY(npyFile(1, good, body), Limits{})
	if err != nil {
		t.Fatalf("non-finite values refused: %v", err)
	}
	for i, b := range bits {
		if got := math.Float32bits(m.Data[i]); got != b {
			t.Errorf("value %d: %#x, want %#x", i, got, b)
		}
	}
}

// TestNPYHeaderBound: the parser takes a header of MaxNPYHeaderBytes and
// no more, whatever Limits allow, so that every file it takes fits in its
// values and MaxNPYPrefixBytes, where a dataset download is cut.
func TestNPYHeaderBound(t *testing.T) {
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
	frame := func(n int) []byte {
		out := append([]byte(npyMagic), 2, 0)
		out = binary.LittleEndian.AppendUint32(out, uint32(n))
		out = append(out, dict+strings.Repeat(" ", n-len(dict)-1)+"\n"...)
		return append(out, make([]byte, 24)...)
	}
	lim := Limits{MaxHeaderBytes: 4 * MaxNPYHeaderBytes}
	at := frame(MaxNPYHeaderBytes)
	if _, err := parseNPY(at, lim); err != nil {
		t.Fatalf("a header of MaxNPYHeaderBytes: %v", err)
	}
	if len(at) != 24+MaxNPYPrefixBytes {
		t.Fatalf("a file of the largest header is %d bytes, want values + MaxNPYPrefixBytes = %d", len(at), 24+MaxNPYPrefixBytes)
	}
	if _, err := parseNPY(frame(MaxNPYHeaderBytes+1), lim); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a header over MaxNPYHeaderBytes: %v, want ErrTooLarge", err)
	}
}

func FuzzParseNPY(f *testing.F) {
	m := &Matrix{Rows: 3, Cols: 2, Data: []float32{1, 2, 3, 4, 5, 6}}
	v1, _ := EncodeNPYVersion(m, 1)
	v2, _ := EncodeNPYVersion(m, 2)
	f.Add(v1)
	f.Add(v2)
	f.Add(v1[:20])
	f.Add([]byte("\x93NUMPY\x01\x00\x10\x00{'shape': (1,)}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseNPY(data, SHA256Hex(data), Limits{MaxFileBytes: 1 << 20})
		if err != nil {
			if got != nil {
				t.Fatal("matrix returned with an error")
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("accepted an invalid matrix: %v", err)
		}
		// An accepted file re-encodes to a file with the same values.
		enc, err := EncodeNPY(got)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseNPY(enc, SHA256Hex(enc), Limits{})
		if err != nil || again.Rows != got.Rows || again.Cols != got.Cols {
			t.Fatalf("re-encoded file refused: %v", err)
		}
	})
}

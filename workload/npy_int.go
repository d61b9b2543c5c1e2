package workload

import (
	"encoding/binary"
	"fmt"
)

// TokenMatrix is a dense rows×cols int32 matrix, row-major: the rows of an
// npy-i32 dataset (token ids; for gpt-f32, one prompt per row, padded at the
// end with PromptPad).
type TokenMatrix struct {
	Rows, Cols int
	Data       []int32
}

// Validate checks the matrix's dimensions against its data.
func (m *TokenMatrix) Validate() error {
	if m == nil {
		return fmt.Errorf("%w: nil token matrix", ErrShape)
	}
	if m.Rows < 1 || m.Cols < 1 || m.Rows > MaxDenseElements/m.Cols || len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("%w: token matrix %d×%d with %d values", ErrShape, m.Rows, m.Cols, len(m.Data))
	}
	return nil
}

// Row returns row r.
func (m *TokenMatrix) Row(r int) []int32 { return m.Data[r*m.Cols : (r+1)*m.Cols] }

// NPYShape returns a .npy file's dtype ("<f4" or "<i4") and 2-D shape after
// checking its framing and header as ParseNPY does (the header at most
// MaxNPYHeaderBytes, the data exactly rows·cols·4 bytes at the file's end):
// what a dataset's owner reads to write its record (dataset.Describe). A
// job's winner reads the record instead (dataset.DescribeRecord).
func NPYShape(data []byte, lim Limits) (descr string, rows, cols int, err error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxFileBytes {
		return "", 0, 0, fmt.Errorf("%w: npy file of %d bytes, limit %d", ErrTooLarge, len(data), lim.MaxFileBytes)
	}
	descr, rows, cols, _, err = npyLayout(data, lim)
	return descr, rows, cols, err
}

// ParseNPYInt32 checks data against the expected SHA-256 (hex), then decodes
// a .npy file holding a 2-D little-endian int32 array ('<i4') in C order,
// under the same framing rules as ParseNPY. Every int32 value is accepted;
// what a value means is the workload's business.
func ParseNPYInt32(data []byte, expectedSHA256 string, lim Limits) (*TokenMatrix, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxFileBytes {
		return nil, fmt.Errorf("%w: npy file of %d bytes, limit %d", ErrTooLarge, len(data), lim.MaxFileBytes)
	}
	if err := CheckDigest(data, expectedSHA256); err != nil {
		return nil, err
	}
	descr, rows, cols, body, err := npyLayout(data, lim)
	if err != nil {
		return nil, err
	}
	if descr != npyI32 {
		return nil, fmt.Errorf("%w: npy dtype %q (want '<i4')", ErrUnsupported, descr)
	}
	return &TokenMatrix{Rows: rows, Cols: cols, Data: DecodeInts(body)}, nil
}

// EncodeNPYInt32 encodes m as a version 1.0 .npy file (dtype '<i4', C
// order), header padded to a multiple of 64 bytes as numpy does.
func EncodeNPYInt32(m *TokenMatrix) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return encodeNPY(npyI32, m.Rows, m.Cols, EncodeInts(m.Data), 1)
}

// EncodeInts returns v as little-endian int32 bytes.
func EncodeInts(v []int32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return b
}

// DecodeInts decodes little-endian int32 bytes (a trailing partial value is
// ignored; callers check lengths).
func DecodeInts(b []byte) []int32 {
	v := make([]int32, len(b)/4)
	for i := range v {
		v[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

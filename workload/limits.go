package workload

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Limits bound what the model and dataset parsers accept. A zero field means
// the corresponding DefaultLimits value.
type Limits struct {
	// MaxFileBytes bounds the whole file.
	MaxFileBytes int64
	// MaxHeaderBytes bounds the safetensors JSON header and the .npy header.
	MaxHeaderBytes int
	// MaxTensors bounds the number of tensors in a safetensors file.
	MaxTensors int
	// MaxElements bounds the number of elements of one tensor or array.
	MaxElements int64
}

// DefaultLimits returns the limits used for zero Limits fields: 1 GiB files,
// 1 MiB headers, 1024 tensors, MaxDenseElements elements per tensor.
func DefaultLimits() Limits {
	return Limits{
		MaxFileBytes:   1 << 30,
		MaxHeaderBytes: 1 << 20,
		MaxTensors:     1024,
		MaxElements:    MaxDenseElements,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxTensors <= 0 {
		l.MaxTensors = d.MaxTensors
	}
	if l.MaxElements <= 0 || l.MaxElements > MaxDenseElements {
		l.MaxElements = d.MaxElements
	}
	return l
}

// SHA256Hex returns the lower-case hex SHA-256 of data.
func SHA256Hex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// CheckDigest checks that data hashes to expected, 64 hex characters (either
// case).
func CheckDigest(data []byte, expected string) error {
	want, err := hex.DecodeString(expected)
	if err != nil || len(want) != sha256.Size {
		return fmt.Errorf("%w: %q", ErrBadDigest, expected)
	}
	got := sha256.Sum256(data)
	if string(got[:]) != string(want) {
		return fmt.Errorf("%w: got %x, want %s", ErrDigestMismatch, got, expected)
	}
	return nil
}

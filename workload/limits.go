package workload

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Limits bound what the model and dataset parsers accept. A zero field means
// the corresponding DefaultLimits value.
type Limits struct {
	// MaxFileBytes bounds the whole file.
	MaxFileBytes int64
	// MaxHeaderBytes bounds the safetensors JSON header and the .npy header
	// (the latter never above MaxNPYHeaderBytes).
	MaxHeaderBytes int
	// MaxTensors bounds the number of tensors in a safetensors file.
	MaxTensors int
	// MaxElements bounds the number of elements of one tensor or array.
	MaxElements int64
}

// MaxNPYHeaderBytes bounds a .npy header whatever Limits say (a lower
// Limits.MaxHeaderBytes still applies). It is a constant, not a limit an
// agent sets, because a dataset download is cut at the version's values
// plus MaxNPYPrefixBytes (dataserver.Expect): a header the parser took but
// the download cut would leave a job's winner unable to load a version the
// validators find served, its abort ruled a timeout
// (TestAttackMLPLargeNPYHeaderForfeitsTheWinnersCollateral).
const MaxNPYHeaderBytes = 1 << 20

// MaxNPYPrefixBytes is the most a .npy file the parser accepts holds besides
// its values: the magic (6 bytes), the version (2), the header length (4 in
// format 2.0, 2 in 1.0) and the header.
const MaxNPYPrefixBytes = 6 + 2 + 4 + MaxNPYHeaderBytes

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

// Checked is a file whose bytes were hashed and matched the sha256 they
// are known by: only CheckFile makes one, so code handed a Checked never
// hashes it again. A model's weights pass through the uri fetch or the
// disk cache, a verifier's mirror and the parser; each checked the digest
// of the same bytes (three hashes of a 1 GiB file from a provider, about
// a second of CPU each), and the type now says which of them did.
type Checked struct {
	data []byte
	sha  string // lower-case hex
}

// CheckFile checks data against expected (CheckDigest) and returns it as
// Checked.
func CheckFile(data []byte, expected string) (Checked, error) {
	if err := CheckDigest(data, expected); err != nil {
		return Checked{}, err
	}
	return Checked{data: data, sha: strings.ToLower(expected)}, nil
}

// Bytes is the file (nil for the zero Checked, which CheckFile never
// returns without an error).
func (c Checked) Bytes() []byte { return c.data }

// SHA256 is the lower-case hex sha256 the file matched ("" for the zero
// Checked).
func (c Checked) SHA256() string { return c.sha }

// Is reports whether the file matched sha (hex, either case): a Checked
// for another digest is not the file asked for.
func (c Checked) Is(sha string) bool { return c.sha != "" && strings.EqualFold(c.sha, sha) }

package provider

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// TokenChange is a test-network fault: in output chunk Chunk (modulo the
// chunk count), prompt Row (modulo the chunk's rows) gets a different first
// generated token — for a gpt-f32 job the row's first value, a token id
// stored as a float32, becomes the id below it (or 1 for id 0), still a
// valid token. The result is committed as if it were honest: the Merkle root
// matches the changed bytes, only a recomputation finds it. For other kinds
// it changes the row's first value the same way.
type TokenChange struct {
	Chunk, Row int
}

// ParseTokenChange parses "CHUNK:ROW".
func ParseTokenChange(s string) (*TokenChange, error) {
	c, r, ok := strings.Cut(s, ":")
	chunk, err1 := strconv.Atoi(c)
	row, err2 := strconv.Atoi(r)
	if !ok || err1 != nil || err2 != nil || chunk < 0 || row < 0 {
		return nil, fmt.Errorf("token change %q: want CHUNK:ROW, two non-negative integers", s)
	}
	return &TokenChange{Chunk: chunk, Row: row}, nil
}

// Apply changes the token in chunks (rows of cols float32 values each) and
// returns where and what it changed.
func (t *TokenChange) Apply(chunks [][]byte, cols int) (chunk, row int, from, to float32) {
	chunk = t.Chunk % len(chunks)
	c := chunks[chunk]
	rows := len(c) / (4 * cols)
	row = t.Row % rows
	off := 4 * row * cols
	from = math.Float32frombits(binary.LittleEndian.Uint32(c[off:]))
	to = from - 1
	if !(from >= 1) {
		to = 1
	}
	binary.LittleEndian.PutUint32(c[off:], math.Float32bits(to))
	return chunk, row, from, to
}

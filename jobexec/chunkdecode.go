package jobexec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aichain/aichain/workload/merkle"
)

// ErrChunkResponseShape is a chunk response refused before it is decoded:
// more dataset chunks or proof siblings than its chunk allows, or not the
// form of a ChunkResponse. A verifier treats it as any malformed answer of
// the provider.
var ErrChunkResponseShape = errors.New("chunk response does not have its chunk's shape")

const (
	// minInputEntryBytes is the least JSON one dataset chunk entry takes,
	// {"data":"AAAAAA=="}: a row of one 4-byte value, in base64.
	minInputEntryBytes = 19
	// minSiblingBytes is the least JSON one proof sibling takes: 64 hex
	// characters in quotes.
	minSiblingBytes = 66
	// maxResponseDepth bounds the nesting of a response (its own is 5
	// deep: the response, inputs, an entry, its proof, a sibling).
	maxResponseDepth = 8
)

// DecodeChunkResponse decodes a chunk response (the whole body, already
// bounded in bytes) that carries at most maxInputs dataset chunks (the
// chunks that cover the output chunk's rows; 0 for a kind that serves
// none). encoding/json bounds nothing of what a body decodes into: an array
// of "{}" becomes 56-byte merkle.Chunks, of "" 16-byte strings, grown by
// copies, 36–189 times the bytes read
// (TestAttackChunkResponseDecodeAmplifiesMemory). So the body is walked
// first, allocating nothing, and refused (ErrChunkResponseShape) when its
// inputs hold more entries than maxInputs or than its bytes hold honest
// entries, or a proof more siblings than merkle.MaxProofLen or than its
// bytes hold; only then is it decoded, into inputs allocated once at their
// count.
func DecodeChunkResponse(data []byte, maxInputs uint64) (ChunkResponse, error) {
	s := entryScan{data: data,
		maxInputs:   min(maxInputs, uint64(len(data))/minInputEntryBytes),
		maxSiblings: uint64(len(data)) / minSiblingBytes}
	if err := s.value(0, roleTop); err != nil {
		return ChunkResponse{}, err
	}
	var out ChunkResponse
	if s.inputs > 0 {
		out.Inputs = make([]merkle.Chunk, 0, s.inputs)
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return ChunkResponse{}, err
	}
	return out, nil
}

// role is what a JSON value is in a chunk response.
type role int

const (
	roleOther   role = iota
	roleTop          // the response
	roleInputs       // its inputs
	roleInput        // one dataset chunk entry
	roleProof        // a proof: of the response, or of an entry
	roleSibling      // one sibling of a proof
)

// entryScan walks a chunk response's JSON without decoding it, counting the
// entries of its inputs and proofs. It relies on json.Unmarshal to refuse
// what is not JSON: a walk of invalid JSON may count wrongly, but nothing is
// decoded from it.
type entryScan struct {
	data                   []byte
	i                      int
	maxInputs, maxSiblings uint64
	inputs, siblings       uint64
}

func (s *entryScan) malformed(what string) error {
	return fmt.Errorf("%w: %s at byte %d", ErrChunkResponseShape, what, s.i)
}

func (s *entryScan) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte, 0 at the end.
func (s *entryScan) peek() byte {
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

// value walks one value of role r at nesting depth.
func (s *entryScan) value(depth int, r role) error {
	if depth > maxResponseDepth {
		return s.malformed("nested too deep")
	}
	s.ws()
	c := s.peek()
	switch {
	case (r == roleTop || r == roleInput) && c != '{':
		return s.malformed("not an object")
	case (r == roleInputs || r == roleProof) && c != '[' && c != 'n':
		return s.malformed("not an array")
	case r == roleSibling && c != '"':
		return s.malformed("not a string")
	}
	switch c {
	case '{':
		return s.object(depth, r)
	case '[':
		return s.array(depth, r)
	case '"':
		_, _, err := s.str()
		return err
	case 0:
		return s.malformed("unexpected end")
	}
	for s.i < len(s.data) && !endsLiteral(s.data[s.i]) {
		s.i++ // a number or a literal
	}
	return nil
}

// endsLiteral reports a byte that ends a number or a literal.
func endsLiteral(c byte) bool {
	switch c {
	case ',', ']', '}', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// str walks a string and returns its raw content and whether it holds an
// escape.
func (s *entryScan) str() ([]byte, bool, error) {
	if s.peek() != '"' {
		return nil, false, s.malformed("not a string")
	}
	start, escaped := s.i+1, false
	for s.i++; s.i < len(s.data); s.i++ {
		switch s.data[s.i] {
		case '\\':
			escaped = true
			s.i++
		case '"':
			s.i++
			return s.data[start : s.i-1], escaped, nil
		}
	}
	return nil, false, s.malformed("unterminated string")
}

// object walks an object of role r; its keys say its members' roles,
// matched as encoding/json matches them (case-insensitively). A key with
// an escape is refused: no honest provider escapes these names, and one
// that did would be matched by encoding/json and not here.
func (s *entryScan) object(depth int, r role) error {
	s.i++
	for {
		s.ws()
		if s.peek() == '}' {
			s.i++
			return nil
		}
		key, escaped, err := s.str()
		if err != nil {
			return err
		}
		if escaped {
			return s.malformed("escaped key")
		}
		s.ws()
		if s.peek() != ':' {
			return s.malformed("no colon after a key")
		}
		s.i++
		child := roleOther
		switch {
		case r == roleTop && bytes.EqualFold(key, []byte("inputs")):
			child = roleInputs
		case (r == roleTop || r == roleInput) && bytes.EqualFold(key, []byte("proof")):
			child = roleProof
		}
		if err := s.value(depth+1, child); err != nil {
			return err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.malformed("no comma or brace after a member")
		}
	}
}

// array walks an array of role r, counting inputs and proof siblings.
func (s *entryScan) array(depth int, r role) error {
	s.i++
	s.ws()
	if s.peek() == ']' {
		s.i++
		return nil
	}
	var n uint64
	for {
		n++
		elem := roleOther
		switch r {
		case roleInputs:
			if s.inputs++; s.inputs > s.maxInputs {
				return fmt.Errorf("%w: more than %d dataset chunks", ErrChunkResponseShape, s.maxInputs)
			}
			elem = roleInput
		case roleProof:
			if s.siblings++; n > merkle.MaxProofLen || s.siblings > s.maxSiblings {
				return fmt.Errorf("%w: more proof siblings than %d in a proof, %d in %d bytes",
					ErrChunkResponseShape, merkle.MaxProofLen, s.maxSiblings, len(s.data))
			}
			elem = roleSibling
		}
		if err := s.value(depth+1, elem); err != nil {
			return err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.malformed("no comma or bracket after an element")
		}
	}
}

package types

import "math/bits"

// A provider serves a sampled chunk as JSON (jobexec.ChunkResponse): the
// chunk's bytes in base64 with its Merkle proof as hex siblings, and, for a
// kind that reads a dataset, each dataset chunk that covers its rows as an
// entry of the same form. That is larger than the raw bytes ChunkBytes
// counts: a third more for base64, and per entry a proof of up to 64
// siblings of 67 characters each. For a dataset cut into chunks of a few
// bytes the proofs are nearly all of it: a job whose raw chunk is 1.6 % of
// max_chunk_bytes could be served as more than twice it, which a sidecar
// does not read (it decodes at most 2 × max_chunk_bytes + 64 KiB), so every
// validator found an honest provider's chunk unavailable.

const (
	// responseFixed bounds the response's own fields: job_id, chunk_count,
	// output_root (64 hex characters), input_chunk_count, keys and braces.
	responseFixed = 256
	// entryFixed bounds one chunk entry besides its data and proof:
	// {"index":<up to 20 digits>,"data":"","proof":[]} and a comma.
	entryFixed = 64
	// siblingBytes is one proof sibling: 64 hex characters, two quotes and
	// a comma.
	siblingBytes = 67
)

// add returns a + b, or ok = false when it overflows uint64.
func add(a, b uint64) (uint64, bool) {
	s, carry := bits.Add64(a, b, 0)
	return s, carry == 0
}

// proofDepth is the most siblings a proof holds in a tree of n leaves
// (workload/merkle: one per level above the leaves).
func proofDepth(n uint64) uint64 {
	if n <= 1 {
		return 0
	}
	return uint64(bits.Len64(n - 1))
}

// entryBytes bounds the JSON of one chunk entry of n data bytes in a tree of
// leaves leaves.
func entryBytes(n, leaves uint64) (uint64, bool) {
	b64, ok := mul(n/3+1, 4) // padded base64 of n bytes, rounded up
	if !ok {
		return 0, false
	}
	return add(b64, entryFixed+siblingBytes*proofDepth(leaves))
}

// EncodedChunkBytes bounds the JSON response a provider serves for one
// sampled chunk of a job of this shape in chunks of chunkRows rows: the
// output chunk and, for a kind that reads a dataset, each covering dataset
// chunk (as ChunkBytes counts them), each in base64 with its proof. ok is
// false when it overflows uint64.
func (s WorkloadShape) EncodedChunkBytes(chunkRows uint64) (uint64, bool) {
	r := min(chunkRows, s.Rows)
	if r == 0 {
		return responseFixed, true
	}
	out, ok := mul(r, s.Cols)
	if ok {
		out, ok = mul(out, float32Bytes)
	}
	if ok {
		out, ok = entryBytes(out, (s.Rows-1)/r+1)
	}
	if !ok {
		return 0, false
	}
	total := responseFixed + out
	if s.InputCols == 0 || s.InputRowsPerChunk == 0 {
		return total, true
	}
	rpc, covering, leaves := s.inputCover(r)
	in, ok := mul(rpc, s.InputCols)
	if ok {
		in, ok = mul(in, float32Bytes)
	}
	if ok {
		in, ok = entryBytes(in, leaves)
	}
	if ok {
		in, ok = mul(in, covering)
	}
	if !ok {
		return 0, false
	}
	return add(total, in)
}

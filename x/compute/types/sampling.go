package types

import (
	"crypto/sha256"
	"encoding/binary"
	"sort"

	"github.com/aichain/aichain/types/common"
)

// The sampling draw of a submitted result is a pure function of the block's
// header hash, the job id, the provider's sample rate and the chunk count, so
// that every validator (and any sidecar or explorer) draws the same sample.

// SampleSeed is SHA-256("aichain/sample" ‖ headerHash ‖ uint64be(jobID)).
func SampleSeed(headerHash []byte, jobID uint64) [32]byte {
	h := sha256.New()
	h.Write([]byte("aichain/sample"))
	h.Write(headerHash)
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], jobID)
	h.Write(id[:])
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// SampleSelected reports whether a result is sampled for verification:
// uint64be(seed[:8]) mod 10000 < rateBps. A rate of 10000 or more always
// selects; a rate of 0 never does.
func SampleSelected(seed [32]byte, rateBps uint32) bool {
	return binary.BigEndian.Uint64(seed[:8])%common.BasisPoints < uint64(rateBps)
}

// SampleIndices derives n distinct chunk indices in [0, chunkCount) from the
// seed: index_i = uint64be(SHA-256(seed ‖ uint64be(counter))[:8]) mod chunkCount
// for counter = 0, 1, …, skipping repeats; all chunks when chunkCount <= n. Sorted.
func SampleIndices(seed [32]byte, chunkCount uint64, n uint32) []uint64 {
	if chunkCount <= uint64(n) {
		out := make([]uint64, chunkCount)
		for i := range out {
			out[i] = uint64(i)
		}
		return out
	}
	seen := make(map[uint64]bool, n)
	out := make([]uint64, 0, n)
	var buf [40]byte
	copy(buf[:32], seed[:])
	for counter := uint64(0); uint32(len(out)) < n; counter++ {
		binary.BigEndian.PutUint64(buf[32:], counter)
		d := sha256.Sum256(buf[:])
		idx := binary.BigEndian.Uint64(d[:8]) % chunkCount
		if !seen[idx] {
			seen[idx] = true
			out = append(out, idx)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out
}

package jobexec

import (
	"encoding/hex"
	"fmt"

	"github.com/aichain/aichain/workload/merkle"
)

// ChunkResponse is the JSON body of GET /v1/jobs/{id}/chunks/{i}: the chunk
// (its index, its bytes in base64 and its Merkle inclusion proof as hex
// siblings, leaf to root) against the job's output root, and the material
// the job's kind serves with it.
type ChunkResponse struct {
	JobID uint64 `json:"job_id"`
	merkle.Chunk
	ChunkCount uint64 `json:"chunk_count"`
	OutputRoot string `json:"output_root"`
	// Inputs (mlp-f32 only) are the dataset chunks that cover this output
	// chunk's rows, in order, each with its proof against the dataset's
	// content_root in a tree of InputChunkCount leaves.
	Inputs          []merkle.Chunk `json:"inputs,omitempty"`
	InputChunkCount uint64         `json:"input_chunk_count,omitempty"`
}

// NewChunkResponse builds the response for chunk i of a tree.
func NewChunkResponse(jobID uint64, tree *merkle.Tree, i int, data []byte) (ChunkResponse, error) {
	c, err := merkle.NewChunk(tree, i, data)
	if err != nil {
		return ChunkResponse{}, err
	}
	root := tree.Root()
	return ChunkResponse{
		JobID: jobID, Chunk: c, ChunkCount: uint64(tree.Len()), OutputRoot: hex.EncodeToString(root[:]),
	}, nil
}

// Verify checks the chunk against the on-chain root and chunk count: the
// proof must lead from this chunk at this index to that root.
func (r ChunkResponse) Verify(root []byte, chunkCount, index uint64) error {
	if r.Index != index {
		return fmt.Errorf("served chunk %d, asked for %d", r.Index, index)
	}
	if len(root) != merkle.HashSize {
		return fmt.Errorf("on-chain root has %d bytes", len(root))
	}
	var h merkle.Hash
	copy(h[:], root)
	return r.Chunk.Verify(h, chunkCount)
}

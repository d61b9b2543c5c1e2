package dataserver

import (
	"fmt"
	"os"

	"github.com/aichain/aichain/accel/treehash"
	"github.com/aichain/aichain/workload/dataset"
)

// Describe parses .npy bytes (npy-f32) and computes what a listing needs:
// sha256, shape, and the Merkle tree over chunks of rowsPerChunk rows, its
// leaves hashed on all cores.
func Describe(data []byte, rowsPerChunk uint64) (*dataset.Description, error) {
	return dataset.DescribeWith(data, rowsPerChunk, dataset.Options{Tree: treehash.New})
}

// DescribeFile reads and describes a .npy file.
func DescribeFile(path string, rowsPerChunk uint64) (*dataset.Description, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Describe(data, rowsPerChunk)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

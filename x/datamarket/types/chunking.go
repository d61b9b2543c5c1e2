package types

import (
	errorsmod "cosmossdk.io/errors"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload/merkle"
)

// ChunkIndexBytes is the memory a provider holds for each chunk of a
// dataset version it loads, besides the chunk's rows: the chunk's view of
// the file (a 24-byte slice header) and its share of the Merkle tree over
// the chunks, its leaf and the nodes above it (fewer than one a leaf): two
// hashes. The provider counts a version's chunk index with it
// (jobexec.datasetIndexBytes).
const ChunkIndexBytes = 24 + 2*merkle.HashSize

// IndexBytes is the chunk index a provider holds for a version of rows
// rows in chunks of rowsPerChunk rows: ChunkIndexBytes for each of its
// ⌈rows / rowsPerChunk⌉ chunks (rowsPerChunk 0 counts as 1), saturating.
func IndexBytes(rows, rowsPerChunk uint64) uint64 {
	chunks := rows
	if rowsPerChunk > 1 && rows > 0 {
		chunks = (rows-1)/rowsPerChunk + 1
	}
	return common.SatMul(chunks, ChunkIndexBytes)
}

// valuesBytes is rows·cols 4-byte values in bytes, saturating.
func valuesBytes(rows, cols uint64) uint64 { return common.SatMul(common.SatMul(rows, cols), 4) }

// ChunkTooSmall reports whether a version of rows rows of cols columns in
// chunks of rowsPerChunk rows is cut so fine that its chunks are smaller
// than their index: IndexBytes(rows, rowsPerChunk) > rows·cols·4, for a
// version of more than one chunk (rowsPerChunk < rows; a version in one
// chunk never is).
//
// The chain took any chunking from one row to all of them, and no provider
// bids on or loads a version whose chunk index outweighs the largest values
// it parses (jobexec.ErrDatasetMemory): a one-column version in one-row
// chunks holds 88 bytes of index for every 4-byte value. Every job on such
// a version expired unbid, its requester out of its creation fee, and the
// owner was paid for licences no job could use
// (TestAttackOneRowChunkVersionTakesJobsThatNeverRun). A version whose
// index is at most its values is loaded by every provider that parses its
// values. The whole index is compared, not each chunk's: a last chunk
// shorter than the others adds a chunk's index for fewer values, and at
// the parser's limit chunks of 22 one-column rows (88 bytes, their index)
// took 12 bytes more than a provider holds.
func ChunkTooSmall(rows, cols, rowsPerChunk uint64) bool {
	return rowsPerChunk < rows && IndexBytes(rows, rowsPerChunk) > valuesBytes(rows, cols)
}

// MinRowsPerChunk is the fewest rows a chunk of a version of rows rows of
// cols columns holds (ChunkTooSmall): ⌈rows / n⌉, where n =
// ⌊rows·cols·4 / ChunkIndexBytes⌋ is the most chunks whose index its values
// outweigh, or rows (one chunk) when they do not outweigh one chunk's. It
// is about ChunkIndexBytes / (4·cols) rows: 22 or 23 of one column, 1 from
// 22 columns on.
func MinRowsPerChunk(rows, cols uint64) uint64 {
	n := valuesBytes(rows, cols) / ChunkIndexBytes
	if n == 0 || rows == 0 {
		return rows
	}
	return min(rows, (rows-1)/n+1)
}

// ValidateChunking refuses (ErrChunksTooSmall) a version whose chunks are
// smaller than their index (ChunkTooSmall). The messages that publish a
// version apply it (MsgListDataset, MsgUpdateDataset: validateNewContent);
// genesis does not (it checks stored versions with ValidateContent alone):
// a chain that listed such a version before the rule must still import its
// export, with the licences sold on it and the jobs pinned to it.
func ValidateChunking(rows, cols, rowsPerChunk uint64) error {
	if !ChunkTooSmall(rows, cols, rowsPerChunk) {
		return nil
	}
	return errorsmod.Wrapf(ErrChunksTooSmall,
		"%d rows of %d columns in chunks of %d rows: their index (%d bytes a chunk) takes %d bytes, more than their %d bytes of values; "+
			"use --rows-per-chunk %d or more",
		rows, cols, rowsPerChunk, ChunkIndexBytes, IndexBytes(rows, rowsPerChunk), valuesBytes(rows, cols), MinRowsPerChunk(rows, cols))
}

// validateNewContent checks the content of a version a message publishes:
// ValidateContent, then ValidateChunking.
func validateNewContent(rows, cols, rowsPerChunk uint64, contentRoot []byte, sha string) error {
	if err := ValidateContent(rows, cols, rowsPerChunk, contentRoot, sha); err != nil {
		return err
	}
	return ValidateChunking(rows, cols, rowsPerChunk)
}

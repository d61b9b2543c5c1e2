package jobexec

import (
	"errors"
	"fmt"
	"math"

	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// InputLimiter is a source that tells the largest dataset it parses: the
// rows of 4-byte values (BidShape.InputBytes) of a file it accepts whatever
// header its owner wrote. ChainResolver is one.
type InputLimiter interface {
	MaxInputBytes() uint64
}

var _ InputLimiter = (*ChainResolver)(nil)

// ErrDatasetMemory is a dataset version cut into chunks so small that the
// resolver would hold more memory for them than for the values of the
// largest version it parses (checkDatasetMemory).
var ErrDatasetMemory = errors.New("the dataset version's chunks take more memory than this agent holds for them")

// MaxInputBytes is the largest dataset the resolver parses (its Limits):
// a provider does not bid on a job whose inputs exceed it, since it would
// win, fail to parse them and abort a job whose inputs the validators find
// available (TestAttackDatasetOverParserLimitIsNotBidOn).
func (r *ChainResolver) MaxInputBytes() uint64 { return inputLimit(r.cfg.Limits) }

// MaxInputBytes is src's MaxInputBytes, or that of workload.DefaultLimits
// for a source that does not tell.
func MaxInputBytes(src any) uint64 {
	if l, ok := src.(InputLimiter); ok {
		return l.MaxInputBytes()
	}
	return inputLimit(workload.Limits{})
}

// inputLimit is the most data bytes a .npy file within lim holds: the file
// limit less the largest header a dataset server sends
// (workload.MaxNPYPrefixBytes), and at most MaxElements 4-byte values.
func inputLimit(lim workload.Limits) uint64 {
	d := workload.DefaultLimits()
	file, elems := lim.MaxFileBytes, lim.MaxElements
	if file <= 0 {
		file = d.MaxFileBytes
	}
	if elems <= 0 || elems > d.MaxElements {
		elems = d.MaxElements
	}
	return min(uint64(max(file-workload.MaxNPYPrefixBytes, 0)), uint64(elems)*4)
}

// chunkIndexBytes is what the resolver holds for each chunk of a version
// besides its rows (dataset.Description): the chunk's view of the file, a
// 24-byte slice header, and its share of the Merkle tree, its leaf and the
// nodes above it (fewer than one a leaf): two hashes.
const chunkIndexBytes = datamarkettypes.ChunkIndexBytes

// datasetIndexBytes is the memory the resolver holds for the chunks of a
// version of rows rows in chunks of rowsPerChunk rows, besides its file and
// its values: chunkIndexBytes a chunk (saturating; rowsPerChunk 0 counts
// as 1).
func datasetIndexBytes(rows, rowsPerChunk uint64) uint64 {
	return datamarkettypes.IndexBytes(rows, rowsPerChunk)
}

// checkDatasetMemory refuses (ErrDatasetMemory) a version whose chunk index
// (datasetIndexBytes) takes more than maxInput, the values of the largest
// version the resolver parses (inputLimit): a version it parses then takes
// at most three times that while it loads, its file, its values decoded and
// its index (twice once loaded: DatasetFile.held).
// The chain took any chunking from one row to all of them (it now refuses
// to list a version whose index outweighs its values,
// datamarkettypes.ValidateChunking, but keeps those listed before), and a
// version of one column in chunks of one row held 88 bytes of index for
// every 4-byte value: 22 GiB more for 1 GiB of values, which a provider bid on
// (the values within its parser's limit) and was killed loading
// (TestAttackDatasetInOneRowChunksBloatsTheWinnersMemory). A job's sizing
// (sizeMLP, sizeGPT) and its load (downloadBounds, checkDataset) apply it
// alike: a provider does not bid on a version it would refuse to load.
func checkDatasetMemory(rows, rowsPerChunk, maxInput uint64) error {
	if n := datasetIndexBytes(rows, rowsPerChunk); n > maxInput {
		return fmt.Errorf("%w: %d rows in chunks of %d rows take %d bytes of chunk index, at most %d",
			ErrDatasetMemory, rows, rowsPerChunk, n, maxInput)
	}
	return nil
}

// valuesBytes is rows × cols 4-byte values in bytes, saturating.
func valuesBytes(rows, cols uint64) uint64 {
	if cols != 0 && rows > math.MaxUint64/4/cols {
		return math.MaxUint64
	}
	return rows * cols * 4
}

// downloadBounds is what a dataset version's download must match: its
// sha256 and shape, read up to rows·cols·4 bytes and a header, which is
// within the parser's file limit; a version larger than the parser takes,
// or cut into chunks whose index would take more memory than that
// (checkDatasetMemory), is refused before any byte is read, and one whose
// record gives no shape is read up to that file limit.
func (r *ChainResolver) downloadBounds(rec datamarkettypes.Dataset) (dataserver.Expect, error) {
	want := dataserver.Expect{Sha256: rec.Sha256, Rows: rec.Rows, Cols: rec.Cols}
	if rec.Rows == 0 || rec.Cols == 0 {
		want.Rows, want.Cols, want.MaxBytes = 0, 0, int64(r.MaxInputBytes())+workload.MaxNPYPrefixBytes
		return want, nil
	}
	if n, lim := valuesBytes(rec.Rows, rec.Cols), r.MaxInputBytes(); n > lim {
		return want, fmt.Errorf("%w: dataset %d version %d is %d×%d (%d bytes of values), this agent parses at most %d",
			workload.ErrTooLarge, rec.Id, rec.Version, rec.Rows, rec.Cols, n, lim)
	}
	if err := checkDatasetMemory(rec.Rows, rec.RowsPerChunk, r.MaxInputBytes()); err != nil {
		return want, fmt.Errorf("dataset %d version %d: %w", rec.Id, rec.Version, err)
	}
	return want, nil
}

// datasetLoadBytes is what loading a version of a dataset holds beside its
// values, until they are checked: its file (the values again and at most a
// .npy prefix, workload.MaxNPYPrefixBytes) and its chunk index
// (datasetIndexBytes: the chunks' views of the file and their tree),
// saturating.
func datasetLoadBytes(rec datamarkettypes.Dataset) uint64 {
	file := common.SatAdd(valuesBytes(rec.Rows, rec.Cols), workload.MaxNPYPrefixBytes)
	return common.SatAdd(file, datasetIndexBytes(rec.Rows, rec.RowsPerChunk))
}

// modelLoadBytes is what loading a model of weights bytes of parsed values
// holds beside them, until they are parsed: its safetensors file (the
// values again, the header's length and at most the default header,
// workload.DefaultLimits) and extra, the bytes of tensors in the file that
// the parser reads and drops (a gpt-f32 file's attention masks),
// saturating.
func modelLoadBytes(weights, extra uint64) uint64 {
	header := uint64(8 + workload.DefaultLimits().MaxHeaderBytes)
	return common.SatAdd(common.SatAdd(weights, header), extra)
}

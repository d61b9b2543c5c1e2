package jobexec

import (
	"fmt"
	"math"

	"github.com/aichain/aichain/dataserver"
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

// valuesBytes is rows × cols 4-byte values in bytes, saturating.
func valuesBytes(rows, cols uint64) uint64 {
	if cols != 0 && rows > math.MaxUint64/4/cols {
		return math.MaxUint64
	}
	return rows * cols * 4
}

// downloadBounds is what a dataset version's download must match: its
// sha256 and shape, read up to rows·cols·4 bytes and a header, which is
// within the parser's file limit; a version larger than the parser takes
// is refused before any byte is read, and one whose record gives no shape
// is read up to that file limit.
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
	return want, nil
}

package provider

import (
	"os"
	"path/filepath"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload/merkle"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// fallbackDiskBytes is Config.MaxDiskBytes where the free space of the
// chunk directory cannot be read (a platform without statfs).
const fallbackDiskBytes = 64 << 30

// outputDiskBytes is the disk a job's output takes in the ChunkStore: its
// chunks (Rows × Cols float32s) and their leaf hashes (32 bytes a chunk).
func outputDiskBytes(job computetypes.Job, s jobexec.BidShape) uint64 {
	rows := min(max(job.Workload.ChunkRows, 1), max(s.Rows, 1))
	chunks := (s.Rows + rows - 1) / rows
	return common.SatAdd(outputBytes(s), common.SatMul(chunks, merkle.HashSize))
}

// diskBytes is the disk a record's output takes or will take: what it
// reserved at its bid, or, for a record kept before it did, its chunks and
// leaf hashes once executed.
func (r *Record) diskBytes() uint64 {
	return max(r.OutputBytes, common.SatMul(r.ChunkCount, common.SatAdd(r.ChunkBytes, merkle.HashSize)))
}

// admitDisk refuses ("disk") a job whose output would not fit the agent's
// disk budget (Config.MaxDiskBytes) beside the outputs of the jobs it holds:
// every record from its bid until it is purged (--retention after the job
// ends) keeps or will keep its output in the ChunkStore. Without it a
// requester posting jobs of wide outputs (a gemm with K = 1: a GiB of output
// for 0.5 GFLOP) had the agent bid on more output than its disk holds; won,
// every Put after the disk filled failed, the honest requesters' jobs too,
// and each timed out (TestAttackWideOutputJobsFillTheChunkDisk). It reads
// the records, so it runs on the pipeline's goroutine (decide), not in a
// sizing.
func (a *Agent) admitDisk(job computetypes.Job, s jobexec.BidShape) string {
	need := outputDiskBytes(job, s)
	var held uint64
	for id, r := range a.recs {
		if id != job.Id {
			held = common.SatAdd(held, r.diskBytes())
		}
	}
	if common.SatAdd(held, need) > a.cfg.MaxDiskBytes {
		a.log.Info("not bidding: its output does not fit the disk budget beside the outputs held", "job", job.Id,
			"output_bytes", need, "held_bytes", held, "budget", a.cfg.MaxDiskBytes)
		return "disk"
	}
	return ""
}

// defaultDiskBytes is the disk budget of the outputs kept under dir (the
// ChunkStore's): the free space of its file system now, plus what the
// outputs already there take (they are held records' and counted against
// the budget: a restart does not shrink it). fallbackDiskBytes where the
// free space cannot be read.
func defaultDiskBytes(dir string) uint64 {
	free, ok := freeBytes(dir)
	if !ok {
		return fallbackDiskBytes
	}
	var used uint64
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
				used = common.SatAdd(used, uint64(max(info.Size(), 0)))
			}
		}
	}
	return common.SatAdd(free, used)
}

// freeBytes is the space an unprivileged writer may still take on the file
// system of dir or, where dir does not exist yet, of its nearest existing
// parent; ok is false where it cannot be read.
func freeBytes(dir string) (uint64, bool) {
	for {
		if n, ok := statfsFree(dir); ok {
			return n, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return 0, false
		}
		dir = parent
	}
}

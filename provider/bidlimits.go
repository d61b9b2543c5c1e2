package provider

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/types/common"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// admitShape applies the agent's own limits to a job's bid shape under the
// job's params p (its terms in place of the params in force: the chain
// verifies it under them), each a reason not to bid (a label of
// jobs_skipped_total) where the job would be won and then lost:
//   - "output size": a chunk beyond --max-chunk-bytes, the output beyond
//     --max-output-bytes;
//   - "dataset size": the input rows beyond --max-output-bytes;
//   - "dataset over parse limit": inputs its resolver will not parse
//     (jobexec.MaxInputBytes), which it would abort on while the validators
//     find them available (TestAttackDatasetOverParserLimitIsNotBidOn);
//   - "chunk work", "verification work": see admitVerification;
//   - "memory": see admitMemory.
//
// The disk its output takes is weighed against the outputs the agent
// already holds as it decides (admitDisk), on the pipeline's goroutine.
func (a *Agent) admitShape(job computetypes.Job, s jobexec.BidShape, p computetypes.Params) string {
	// Saturated: Cols × 4 wrapped to a small row for Cols past 2⁶².
	chunkBytes := common.SatMul(common.SatMul(min(job.Workload.ChunkRows, s.Rows), s.Cols), 4)
	if chunkBytes > a.cfg.MaxChunkBytes || outputBytes(s) > a.cfg.MaxOutputBytes || s.Cols == 0 {
		return "output size"
	}
	if s.InputBytes > a.cfg.MaxOutputBytes {
		return "dataset size"
	}
	if lim := jobexec.MaxInputBytes(a.cfg.MLP); s.InputBytes > lim {
		a.log.Info("not bidding: the dataset exceeds what the agent parses", "job", job.Id, "dataset", s.DatasetID,
			"bytes", s.InputBytes, "limit", lim)
		return "dataset over parse limit"
	}
	if why := a.admitVerification(job, s, p); why != "" {
		return why
	}
	return a.admitMemory(job, s)
}

// admitVerification bounds what verifying a job costs the validators where
// the chain does not (an mlp-f32 job records mul_adds 0: its model's work is
// not on chain). A sampled chunk a sidecar cannot recompute within the
// verification window makes the verification inconclusive, and an
// inconclusive verification pays the provider nothing
// (TestAttackMLPSampledChunkWorkIsBounded). So:
//   - "chunk work": one chunk (chunk_rows × the row's multiply-adds) is
//     within what the chain lets a gpt-f32 chunk cost
//     (computetypes.GPTMaxChunkMulAdds);
//   - "verification work": the chunks sampled (the assurance bought, else
//     samples_per_job, at most the chunk count) are within
//     max_work_per_exec_block × verification_blocks, the bound the chain
//     puts on a job's sampled work where it knows it (Params.AdmitAssurance).
//
// The chunks a requester adds by a dispute (max_dispute_chunks) are not
// counted, as the chain does not count them either.
func (a *Agent) admitVerification(job computetypes.Job, s jobexec.BidShape, p computetypes.Params) string {
	if s.RowMulAdds == 0 {
		return ""
	}
	rows := min(max(job.Workload.ChunkRows, 1), s.Rows)
	chunk := common.SatMul(rows, s.RowMulAdds)
	if chunk > computetypes.GPTMaxChunkMulAdds {
		a.log.Info("not bidding: a sampled chunk is more work than verifiers may spend", "job", job.Id,
			"chunk_mul_adds", chunk, "limit", uint64(computetypes.GPTMaxChunkMulAdds))
		return "chunk work"
	}
	samples := uint64(p.SamplesPerJob)
	if job.SamplesBought > 0 {
		samples = job.SamplesBought
	}
	if chunks := job.ExpectedChunkCount; chunks > 0 {
		samples = min(samples, chunks)
	}
	budget := common.SatMul(p.MaxWorkPerExecBlock, p.VerificationBlocks)
	if sampled := common.SatMul(samples, chunk); sampled > budget {
		a.log.Info("not bidding: the sampled chunks are more work than the verification window allows", "job", job.Id,
			"sampled_mul_adds", sampled, "budget", budget)
		return "verification work"
	}
	return ""
}

// admitMemory refuses a job that would not fit the agent's memory budget
// (Config.MaxMemoryBytes: half the host's by default, less what its model
// and dataset source and its chunk store keep in memory: jobsMemory) were
// every job in memory at once like it: its HeldBytes (a gemm's Bᵀ, drawn
// when its inputs are prepared; an mlp's or gpt's dataset values, read when
// it is fetched: TestAttackJobsOverLargeDatasetsOverrunTheMemoryBudget; and
// its model's weights, which the built job holds whether or not the
// resolver's cache keeps them:
// TestAttackJobsOnDistinctModelsOverrunTheMemoryBudget) for each job the
// fetchers and workers hold, for each fetcher its LoadBytes (the file it
// loads beside what it parses from it:
// TestAttackFetchSlotsHoldDatasetFilesBesideTheirValues), and for each
// one running its ExecBytes (a
// gemm's A, an mlp's activations), its output twice (outputMemBytes) and
// its output's Merkle tree (treeMemBytes), built before the chunk store
// keeps it. The output is counted here, not in each kind's ExecBytes: every
// kind's output is held the same way, by the agent's execution
// (Agent.execute). A job whose tree alone is over the chunk store's
// largest (ChunkStore.maxTreeBytes) is refused as well: its tree would be
// rebuilt at every request for its chunks, beside the trees kept.
func (a *Agent) admitMemory(job computetypes.Job, s jobexec.BidShape) string {
	tree := treeMemBytes(chunkCount(job, s))
	if a.chunks != nil && tree > a.chunks.maxTreeBytes() {
		a.log.Info("not bidding: the job's output tree is larger than the trees kept in memory allow", "job", job.Id,
			"tree_bytes", tree, "limit", a.chunks.maxTreeBytes())
		return "memory"
	}
	held := common.SatAdd(common.SatMul(s.HeldBytes, uint64(a.cfg.Fetchers+a.cfg.Workers)),
		common.SatMul(s.LoadBytes, uint64(a.cfg.Fetchers)))
	running := common.SatAdd(common.SatAdd(s.ExecBytes, outputMemBytes(s)), tree)
	need := common.SatAdd(held, common.SatMul(running, uint64(a.cfg.Workers)))
	if budget, cached := a.jobsMemory(); need > budget {
		a.log.Info("not bidding: the job does not fit the memory budget", "job", job.Id,
			"held_bytes", s.HeldBytes, "model_bytes", s.ModelBytes, "load_bytes", s.LoadBytes, "exec_bytes", s.ExecBytes,
			"output_bytes", outputBytes(s), "tree_bytes", tree,
			"budget", a.cfg.MaxMemoryBytes, "cached_bytes", cached)
		return "memory"
	}
	return ""
}

// chunkCount is the chunks of a job's output: its rows in chunks of
// chunk_rows (at least one a chunk).
func chunkCount(job computetypes.Job, s jobexec.BidShape) uint64 {
	per := max(job.Workload.ChunkRows, 1)
	return s.Rows/per + min(s.Rows%per, 1)
}

// outputMemBytes is the memory a job's output takes while it runs: the
// backend's Rows × Cols float32s and, beside them, their byte encoding
// (workload.ComputeChunks: SplitChunks, EncodeFloats), until ChunkStore.Put
// has written them (TestAttackWideOutputJobsOverrunTheMemoryBudget).
func outputMemBytes(s jobexec.BidShape) uint64 {
	return common.SatMul(common.SatMul(s.Rows, s.Cols), 4*2)
}

// DefaultMemoryBytes is half the memory this process may use: the smaller
// of the host's (/proc/meminfo) and its cgroup's limit, or 8 GiB where
// neither can be read.
func DefaultMemoryBytes() uint64 {
	total := uint64(math.MaxUint64)
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "MemTotal:" && f[2] == "kB" {
				if kb, err := strconv.ParseUint(f[1], 10, 64); err == nil {
					total = kb << 10
				}
			}
		}
		_ = f.Close()
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
			total = min(total, n)
		}
	}
	if total == math.MaxUint64 {
		return 8 << 30
	}
	return total / 2
}

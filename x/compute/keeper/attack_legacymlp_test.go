package keeper_test

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackPreUpgradeMLPModelSkipsTheWorkBounds: hostile is a model owner
// and requester. Before v3-verification, the old release registers an
// mlp-f32 model with input and output dims only (no hidden widths existed):
// here 8→16384→8192→4, 134,381,568 multiply-adds a row. The upgrade runs no
// migration for such a model (modelregistry 1→4 only files names, weights
// and skeletons) and the registry resolves it with its work unknown (0), so
// after the upgrade every job on it skips the rules the upgrade brings for
// mlp jobs: the exec window covering the work at max_work_per_exec_block,
// the 2^37 chunk bound and the verification budget. A job of 4,000 rows in
// chunks of 1,000 with the shortest exec window (min_exec_blocks) and no assurance is admitted,
// whereas the same model registered after the upgrade is refused: an honest
// winner cannot finish it in time and no sidecar can recompute its sampled
// chunks within the window (inconclusive: the winner unpaid, a cheater
// unpunished). Honest outcome: the job is refused with a typed error and
// the requester keeps its balance to the coin.
func TestAttackPreUpgradeMLPModelSkipsTheWorkBounds(t *testing.T) {
	s, _ := s0(t)
	req := s.acc(0)
	work, _ := workload.MLPWork(mrtypes.RowMulAdds([]uint64{8, 16384, 8192, 4}), 3, 4000, 1000)
	model, dataset := s.wideMLPInputs(s.acc(2), []uint64{16384, 8192}, 4000)

	p, err := s.k.Params.Get(s.ta.Ctx)
	must(t, err)
	msg := s.wideMLPMsg(req, model, dataset, 1, nil)
	msg.ExecBlocks = p.MinExecBlocks // the shortest window the chain takes
	// Registered after the upgrade (widths recorded), the job is refused.
	if _, err := s.ms.CreateJob(s.ta.Ctx, msg); err == nil {
		t.Fatal("set-up: the job on the model with recorded widths was admitted")
	}

	// The same model as the pre-upgrade release stored it: no layer widths.
	m, err := s.ta.ModelRegistryKeeper.GetModel(s.ta.Ctx, model)
	must(t, err)
	m.LayerWidths = nil
	must(t, s.ta.ModelRegistryKeeper.Models.Set(s.ta.Ctx, model, m))

	before := s.bal(req)
	res, err := s.ms.CreateJob(s.ta.Ctx, msg)
	if err == nil {
		j := s.job(res.JobId)
		t.Fatalf("job %d on the pre-upgrade model admitted: mul_adds %d (the work is %d), exec window %d blocks (%d needed at max_work_per_exec_block)",
			j.Id, j.MulAdds, work, msg.ExecBlocks, (work-1)/p.MaxWorkPerExecBlock+1)
	}
	if !errors.Is(err, types.ErrInvalidWindow) && !errors.Is(err, types.ErrInvalidAssurance) && !errors.Is(err, types.ErrInvalidWorkload) {
		t.Fatalf("the job on the pre-upgrade model: %v, want a typed refusal", err)
	}
	if got := s.bal(req); !got.Equal(before) {
		t.Fatalf("the refused requester's balance %s → %s", before, got)
	}
}

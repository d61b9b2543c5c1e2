package keeper_test

import (
	"fmt"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackBoughtSamplesBloatTheJobsUnpaidBlockWork: a requester buying
// assurance on many chunks (up to MaxAssuranceSamples, 2,048) makes the
// draw write every index into the job's record (up to 3 bytes each), which
// each later block path (the check's end and its decision, settlement,
// pruning) reads and writes whole under the block's infinite gas meter.
// MsgCreateJob's block-work charge counted the spec and the share holders,
// not the samples bought (the per-validator verdict charge counts them for
// the verdicts alone): 256,302 gas of block work with 4 samples, 674,874
// with 2,048, against a flat 250,000. The honest outcome (rule 19): a job's
// block work is at most what its messages were charged for it, with 4
// samples or 2,048. Now a job buying assurance pays AssuranceBlockGas and
// SampleIndexBlockGas a sample (Job.TermsBlockGas): 271,200 and 884,400.
func TestAttackBoughtSamplesBloatTheJobsUnpaidBlockWork(t *testing.T) {
	for _, samples := range []uint32{4, types.MaxAssuranceSamples} {
		t.Run(fmt.Sprintf("%d samples", samples), func(t *testing.T) {
			s, _ := assuranceSuite(t)
			p := s.params()
			p.RetentionBlocks = 4
			s.setParams(p)
			prov := s.acc(1)
			s.registerAny(prov, 1_000_000)
			s.next(1)
			idle := s.blockWork()
			var id uint64
			var w types.WorkloadSpec
			s.msgGas(func() {
				msg := s.createMsg(s.acc(0), verifyPrice)
				msg.Workload.Gemm.M, msg.Workload.ChunkRows = uint64(samples), 1
				msg.Assurance = &types.Assurance{Samples: samples}
				w = msg.Workload
				res, err := s.ms.CreateJob(s.ta.Ctx, msg)
				must(t, err)
				id = res.JobId
			})
			charged := w.BlockGas() + s.job(id).TermsBlockGas() + types.CommitBlockGas
			s.commit(prov, id, verifyPrice)
			work, submitted := s.liveToPruning(id, idle, []sdk.AccAddress{prov}, []int64{verifyPrice}, true)
			if !submitted {
				t.Fatal("set-up: the job was never assigned")
			}
			t.Logf("%d samples bought: block work %d, charged %d (%.2f×)", samples, work, charged, float64(work)/float64(charged))
			if work > charged {
				t.Errorf("%d samples bought: the job's life did %d gas of block work, %d charged for it (%.2f×)",
					samples, work, charged, float64(work)/float64(charged))
			}
		})
	}
}

package types_test

import (
	"context"
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackMLPJobTooHeavyToVerify: the chain recorded an mlp job's
// multiply-adds as 0 (the model's hidden widths were not on chain), so it
// admitted jobs whose one chunk was 8.8·10^12 multiply-adds (a 4096-wide
// model of 8 layers, 65,536 rows a chunk) and whose sampled chunks no
// sidecar could recompute within the verification window: the verdict
// inconclusive, the winner unpaid, the requester's verification fee spent
// on nothing. Now the registry records the model's layer widths and the job
// its work, rows × Σ in·out: a chunk beyond GPTMaxChunkMulAdds is refused,
// the exec window must cover the work at max_work_per_exec_block, and the
// sampled work must fit the verification budget, as for gemm and gpt jobs.
// A model registered before the widths were recorded no longer takes new
// jobs: its work is unknown.
func TestAttackMLPJobTooHeavyToVerify(t *testing.T) {
	ctx := context.Background()
	shares := []common.Share{{Address: sdk.AccAddress(make([]byte, 20)).String(), Weight: 1}}
	datasets := fakeDatasets{terms: common.DatasetTerms{Version: 1, Rows: 1 << 18, Cols: 4096, RowsPerChunk: 16, ContentRoot: []byte{7},
		Fee: sdk.NewCoins(), Shares: shares}}
	deep := common.ModelTerms{Architecture: workload.KindMLP, InputDim: 4096, OutputDim: 1,
		RowMulAdds: 8*4096*4096 + 4096, Layers: 9, Fee: sdk.NewCoins(), Shares: shares}
	st := types.KindState{Models: fakeModels{terms: deep}, Datasets: datasets}
	spec := func(chunkRows uint64) types.WorkloadSpec {
		return types.WorkloadSpec{Kind: workload.KindMLP, ChunkRows: chunkRows, Mlp: &types.MlpSpec{ModelId: 3, DatasetId: 5}}
	}
	if _, _, err := types.ResolveWorkload(ctx, st, spec(65536), "aic1req"); !errors.Is(err, types.ErrInvalidWorkload) {
		t.Fatalf("a chunk of 65,536 rows through 8 layers of 4096: %v, want ErrInvalidWorkload", err)
	}
	_, terms, err := types.ResolveWorkload(ctx, st, spec(16), "aic1req")
	if err != nil {
		t.Fatalf("chunks of 16 rows (%d multiply-adds each): %v", 16*deep.RowMulAdds, err)
	}
	// Since the mlp charge counts kernel calls and weight reads: each 16-row
	// chunk adds one call's charge a layer and its read of the weights
	// (workload.MLPWork).
	perChunk := deep.Layers*workload.GPTCallMulAdds + deep.RowMulAdds/workload.GPTWeightReadDiv
	if want := uint64(1<<18)*deep.RowMulAdds + uint64(1<<18)/16*perChunk; terms.Shape.MulAdds != want {
		t.Fatalf("the job records %d multiply-adds, want rows × per row + chunks × (layers × a call + the weights' read) = %d", terms.Shape.MulAdds, want)
	}
	p := types.DefaultParams()
	if err := p.AdmitJob(terms.Shape, 16, 100); !errors.Is(err, types.ErrInvalidWindow) {
		t.Fatalf("3.5·10^13 multiply-adds in 100 exec blocks: %v, want ErrInvalidWindow", err)
	}
	chunks := uint64(1<<18) / 16
	if _, err := p.AdmitAssurance(types.Assurance{Samples: 64}, terms.Shape, 16, chunks); !errors.Is(err, types.ErrInvalidAssurance) {
		t.Fatalf("64 sampled chunks of 2.1·10^9 multiply-adds each: %v, want ErrInvalidAssurance", err)
	}

	// A model registered before the widths were recorded: its work is
	// unknown, and a new job on it is refused
	// (TestAttackPreUpgradeMLPModelSkipsTheWorkBounds).
	legacy := deep
	legacy.RowMulAdds, legacy.Layers = 0, 0
	_, _, err = types.ResolveWorkload(ctx, types.KindState{Models: fakeModels{terms: legacy}, Datasets: datasets}, spec(16), "aic1req")
	if !errors.Is(err, types.ErrInvalidWorkload) {
		t.Fatalf("a model without recorded widths: %v, want ErrInvalidWorkload", err)
	}
}

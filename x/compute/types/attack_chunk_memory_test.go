package types_test

import (
	"context"
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackChunkActivationsKnockOutSidecars: a provider (with a requester
// of its own) posts a job whose sampled chunk is cheap to serve and to
// compute but huge to hold. A 1→8192→1 model (64 KiB of weights) over
// 2^18 rows of one column in one chunk is 2 MiB of output and input rows
// and 2^32 multiply-adds, within max_chunk_bytes, the chunk's work bound and
// the verification budget; recomputing it holds a 2^18 × 8192 activation,
// 8 GiB, on every validator's sidecar (16 GiB with two workers), which a
// smaller host's kernel kills at every poll, stopping every other job's
// verification. A gemm-f32 product with K·N = 2^31 holds Bᵀ, 8 GiB, whatever
// its chunk. The chain now refuses a job whose sampled chunk holds more than
// MaxChunkExecBytes, and admits the same model in chunks small enough.
func TestAttackChunkActivationsKnockOutSidecars(t *testing.T) {
	ctx := context.Background()
	shares := []common.Share{{Address: sdk.AccAddress(make([]byte, 20)).String(), Weight: 1}}
	widths := []uint64{1, 8192, 1}
	wide := common.ModelTerms{Architecture: workload.KindMLP, InputDim: 1, OutputDim: 1,
		RowMulAdds: mrtypes.RowMulAdds(widths), RowValues: mrtypes.RowValues(widths), Fee: sdk.NewCoins(), Shares: shares}
	if wide.RowValues != 8193 {
		t.Fatalf("row values %d, want the widest layer's input and output, 8193", wide.RowValues)
	}
	st := types.KindState{Models: fakeModels{terms: wide}, Datasets: fakeDatasets{terms: common.DatasetTerms{
		Version: 1, Rows: 1 << 18, Cols: 1, RowsPerChunk: 1 << 18, ContentRoot: []byte{7}, Fee: sdk.NewCoins(), Shares: shares}}}
	p := types.DefaultParams()
	admit := func(chunkRows uint64) error {
		_, terms, err := types.ResolveWorkload(ctx, st, types.WorkloadSpec{Kind: workload.KindMLP, ChunkRows: chunkRows,
			Mlp: &types.MlpSpec{ModelId: 3, DatasetId: 5}}, "aic1req")
		if err != nil {
			return err
		}
		return p.AdmitJob(terms.Shape, chunkRows, 1000)
	}
	if err := admit(1 << 18); !errors.Is(err, types.ErrInvalidWorkload) {
		t.Fatalf("a chunk of 2^18 rows through a layer of 8192 (8 GiB held): %v, want ErrInvalidWorkload", err)
	}
	if err := admit(1 << 14); err != nil {
		t.Fatalf("chunks of 2^14 rows (512 MiB held): %v", err)
	}

	gemm := func(n, k, chunkRows uint64) error {
		w := types.WorkloadSpec{Kind: workload.KindGemm, Gemm: &types.GemmSpec{M: 64, N: n, K: k, Seed: 1}, ChunkRows: chunkRows}
		_, terms, err := types.ResolveWorkload(ctx, types.KindState{}, w, "aic1req")
		if err != nil {
			return err
		}
		return p.AdmitJob(terms.Shape, chunkRows, 1000)
	}
	if err := gemm(1, 1<<31-1, 1); !errors.Is(err, types.ErrInvalidWorkload) {
		t.Fatalf("a product with K = 2^31-1 (Bᵀ 8 GiB): %v, want ErrInvalidWorkload", err)
	}
	if err := gemm(1, 1<<20, 1); err != nil {
		t.Fatalf("a product with K = 2^20 (Bᵀ 4 MiB): %v", err)
	}
}

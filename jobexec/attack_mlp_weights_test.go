package jobexec

import (
	"context"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackOneRowMLPChunksChargedBelowTheirWeightReads: a requester posts
// an mlp-f32 job on a model of wide layers in chunks of one row. Each chunk
// is one matrix-vector product a layer: it reads every weight for one row,
// and waits on that memory rather than on its products, which the chain
// charged as a gemm's (1.3–2.2× a gemm's time per charged multiply-add for
// four 1024-wide layers on the CPU backend,
// accel/cpu's BenchmarkMLPWorkPerChargedUnit). A chunk is now charged, besides
// its rows and calls, its read of the weights (workload.MLPWork, at
// GPTWeightReadDiv as a gpt-f32 pass). Here the chain's charge for a chunk
// is at least what a verifier's Model.Forward of it counts: its products,
// MLPOutputMulAdds per output, GPTCallMulAdds per call and one per
// GPTWeightReadDiv weights read.
func TestAttackOneRowMLPChunksChargedBelowTheirWeightReads(t *testing.T) {
	ctx := context.Background()
	const width, layers, rows = 256, 3, 8
	widths := []uint64{width, width, width, width}
	if err := modelregistrytypes.ValidateLayerWidths(modelregistrytypes.ArchitectureMLPF32, width, width, widths); err != nil {
		t.Fatalf("the model is not registrable: %v", err)
	}
	shares := []common.Share{{Address: sdk.AccAddress(make([]byte, 20)).String(), Weight: 1}}
	mterms := common.ModelTerms{Architecture: workload.KindMLP, InputDim: width, OutputDim: width,
		RowMulAdds: modelregistrytypes.RowMulAdds(widths), Layers: modelregistrytypes.MLPLayers(widths),
		RowValues: modelregistrytypes.RowValues(widths), Fee: sdk.NewCoins(), Shares: shares}
	dterms := common.DatasetTerms{Version: 1, Rows: rows, Cols: width, RowsPerChunk: rows, ContentRoot: []byte{7},
		Fee: sdk.NewCoins(), Shares: shares}
	spec := computetypes.WorkloadSpec{Kind: workload.KindMLP, ChunkRows: 1,
		Mlp: &computetypes.MlpSpec{ModelId: 3, DatasetId: 5}}
	_, terms, err := computetypes.ResolveWorkload(ctx, computetypes.KindState{Models: termsModels{terms: mterms}, Datasets: termsDatasets{terms: dterms}}, spec, "aic1req")
	if err != nil {
		t.Fatalf("the chain refuses the job: %v", err)
	}
	chargedPerChunk := terms.Shape.MulAdds / rows

	m := &workload.Model{}
	for i := 0; i < layers; i++ {
		m.Layers = append(m.Layers, workload.Layer{In: width, Out: width, Weight: make([]float32, width*width), Bias: make([]float32, width)})
	}
	job, err := workload.NewMLPJob(m, &workload.Matrix{Rows: rows, Cols: width, Data: make([]float32, rows*width)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	b := &countingBackend{inner: cpu.New()}
	if _, err := workload.ComputeChunk(ctx, job, b, 0); err != nil {
		t.Fatal(err)
	}
	calls, weights := uint64(b.calls.Load()), uint64(b.weights.Load())
	done := uint64(b.products.Load()) + workload.MLPOutputMulAdds*uint64(b.outputs.Load()) +
		calls*workload.GPTCallMulAdds + weights/workload.GPTWeightReadDiv
	t.Logf("a one-row chunk: charged %d multiply-adds; counted %d products, %d outputs, %d calls, %d weights read: %d",
		chargedPerChunk, b.products.Load(), b.outputs.Load(), calls, weights, done)
	if chargedPerChunk < done {
		t.Fatalf("a one-row chunk that reads %d weights is charged %d multiply-adds, want ≥ %d", weights, chargedPerChunk, done)
	}
}

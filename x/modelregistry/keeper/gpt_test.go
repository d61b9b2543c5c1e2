package keeper_test

import (
	"slices"
	"testing"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestRegisterGPTModel: a gpt-f32 model keeps its config, which x/compute
// reads with the architecture in the job terms; an mlp model's terms say
// mlp-f32 and carry no config.
func TestRegisterGPTModel(t *testing.T) {
	f := setup(t)
	alice := f.addr(0)
	cfg := &types.GptConfig{Layers: 2, Heads: 4, Embed: 64, Vocab: 256, Context: 128}
	msg := registerMsg(alice, "tiny-gpt", "1")
	msg.Architecture, msg.InputDim, msg.OutputDim, msg.Gpt = types.ArchitectureGPTF32, 256, 256, cfg
	id := f.register(t, msg)
	got, err := f.k.GetModel(f.ta.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Gpt == nil || *got.Gpt != *cfg || got.Architecture != workload.KindGPT {
		t.Fatalf("stored %s %+v", got.Architecture, got.Gpt)
	}
	terms, err := f.k.ModelTermsForJob(f.ta.Ctx, id, 3)
	if err != nil {
		t.Fatal(err)
	}
	if terms.Architecture != workload.KindGPT || terms.GPT != (common.GPTShape{Layers: 2, Heads: 4, Embed: 64, Vocab: 256, Context: 128}) {
		t.Fatalf("terms %+v", terms)
	}
	// A new version may change the config; it is validated again.
	next := publishMsg(msg)
	next.Version = "2"
	next.Gpt = &types.GptConfig{Layers: 3, Heads: 4, Embed: 64, Vocab: 256, Context: 256}
	if _, err := f.srv.PublishVersion(f.ta.Ctx, next); err != nil {
		t.Fatal(err)
	}
	next.Version, next.Gpt = "3", &types.GptConfig{Layers: 3, Heads: 5, Embed: 64, Vocab: 256, Context: 256}
	_, err = f.srv.PublishVersion(f.ta.Ctx, next)
	wantErr(t, err, types.ErrInvalidModel, "heads not dividing embed")

	mlp := f.register(t, registerMsg(alice, "mlp", "1"))
	if terms, err := f.k.ModelTermsForJob(f.ta.Ctx, mlp, 3); err != nil || terms.Architecture != workload.KindMLP || terms.GPT != (common.GPTShape{}) {
		t.Fatalf("mlp terms %+v %v", terms, err)
	}
}

// TestRegisterMLPRecordsLayerWidths: an mlp-f32 registration records its
// layer widths (input_dim, hidden_dims, output_dim), a new version its own,
// and x/compute reads the multiply-adds per row from the job terms; a model
// stored without widths (registered before they were recorded) has 0.
func TestRegisterMLPRecordsLayerWidths(t *testing.T) {
	f := setup(t)
	alice := f.addr(0)
	msg := registerMsg(alice, "deep-mlp", "1")
	msg.HiddenDims = []uint64{16, 8}
	id := f.register(t, msg)
	m := f.model(t, id)
	if want := []uint64{msg.InputDim, 16, 8, msg.OutputDim}; !slices.Equal(m.LayerWidths, want) {
		t.Fatalf("stored widths %v, want %v", m.LayerWidths, want)
	}
	terms, err := f.k.ModelTermsForJob(f.ta.Ctx, id, 3)
	if want := msg.InputDim*16 + 16*8 + 8*msg.OutputDim + workload.MLPOutputMulAdds*(16+8+msg.OutputDim); err != nil || terms.RowMulAdds != want {
		t.Fatalf("terms %+v %v, want %d multiply-adds a row", terms, err, want)
	}
	next := publishMsg(msg)
	next.Version, next.HiddenDims = "2", nil
	res, err := f.srv.PublishVersion(f.ta.Ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.model(t, res.ModelId).LayerWidths; !slices.Equal(got, []uint64{msg.InputDim, msg.OutputDim}) {
		t.Fatalf("version 2 (one layer) stored widths %v", got)
	}
	legacy := f.model(t, id)
	legacy.LayerWidths = nil
	if err := f.k.Models.Set(f.ta.Ctx, id, legacy); err != nil {
		t.Fatal(err)
	}
	if terms, err := f.k.ModelTermsForJob(f.ta.Ctx, id, 3); err != nil || terms.RowMulAdds != 0 {
		t.Fatalf("a model without widths: %+v %v", terms, err)
	}
}

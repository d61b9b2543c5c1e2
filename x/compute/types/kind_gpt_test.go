package types_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
)

func gptModels(cfg common.GPTShape) fakeModels {
	shares := []common.Share{{Address: sdk.AccAddress(make([]byte, 20)).String(), Weight: 1}}
	return fakeModels{terms: common.ModelTerms{Architecture: workload.KindGPT, InputDim: cfg.Vocab, OutputDim: cfg.Vocab, GPT: cfg,
		Fee: sdk.NewCoins(sdk.NewInt64Coin("uaic", 300)), Shares: shares}}
}

var tinyShape = common.GPTShape{Layers: 2, Heads: 4, Embed: 64, Vocab: 256, Context: 128}

func inlineGPT(maxNew uint32, prompts ...[]uint32) types.WorkloadSpec {
	g := &types.GptSpec{ModelId: 4, MaxNewTokens: maxNew}
	for _, p := range prompts {
		g.Prompts = append(g.Prompts, types.GptPrompt{Tokens: p})
	}
	return types.WorkloadSpec{Kind: workload.KindGPT, Gpt: g, ChunkRows: 2}
}

// TestResolveGPTInline: inline prompts are the rows; the work is
// workload.GPTConfig.Work of their own lengths (each prompt's tokens × the
// model's parameters, plus attention, elementwise work and kernel calls);
// the columns are the new tokens and the vocabulary.
func TestResolveGPTInline(t *testing.T) {
	ctx := context.Background()
	st := types.KindState{Models: gptModels(tinyShape)}
	w := inlineGPT(16, []uint32{72, 105}, []uint32{1, 2, 3, 4, 5})
	k, terms, err := types.ResolveWorkload(ctx, st, w, "aic1req")
	if err != nil || k.Name != workload.KindGPT {
		t.Fatal(k.Name, err)
	}
	cfg := workload.GPTConfig{Layers: 2, Heads: 4, Embed: 64, Vocab: 256, Context: 128}
	// One chunk of both prompts, charged as its costliest chunk (recordedWork:
	// chunk_rows prompts of the widest length), above their own lengths' work.
	want := cfg.Work(2, 5, []int{2, 5}, 16, 2).Chunk
	if own := cfg.Work(2, 5, []int{2, 5}, 16, 2).Job; want <= own {
		t.Fatalf("the costliest chunk %d is not above the prompts' own work %d", want, own)
	}
	if terms.Shape != (types.WorkloadShape{Rows: 2, Cols: 16 + 256, MulAdds: want}) || terms.ModelID != 4 || terms.DatasetID != 0 {
		t.Fatalf("terms %+v, want 2 rows × 272, %d multiply-adds", terms.Shape, want)
	}
	gpt2 := common.GPTShape{Layers: 12, Heads: 12, Embed: 768, Vocab: 50257, Context: 1024}
	long := make([]uint32, 1000)
	for name, c := range map[string]struct {
		st   types.KindState
		w    types.WorkloadSpec
		want string
	}{
		"no models":        {types.KindState{}, w, "x/modelregistry is not wired"},
		"mlp model":        {types.KindState{Models: fakeModels{terms: common.ModelTerms{Architecture: workload.KindMLP, InputDim: 4, OutputDim: 2}}}, w, "needs a gpt-f32 model"},
		"token past vocab": {st, inlineGPT(1, []uint32{256}), "outside the vocabulary"},
		"context":          {st, inlineGPT(120, []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}), "exceed the model's context"},
		"chunk bytes":      {types.KindState{Models: gptModels(gpt2)}, func() types.WorkloadSpec { w := inlineGPT(1, []uint32{1}); w.ChunkRows = 64; return w }(), ""},
		"chunk work":       {types.KindState{Models: gptModels(gpt2)}, inlineGPT(20, long, long), "per chunk"},
	} {
		_, _, err := types.ResolveWorkload(ctx, c.st, c.w, "aic1req")
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}
	// The chunk bytes are the params' max_chunk_bytes, as for every kind: at
	// the default 4 MiB, 20 GPT-2 prompts fit in a chunk (20 × 50258 × 4
	// bytes) and 21 do not.
	many := inlineGPT(1)
	for i := 0; i < 21; i++ {
		many.Gpt.Prompts = append(many.Gpt.Prompts, types.GptPrompt{Tokens: []uint32{1}})
	}
	params := types.DefaultParams()
	for rows, want := range map[uint64]string{21: "more than max_chunk_bytes 4194304", 20: ""} {
		many.ChunkRows = rows
		_, terms, err := types.ResolveWorkload(ctx, types.KindState{Models: gptModels(gpt2)}, many, "aic1req")
		if err != nil {
			t.Fatalf("%d GPT-2 prompts per chunk: %v", rows, err)
		}
		err = params.AdmitJob(terms.Shape, rows, params.MaxExecBlocks)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Fatalf("%d GPT-2 prompts per chunk: %v, want %q", rows, err, want)
		}
	}
}

// TestGPTChunkBoundFitsGPT2: GPTMaxChunkMulAdds is one GPT-2-small prompt
// over its whole context, charged as the chain charges it (products,
// elementwise work, kernel calls and the chunk's weights).
func TestGPTChunkBoundFitsGPT2(t *testing.T) {
	gpt2 := workload.GPTConfig{Layers: 12, Heads: 12, Embed: 768, Vocab: 50257, Context: 1024}
	if w := gpt2.Work(1, 1024, nil, 0, 1); w.Chunk > types.GPTMaxChunkMulAdds || 2*w.Chunk <= types.GPTMaxChunkMulAdds {
		t.Fatalf("a GPT-2-small prompt over its context is charged %d, the chunk bound is %d", w.Chunk, uint64(types.GPTMaxChunkMulAdds))
	}
}

// TestResolveGPTDataset: a prompt dataset must be npy-i32; its rows are the
// prompts and its columns their width.
func TestResolveGPTDataset(t *testing.T) {
	ctx := context.Background()
	shares := []common.Share{{Address: sdk.AccAddress(make([]byte, 20)).String(), Weight: 1}}
	ds := fakeDatasets{terms: common.DatasetTerms{Format: "npy-i32", Version: 1, Rows: 10, Cols: 12, RowsPerChunk: 4,
		ContentRoot: []byte{1}, Fee: sdk.NewCoins(sdk.NewInt64Coin("uaic", 70)), Shares: shares}}
	w := types.WorkloadSpec{Kind: workload.KindGPT, Gpt: &types.GptSpec{ModelId: 4, DatasetId: 9, MaxNewTokens: 8}, ChunkRows: 3}
	st := types.KindState{Models: gptModels(tinyShape), Datasets: ds}
	_, terms, err := types.ResolveWorkload(ctx, st, w, "aic1req")
	if err != nil {
		t.Fatal(err)
	}
	cfg := workload.GPTConfig{Layers: 2, Heads: 4, Embed: 64, Vocab: 256, Context: 128}
	// Four chunks, the last of one prompt: each charged as a full chunk
	// (recordedWork), above Work.Job, which counts the last at its size.
	work := cfg.Work(10, 12, nil, 8, 3)
	if 4*work.Chunk <= work.Job {
		t.Fatalf("4 full chunks %d are not above the job's work %d with its short last chunk", 4*work.Chunk, work.Job)
	}
	if terms.Shape != (types.WorkloadShape{Rows: 10, Cols: 264, MulAdds: 4 * work.Chunk, InputCols: 12, InputRowsPerChunk: 4}) ||
		terms.DatasetID != 9 || terms.Dataset.Version != 1 {
		t.Fatalf("terms %+v", terms)
	}
	f32 := ds
	f32.terms.Format = "npy-f32"
	if _, _, err := types.ResolveWorkload(ctx, types.KindState{Models: gptModels(tinyShape), Datasets: f32}, w, "aic1req"); !errors.Is(err, types.ErrInvalidWorkload) {
		t.Fatalf("an npy-f32 prompt dataset: %v", err)
	}
	if _, _, err := types.ResolveWorkload(ctx, types.KindState{Models: gptModels(tinyShape)}, w, "aic1req"); !errors.Is(err, types.ErrDatasetsUnavailable) {
		t.Fatalf("no datamarket: %v", err)
	}
}

func TestValidateGPT(t *testing.T) {
	tooMany := inlineGPT(1)
	for i := 0; i <= types.GPTMaxInlinePrompts; i++ {
		tooMany.Gpt.Prompts = append(tooMany.Gpt.Prompts, types.GptPrompt{Tokens: []uint32{1}})
	}
	both := inlineGPT(1, []uint32{1})
	both.Gpt.DatasetId = 3
	noModel := inlineGPT(1, []uint32{1})
	noModel.Gpt.ModelId = 0
	for name, w := range map[string]types.WorkloadSpec{
		"neither":      inlineGPT(1),
		"both":         both,
		"no model":     noModel,
		"empty prompt": inlineGPT(1, []uint32{}),
		"too many":     tooMany,
		"too long":     inlineGPT(1, make([]uint32, types.GPTMaxInlineTokens+1)),
		"max_new":      inlineGPT(workload.MaxGPTContext+1, []uint32{1}),
		"with mlp": func() types.WorkloadSpec {
			w := inlineGPT(1, []uint32{1})
			w.Mlp = &types.MlpSpec{ModelId: 1, DatasetId: 1}
			return w
		}(),
	} {
		if _, err := w.Validate(); !errors.Is(err, types.ErrInvalidWorkload) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if rows, err := inlineGPT(4, []uint32{1}, []uint32{2, 3}).Validate(); err != nil || rows != 2 {
		t.Fatalf("valid spec: %d rows, %v", rows, err)
	}
}

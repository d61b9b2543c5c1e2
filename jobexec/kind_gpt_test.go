package jobexec

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/workload/merkle"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

var testGPTConfig = modelregistrytypes.GptConfig{Layers: 1, Heads: 2, Embed: 16, Vocab: 256, Context: 24}

// gptFixture is a gpt-f32 model served from a file and a prompt dataset
// (npy-i32, 11 prompts of up to 6 tokens, chunked by 4 rows) served by a
// dataset server, behind a provider's and a verifier's resolver.
type gptFixture struct {
	model    *workload.GPTModel
	prompts  *workload.TokenMatrix
	rec      datamarkettypes.Dataset
	provider *ChainResolver
	verifier *ChainResolver
}

func newGPTFixture(t *testing.T) gptFixture {
	t.Helper()
	model, err := workload.RandomGPT(testGPTConfig.Workload(), 5)
	if err != nil {
		t.Fatal(err)
	}
	weights, err := workload.EncodeGPTSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "gpt.safetensors")
	if err := os.WriteFile(path, weights, 0o644); err != nil {
		t.Fatal(err)
	}
	p := &workload.TokenMatrix{Rows: 11, Cols: 6, Data: make([]int32, 66)}
	for i := range p.Data {
		p.Data[i] = int32(workload.SplitMixAt(9, uint64(i)) % 256)
		if i%6 > (i/6)%6 {
			p.Data[i] = workload.PromptPad
		}
	}
	npy, err := workload.EncodeNPYInt32(p)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := dataset.Describe(npy, 4)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(npy) }))
	t.Cleanup(srv.Close)
	rec := datamarkettypes.Dataset{Id: 2, Format: datamarkettypes.FormatNpyI32, Rows: 11, Cols: 6, RowsPerChunk: 4,
		ContentRoot: desc.Root(), Sha256: desc.Sha256, Version: 1, Uri: srv.URL}
	mrec := modelregistrytypes.Model{Id: 7, Architecture: workload.KindGPT, Sha256: workload.SHA256Hex(weights),
		Uri: "file://" + path, InputDim: 256, OutputDim: 256, Gpt: &testGPTConfig}
	cfg := ResolverConfig{Models: fakeModels{model: mrec}, Datasets: fakeDatasets{ds: rec}, Fetch: FetchPolicy{AllowLocal: true}}
	verifier := NewChainResolver(cfg)
	cfg.Signer = signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}
	return gptFixture{model: model, prompts: p, rec: rec, provider: NewChainResolver(cfg), verifier: verifier}
}

// TestGPTDatasetJob: a provider builds a gpt-f32 job over a prompt dataset,
// serves each chunk with its prompts, and a verifier without a licence
// checks them against the content root and recomputes the chunk; a chunk
// whose prompts were swapped is refused.
func TestGPTDatasetJob(t *testing.T) {
	ctx := context.Background()
	f := newGPTFixture(t)
	spec := computetypes.WorkloadSpec{Kind: workload.KindGPT, Gpt: &computetypes.GptSpec{ModelId: 7, DatasetId: 2, MaxNewTokens: 5}, ChunkRows: 3}
	job := computetypes.Job{Id: 1, Workload: spec, DatasetVersion: 1, DatasetContentRoot: f.rec.ContentRoot, MulAdds: 1e9}
	w, err := FromJob(ctx, spec, 1, f.provider)
	if err != nil {
		t.Fatal(err)
	}
	if WorkOf(job).GFLOP != 2 {
		t.Fatalf("work %+v, want 2 GFLOP from mul_adds", WorkOf(job))
	}
	chunks, err := workload.ComputeChunks(ctx, w, workload.Reference{})
	if err != nil {
		t.Fatal(err)
	}
	want := workload.EncodeFloats(workload.ReferenceGPTRows(f.model, f.prompts, 5))
	if got := strings.Join(bytesOf(chunks), ""); got != string(want) {
		t.Fatal("the dataset job's output is not the reference's")
	}
	tree, err := merkle.New(chunks)
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Root()
	pv := computetypes.PendingVerification{JobId: 1, Workload: spec, OutputRoot: root[:], ChunkCount: uint64(len(chunks)),
		DatasetVersion: 1, DatasetContentRoot: f.rec.ContentRoot}
	rc, err := NewRecomputer(ctx, pv, f.verifier, workload.Reference{})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range chunks {
		resp, err := ServeChunk(ctx, 1, ServedOf(job), tree, i, c, f.provider)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Inputs) == 0 {
			t.Fatalf("chunk %d served without its prompts", i)
		}
		if err := resp.Verify(root[:], uint64(len(chunks)), uint64(i)); err != nil {
			t.Fatal(err)
		}
		if err := rc.Check(resp); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		got, err := rc.Recompute(ctx, resp)
		if err != nil || string(got) != string(c) {
			t.Fatalf("chunk %d recomputed differently (%v)", i, err)
		}
	}
	resp, err := ServeChunk(ctx, 1, ServedOf(job), tree, 1, chunks[1], f.provider)
	if err != nil {
		t.Fatal(err)
	}
	resp.Inputs[0].Data = append([]byte(nil), resp.Inputs[0].Data...)
	resp.Inputs[0].Data[0] ^= 1
	if err := rc.Check(resp); err == nil {
		t.Fatal("a tampered prompt passed the check")
	}
}

// TestGPTInlineJob: inline prompts need no dataset; the verifier
// recomputes from the spec.
func TestGPTInlineJob(t *testing.T) {
	ctx := context.Background()
	f := newGPTFixture(t)
	spec := computetypes.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: 2, Gpt: &computetypes.GptSpec{ModelId: 7, MaxNewTokens: 4,
		Prompts: []computetypes.GptPrompt{{Tokens: []uint32{72, 105}}, {Tokens: []uint32{1, 2, 3}}, {Tokens: []uint32{200}}}}}
	w, err := FromSpec(ctx, spec, f.provider)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := workload.ComputeChunks(ctx, w, workload.Reference{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := InlinePrompts(spec.Gpt)
	if p.Cols != 3 || p.Row(0)[2] != workload.PromptPad {
		t.Fatalf("inline prompts %+v", p)
	}
	want := workload.EncodeFloats(workload.ReferenceGPTRows(f.model, p, 4))
	if strings.Join(bytesOf(chunks), "") != string(want) {
		t.Fatal("the inline job's output is not the reference's")
	}
	if s := ServedOf(computetypes.Job{Workload: spec}); s.DatasetID != 0 {
		t.Fatalf("an inline job serves dataset %d", s.DatasetID)
	}
	rc, err := NewRecomputer(ctx, computetypes.PendingVerification{Workload: spec}, f.verifier, workload.Reference{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := rc.Recompute(ctx, ChunkResponse{Chunk: merkle.Chunk{Index: 1}})
	if err != nil || string(got) != string(chunks[1]) {
		t.Fatalf("inline chunk 1 recomputed differently (%v)", err)
	}
	// A resolver that only knows mlp models cannot build it.
	if _, err := FromSpec(ctx, spec, mlpOnly{}); err == nil || !strings.Contains(err.Error(), "no source of gpt-f32 models") {
		t.Fatalf("mlp-only resolver: %v", err)
	}
}

type mlpOnly struct{}

func (mlpOnly) Model(context.Context, uint64) (*workload.Model, error) { return nil, nil }
func (mlpOnly) Dataset(context.Context, uint64, uint64) (*workload.Matrix, error) {
	return nil, nil
}

func bytesOf(chunks [][]byte) []string {
	out := make([]string, len(chunks))
	for i, c := range chunks {
		out[i] = string(c)
	}
	return out
}

// TestGPTCheckInputs: an aborted gpt-f32 job's inputs are available when its
// model loads as a gpt-f32 model and its npy-i32 prompts fit the context
// with the new tokens.
func TestGPTCheckInputs(t *testing.T) {
	ctx := context.Background()
	f := newGPTFixture(t)
	spec := computetypes.WorkloadSpec{Kind: workload.KindGPT, Gpt: &computetypes.GptSpec{ModelId: 7, DatasetId: 2, MaxNewTokens: 5}, ChunkRows: 3}
	pv := computetypes.PendingVerification{Workload: spec, InputsCheck: true, ModelId: 7, DatasetId: 2, DatasetVersion: 1}
	if err := CheckInputs(ctx, pv, f.verifier, &f.rec); err != nil {
		t.Fatal(err)
	}
	long := pv
	long.Workload.Gpt = &computetypes.GptSpec{ModelId: 7, DatasetId: 2, MaxNewTokens: 19} // 6 + 19 > 24
	if err := CheckInputs(ctx, long, f.verifier, &f.rec); err == nil {
		t.Fatal("prompts past the context accepted")
	}
	f32 := f.rec
	f32.Format = datamarkettypes.FormatNpyF32
	if err := CheckInputs(ctx, pv, f.verifier, &f32); err == nil {
		t.Fatal("an npy-f32 prompt dataset accepted")
	}
}

// TestSizeGPTChargesEveryPrompt: a provider sizes a gpt-f32 job by its
// mul_adds, or by the model's charge for its prompts
// (workload.GPTConfig.Work, what the chain records for a new job) when that
// is more: a job created before the chain charged elementwise work and
// kernel calls records its products alone, and its exec window would be
// sized by them.
func TestSizeGPTChargesEveryPrompt(t *testing.T) {
	ctx := context.Background()
	f := newGPTFixture(t)
	cfg := testGPTConfig.Workload()
	inline, dataset := gptSizingSpecs()
	for name, c := range map[string]struct {
		job  computetypes.Job
		want uint64
	}{
		"inline, products alone": {computetypes.Job{Workload: inline, Rows: 3, MulAdds: cfg.MulAdds(2, 4) + cfg.MulAdds(3, 4) + cfg.MulAdds(1, 4)},
			cfg.Work(3, 3, []int{2, 3, 1}, 4, 2).Job},
		"dataset, products alone": {computetypes.Job{Workload: dataset, Rows: 11, DatasetVersion: 1, MulAdds: 11 * cfg.MulAdds(6, 5)},
			cfg.Work(11, 6, nil, 5, 3).Job},
		"dataset, as charged": {computetypes.Job{Workload: dataset, Rows: 11, DatasetVersion: 1, MulAdds: cfg.Work(11, 6, nil, 5, 3).Job},
			cfg.Work(11, 6, nil, 5, 3).Job},
		"dataset, more recorded": {computetypes.Job{Workload: dataset, Rows: 11, DatasetVersion: 1, MulAdds: 1e12}, 1e12},
	} {
		s, err := SizeOf(ctx, c.job, f.provider)
		if err != nil {
			t.Fatal(name, err)
		}
		if want := 2 * float64(c.want) / 1e9; s.GFLOP != want {
			t.Errorf("%s: %v GFLOP, want %v", name, s.GFLOP, want)
		}
	}
}

// TestSizeGPTCountsDecodeMemory: a gpt-f32 job's decoding holds, besides
// its output, every prompt's last logits (rows × Vocab), a batch's key and
// value caches and a prefill pass; its ExecBytes were 0, so the provider's
// memory admission (output twice per worker) undercounted a wide
// vocabulary's job by half again and the caches entirely. Now ExecBytes is
// the decoder's bound (workload.GPTConfig.DecodeBytes), for inline prompts
// (counted as long as the context) and dataset prompts (their width).
func TestSizeGPTCountsDecodeMemory(t *testing.T) {
	ctx := context.Background()
	f := newGPTFixture(t)
	cfg := testGPTConfig.Workload()
	inline, dataset := gptSizingSpecs()
	for name, c := range map[string]struct {
		job           computetypes.Job
		width, maxNew int
	}{
		"inline":  {computetypes.Job{Workload: inline, Rows: 3, MulAdds: 1}, cfg.Context, 4},
		"dataset": {computetypes.Job{Workload: dataset, Rows: 11, DatasetVersion: 1, MulAdds: 1}, 6, 5},
	} {
		s, err := SizeOf(ctx, c.job, f.provider)
		if err != nil {
			t.Fatal(name, err)
		}
		logits := c.job.Rows * uint64(cfg.Vocab) * 4
		caches := uint64(2*cfg.Layers*cfg.Embed*(c.width+c.maxNew)) * 4
		if want := cfg.DecodeBytes(int(c.job.Rows), c.width, c.maxNew); s.ExecBytes != want || s.ExecBytes < logits+caches {
			t.Errorf("%s: ExecBytes %d, want the decoder's bound %d (at least the logits' %d and one prompt's caches %d)",
				name, s.ExecBytes, want, logits, caches)
		}
	}
}

// gptSizingSpecs are the sizing tests' gpt-f32 jobs on model 7 of the
// fixture: three inline prompts of up to 3 tokens for 4 new tokens, chunks
// of 2 rows; and the fixture's prompt dataset 2 for 5 new tokens, chunks of
// 3 rows.
func gptSizingSpecs() (inline, dataset computetypes.WorkloadSpec) {
	inline = computetypes.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: 2, Gpt: &computetypes.GptSpec{ModelId: 7, MaxNewTokens: 4,
		Prompts: []computetypes.GptPrompt{{Tokens: []uint32{72, 105}}, {Tokens: []uint32{1, 2, 3}}, {Tokens: []uint32{200}}}}}
	dataset = computetypes.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: 3, Gpt: &computetypes.GptSpec{ModelId: 7, DatasetId: 2, MaxNewTokens: 5}}
	return inline, dataset
}

// TestSizeGPTCountsTheModelsWeights: a built gpt-f32 job holds its model's
// parsed weights until its execution ends, whether or not the resolver's
// cache keeps them; the sizing counted the prompts alone (inline prompts:
// nothing), so a provider's slots filled with jobs on distinct models held
// their weights beyond its memory budget. Now HeldBytes counts them
// (ModelBytes: every tensor the parser fills), beside the prompts' values.
func TestSizeGPTCountsTheModelsWeights(t *testing.T) {
	ctx := context.Background()
	f := newGPTFixture(t)
	m := f.model
	values := len(m.WTE) + len(m.WPE) + len(m.LNFG) + len(m.LNFB)
	for _, b := range m.Blocks {
		for _, v := range [][]float32{b.LN1G, b.LN1B, b.AttnW, b.AttnB, b.ProjW, b.ProjB, b.LN2G, b.LN2B, b.FCW, b.FCB, b.OutW, b.OutB} {
			values += len(v)
		}
	}
	inline, dataset := gptSizingSpecs()
	for name, job := range map[string]computetypes.Job{
		"inline":  {Workload: inline, Rows: 3, MulAdds: 1},
		"dataset": {Workload: dataset, Rows: 11, DatasetVersion: 1, MulAdds: 1},
	} {
		s, err := SizeOf(ctx, job, f.provider)
		if err != nil {
			t.Fatal(name, err)
		}
		if s.ModelBytes != uint64(values)*4 || s.HeldBytes != s.ModelBytes+s.InputBytes {
			t.Errorf("%s: ModelBytes %d, HeldBytes %d (prompts %d); the parsed model holds %d bytes",
				name, s.ModelBytes, s.HeldBytes, s.InputBytes, values*4)
		}
	}
}

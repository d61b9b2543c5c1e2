package sidecar

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// gptSource is a verifier's source of one gpt-f32 model (id 6).
type gptSource struct{ model *workload.GPTModel }

func (s gptSource) Model(context.Context, uint64) (*workload.Model, error) {
	return nil, errors.New("no mlp models here")
}

func (s gptSource) DatasetRecord(context.Context, uint64, uint64) (datamarkettypes.Dataset, error) {
	return datamarkettypes.Dataset{}, errors.New("no datasets here")
}

func (s gptSource) GPTModel(_ context.Context, id uint64) (*workload.GPTModel, error) {
	if id != 6 {
		return nil, errors.New("model not found")
	}
	return s.model, nil
}

// gptSpec: five inline prompts, two per chunk (three chunks), six new tokens.
var gptSpec = computetypes.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: 2, Gpt: &computetypes.GptSpec{ModelId: 6, MaxNewTokens: 6,
	Prompts: []computetypes.GptPrompt{{Tokens: []uint32{72, 101, 108}}, {Tokens: []uint32{1}}, {Tokens: []uint32{9, 9}}, {Tokens: []uint32{200, 3, 4, 5}}, {Tokens: []uint32{33}}}}}

// gptProvider serves the job's chunks; change, when ≥ 0, is the chunk whose
// second prompt's first generated token is replaced by the id below it
// before the tree is built (what the provider agent's fault mode does).
func gptProvider(t *testing.T, model *workload.GPTModel, change int) (*httptest.Server, merkle.Hash, int) {
	t.Helper()
	p, err := jobexec.InlinePrompts(gptSpec.Gpt)
	if err != nil {
		t.Fatal(err)
	}
	job, err := workload.NewGPTJob(model, p, 6, 2)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := workload.ComputeChunks(context.Background(), job, cpu.New())
	if err != nil {
		t.Fatal(err)
	}
	if change >= 0 {
		v, _ := workload.DecodeFloats(chunks[change])
		off := job.Cols() // row 1, first generated id
		if v[off] >= 1 {
			v[off]--
		} else {
			v[off] = 1
		}
		chunks[change] = workload.EncodeFloats(v)
	}
	tree, err := merkle.New(chunks)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(r.URL.Path, "/")
		i, _ := strconv.Atoi(parts[len(parts)-1])
		resp, err := jobexec.NewChunkResponse(9, tree, i, chunks[i])
		if err != nil {
			http.Error(w, err.Error(), 404)
			return
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	return srv, tree.Root(), len(chunks)
}

// TestGPTVerdicts: a sidecar recomputes sampled gpt-f32 chunks from their
// prompts: an honest provider is VALID; one that changed a single generated
// token of one prompt is INVALID when that prompt's chunk is sampled, and
// VALID (undetected) when only other chunks are.
func TestGPTVerdicts(t *testing.T) {
	model, err := workload.RandomGPT(workload.GPTConfig{Layers: 2, Heads: 2, Embed: 16, Vocab: 256, Context: 16}, 8)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.MLP = gptSource{model}
	v := New(cfg, nil, cpu.New(), slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics("cpu"))
	pv := func(url string, root merkle.Hash, n int, indices ...uint64) computetypes.PendingVerification {
		return computetypes.PendingVerification{JobId: 9, Workload: gptSpec, Indices: indices, OutputRoot: root[:],
			ChunkCount: uint64(n), ProviderEndpoint: url}
	}
	ctx := context.Background()
	honest, root, n := gptProvider(t, model, -1)
	if n != 3 {
		t.Fatalf("%d chunks, want 3", n)
	}
	if got, why := v.Verify(ctx, pv(honest.URL, root, n, 0, 1, 2)); got != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("honest gpt provider: %v (%s)", got, why)
	}
	cheat, cheatRoot, _ := gptProvider(t, model, 1)
	if got, why := v.Verify(ctx, pv(cheat.URL, cheatRoot, n, 1)); got != computetypes.Verdict_VERDICT_INVALID {
		t.Fatalf("a changed token in a sampled chunk: %v (%s)", got, why)
	}
	if got, why := v.Verify(ctx, pv(cheat.URL, cheatRoot, n, 0, 2)); got != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("a changed token in an unsampled chunk: %v (%s)", got, why)
	}
	if got, _ := newVerifier(nil).Verify(ctx, pv(honest.URL, root, n, 0)); got != computetypes.Verdict_VERDICT_UNSPECIFIED {
		t.Fatalf("sidecar without a model source: %v", got)
	}
}

// TestGPTInputsCheck: the input check of an aborted gpt-f32 job loads the
// model as a gpt-f32 model (not as an mlp one): INPUTS_AVAILABLE when it
// loads, INPUTS_UNAVAILABLE when it does not, and an abstention from a
// sidecar with no source of gpt-f32 models.
func TestGPTInputsCheck(t *testing.T) {
	model, err := workload.RandomGPT(workload.GPTConfig{Layers: 1, Heads: 2, Embed: 16, Vocab: 256, Context: 16}, 8)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.MLP = gptSource{model}
	v := New(cfg, nil, cpu.New(), slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics("cpu"))
	pv := computetypes.PendingVerification{JobId: 9, Workload: gptSpec, InputsCheck: true, ModelId: 6}
	ctx := context.Background()
	if got, why := v.Verify(ctx, pv); got != computetypes.Verdict_VERDICT_INPUTS_AVAILABLE {
		t.Fatalf("a gpt-f32 model that loads: %v (%s)", got, why)
	}
	gone := pv
	gone.ModelId = 7
	if got, why := v.Verify(ctx, gone); got != computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE {
		t.Fatalf("a gpt-f32 model that does not load: %v (%s)", got, why)
	}
	cfg.MLP = mlpOnly{}
	noGPT := New(cfg, nil, cpu.New(), slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics("cpu"))
	if got, why := noGPT.Verify(ctx, pv); got != computetypes.Verdict_VERDICT_UNSPECIFIED {
		t.Fatalf("a sidecar without gpt-f32 models: %v (%s)", got, why)
	}
}

// mlpOnly is a verifier's source with no gpt-f32 models.
type mlpOnly struct{}

func (mlpOnly) Model(context.Context, uint64) (*workload.Model, error) {
	return nil, errors.New("no models")
}

func (mlpOnly) DatasetRecord(context.Context, uint64, uint64) (datamarkettypes.Dataset, error) {
	return datamarkettypes.Dataset{}, errors.New("no datasets")
}

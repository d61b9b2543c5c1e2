package types

import (
	"context"
	"math"
	"math/bits"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
)

func init() { RegisterKind(gptKind()) }

// Limits of a gpt-f32 job, on top of the model's own (context, vocabulary).
const (
	// GPTMaxInlinePrompts and GPTMaxInlineTokens bound the prompts a spec
	// carries inline (longer jobs list a prompt dataset).
	GPTMaxInlinePrompts = 64
	GPTMaxInlineTokens  = 4096
	// GPTMaxChunkMulAdds bounds the work of recomputing one chunk (what a
	// verifier spends per sampled chunk, workload.GPTWork.Chunk): 2^37 ≈
	// 1.4·10^11 multiply-adds, one GPT-2-small prompt over its whole
	// 1024-token context (≈ 1.0·10^11 with its elementwise work and kernel
	// calls), about two minutes on a two-core CPU and seconds on a GPU.
	GPTMaxChunkMulAdds = 1 << 37
	// GPTMaxJobMulAdds bounds a whole job's work (2^50 ≈ 10^15).
	GPTMaxJobMulAdds = 1 << 50
	// gptMaxRows bounds a job's prompts (the kind's MaxRows).
	gptMaxRows = 1 << 20
	// gptDatasetFormat is the format of a prompt dataset (x/datamarket's
	// npy-i32: one prompt per row, padded at the end with -1).
	gptDatasetFormat = "npy-i32"
)

// gptKind is the gpt-f32 row: greedy decoding with a gpt-f32 model
// (x/modelregistry, whose config gives the shape) of prompts listed inline
// or read from an npy-i32 dataset (x/datamarket). Rows are prompts; an
// output row is max_new_tokens ids then the vocabulary's logits. The work
// (WorkloadShape.MulAdds, recorded as the job's mul_adds: what
// max_work_per_exec_block admits and providers price) is
// workload.GPTConfig.Work: every prompt's products (tokens × parameters,
// plus attention), its elementwise work per position and block, and a
// charge per kernel call of each chunk's decode, with a dataset's prompts
// counted at its full width; so that a model of tiny layers, whose cost is
// its kernel calls and elementwise work, is charged that cost
// (TestAttackOneTokenPromptsCostMoreThanTheirWork); and at least its
// costliest chunk's work times its chunks (recordedWork). A sampled chunk's bytes (its
// output rows, and a dataset's prompt chunks served with them: InputCols,
// InputRowsPerChunk) are admitted against max_chunk_bytes like every kind's
// (Params.AdmitJob). Not simulated: it needs a model on chain.
func gptKind() WorkloadKind {
	return WorkloadKind{
		Name:     workload.KindGPT,
		Spec:     SpecGPT,
		Validate: validateGPT,
		Resolve:  resolveGPT,
		MaxRows:  gptMaxRows,
	}
}

func validateGPT(w WorkloadSpec) (uint64, error) {
	g := w.Gpt
	if g.ModelId == 0 {
		return 0, ErrInvalidWorkload.Wrap("gpt needs model_id")
	}
	if g.MaxNewTokens > workload.MaxGPTContext {
		return 0, ErrInvalidWorkload.Wrapf("gpt max_new_tokens %d exceeds %d", g.MaxNewTokens, workload.MaxGPTContext)
	}
	if (g.DatasetId == 0) == (len(g.Prompts) == 0) {
		return 0, ErrInvalidWorkload.Wrap("gpt needs exactly one of dataset_id and inline prompts")
	}
	if g.DatasetId != 0 {
		return 0, nil
	}
	if len(g.Prompts) > GPTMaxInlinePrompts {
		return 0, ErrInvalidWorkload.Wrapf("%d inline prompts, at most %d (list a prompt dataset)", len(g.Prompts), GPTMaxInlinePrompts)
	}
	total := 0
	for i, p := range g.Prompts {
		if len(p.Tokens) == 0 {
			return 0, ErrInvalidWorkload.Wrapf("gpt prompt %d is empty", i)
		}
		total += len(p.Tokens)
	}
	if total > GPTMaxInlineTokens {
		return 0, ErrInvalidWorkload.Wrapf("%d inline prompt tokens, at most %d", total, GPTMaxInlineTokens)
	}
	return uint64(len(g.Prompts)), nil
}

// gptConfig converts a model's on-chain configuration.
func gptConfig(s common.GPTShape) (workload.GPTConfig, error) {
	for _, v := range []uint64{s.Layers, s.Heads, s.Embed, s.Vocab, s.Context} {
		if v > math.MaxInt32 {
			return workload.GPTConfig{}, ErrInvalidWorkload.Wrapf("gpt config %+v out of range", s)
		}
	}
	c := workload.GPTConfig{Layers: int(s.Layers), Heads: int(s.Heads), Embed: int(s.Embed), Vocab: int(s.Vocab), Context: int(s.Context)}
	if err := c.Validate(); err != nil {
		return c, ErrInvalidWorkload.Wrap(err.Error())
	}
	return c, nil
}

// gptPrompts is what a job's prompts are for sizing it: their count, their
// width (the longest inline prompt, or the dataset's columns) and the
// dataset's terms when they come from one.
type gptPrompts struct {
	rows, width uint64
	lens        []int // inline prompts' lengths; nil for a dataset
	datasetID   uint64
	dataset     common.DatasetTerms
}

func readGPTPrompts(ctx context.Context, st KindState, g *GptSpec, requester string) (gptPrompts, error) {
	if g.DatasetId == 0 {
		p := gptPrompts{rows: uint64(len(g.Prompts))}
		for _, pr := range g.Prompts {
			p.lens = append(p.lens, len(pr.Tokens))
			p.width = max(p.width, uint64(len(pr.Tokens)))
		}
		return p, nil
	}
	if st.Datasets == nil {
		return gptPrompts{}, ErrDatasetsUnavailable.Wrapf("dataset %d", g.DatasetId)
	}
	d, err := st.Datasets.DatasetTermsForJob(ctx, g.DatasetId, requester, g.DatasetVersion)
	if err != nil {
		return gptPrompts{}, ErrInvalidWorkload.Wrapf("dataset %d: %v", g.DatasetId, err)
	}
	if err := checkPinnedVersion(g.DatasetId, g.DatasetVersion, d); err != nil {
		return gptPrompts{}, err
	}
	if d.Format != gptDatasetFormat {
		return gptPrompts{}, ErrInvalidWorkload.Wrapf("dataset %d is %q, gpt prompts are a %s dataset", g.DatasetId, d.Format, gptDatasetFormat)
	}
	return gptPrompts{rows: d.Rows, width: d.Cols, datasetID: g.DatasetId, dataset: d}, nil
}

func resolveGPT(ctx context.Context, st KindState, w WorkloadSpec, requester string) (JobTerms, error) {
	g := w.Gpt
	if st.Models == nil {
		return JobTerms{}, ErrModelsUnavailable.Wrapf("model %d", g.ModelId)
	}
	p, err := readGPTPrompts(ctx, st, g, requester)
	if err != nil {
		return JobTerms{}, err
	}
	mterms, err := st.Models.ModelTermsForJob(ctx, g.ModelId, p.rows)
	if err != nil {
		return JobTerms{}, ErrInvalidWorkload.Wrapf("model %d: %v", g.ModelId, err)
	}
	if mterms.Architecture != workload.KindGPT {
		return JobTerms{}, ErrInvalidWorkload.Wrapf("model %d is %q, a %s job needs a %s model", g.ModelId, mterms.Architecture, workload.KindGPT, workload.KindGPT)
	}
	cfg, err := gptConfig(mterms.GPT)
	if err != nil {
		return JobTerms{}, err
	}
	shape, err := gptShape(cfg, g, w.ChunkRows, p)
	if err != nil {
		return JobTerms{}, err
	}
	t := JobTerms{Shape: shape, ModelID: g.ModelId, Model: mterms}
	if p.datasetID != 0 {
		t.DatasetID, t.Dataset = p.datasetID, p.dataset
		t.Shape.InputCols, t.Shape.InputRowsPerChunk = p.dataset.Cols, p.dataset.RowsPerChunk
	}
	return t, nil
}

// gptShape sizes a job and applies the kind's limits: prompts that fit the
// context with their new tokens, inline tokens in the vocabulary, the work
// of one chunk and of the whole job. (Chunk bytes are the params'
// max_chunk_bytes, checked by Params.AdmitJob.)
func gptShape(cfg workload.GPTConfig, g *GptSpec, chunkRows uint64, p gptPrompts) (WorkloadShape, error) {
	maxNew := int(g.MaxNewTokens)
	if p.width > math.MaxInt32 || cfg.CheckDecode(int(p.width), maxNew) != nil {
		return WorkloadShape{}, ErrInvalidWorkload.Wrapf("prompts of %d tokens + %d new tokens exceed the model's context of %d", p.width, maxNew, cfg.Context)
	}
	for i, pr := range g.Prompts {
		for _, tok := range pr.Tokens {
			if tok >= uint32(cfg.Vocab) {
				return WorkloadShape{}, ErrInvalidWorkload.Wrapf("prompt %d: token %d is outside the vocabulary of %d", i, tok, cfg.Vocab)
			}
		}
	}
	if p.rows > gptMaxRows {
		return WorkloadShape{}, ErrInvalidWorkload.Wrapf("%s: %d prompts exceed the kind's limit %d", workload.KindGPT, p.rows, gptMaxRows)
	}
	cols := uint64(maxNew + cfg.Vocab)
	perChunk := min(max(chunkRows, 1), max(p.rows, 1))
	work := cfg.Work(int(p.rows), int(p.width), p.lens, maxNew, int(perChunk))
	if work.Chunk > GPTMaxChunkMulAdds {
		return WorkloadShape{}, ErrInvalidWorkload.Wrapf("a chunk of %d prompts is %d multiply-adds, over %d per chunk: lower chunk_rows or the prompts", perChunk, work.Chunk, uint64(GPTMaxChunkMulAdds))
	}
	job := recordedWork(work, p.rows, perChunk)
	if job > GPTMaxJobMulAdds {
		return WorkloadShape{}, ErrInvalidWorkload.Wrapf("the job is %d multiply-adds, over %d", job, uint64(GPTMaxJobMulAdds))
	}
	return WorkloadShape{Rows: p.rows, Cols: cols, MulAdds: job}, nil
}

// recordedWork is the work a job of rows prompts in chunks of perChunk
// records as its mul_adds: max(Work.Job, Work.Chunk × chunks), saturating.
// The verification and dispute budgets (checkedWork) charge each checked
// chunk the job's average, mul_adds / chunks; inline prompts can be uneven
// (one of 1,024 tokens among 63 of one), and a dispute naming the one
// costly chunk made every sidecar recompute twice the window's budget
// (TestAttackRequesterDisputesTheOneCostlyInlineChunk). Recorded so, every
// chunk's share is at least the costliest chunk's: the budgets stay sound,
// and the requester pays for its worst chunk everywhere (a dataset's
// prompts count at its full width, so only a short last chunk costs less
// than the others).
func recordedWork(work workload.GPTWork, rows, perChunk uint64) uint64 {
	chunks := (rows + perChunk - 1) / perChunk
	hi, lo := bits.Mul64(work.Chunk, chunks)
	if hi != 0 {
		return math.MaxUint64
	}
	return max(work.Job, lo)
}

package jobexec

import (
	"bytes"
	"context"
	"fmt"
	"math"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// gpt-f32: greedy decoding of prompts with a gpt-f32 model. The model comes
// from its uri (a GPTSource); the prompts are inline in the spec or the rows
// of an npy-i32 dataset, which a provider fetches with its key (a
// PromptSource) and serves with each output chunk, proven against the
// dataset's content_root, so that a verifier needs no licence. A verifier
// recomputes a sampled chunk from its prompts alone. The work is the job's
// mul_adds, as the chain sized it (MulAddsWork); a bid weighs at least the
// model's charge for the prompts (gptWork).
func init() {
	Register(Kind{
		Name:  workload.KindGPT,
		Needs: Needs{Model: true, Dataset: true},
		Build: buildGPT,
		Work:  MulAddsWork,
		Served: func(job computetypes.Job) Served {
			s := Served{Kind: workload.KindGPT}
			if g := job.Workload.Gpt; g != nil && g.DatasetId != 0 {
				s.DatasetID, s.DatasetVersion, s.ChunkRows = g.DatasetId, job.DatasetVersion, job.Workload.ChunkRows
			}
			return s
		},
		Serve:       serveMLPInputs, // the dataset chunks under an output chunk's rows, when there is a dataset
		Verifier:    verifyGPT,
		CheckInputs: checkGPTInputs,
		Size:        sizeGPT,
	})
}

// sizeGPT: the model is fetched and checked (against its on-chain sha256 and
// config) before a bid; an output row is max_new_tokens ids and the
// vocabulary's logits; the work is the job's mul_adds, or the model's charge
// for its prompts when more (gptWork); the input, a prompt
// dataset's values (its record's rows × cols × 4), which the provider must
// be able to parse; the memory held, the model's weights (Config.Params()
// values of 4 bytes: every tensor the parser fills) and the prompts; its
// load's peak, the model's file (with its attention masks: gptMaskBytes)
// or the prompt dataset's (datasetLoadBytes), the larger.
func sizeGPT(ctx context.Context, job computetypes.Job, src ProviderSource) (BidShape, error) {
	g := job.Workload.Gpt
	gs, ok := src.(GPTSource)
	if g == nil || !ok {
		return BidShape{}, fmt.Errorf("%w: %s needs its spec and a gpt-f32 model source", ErrUnsupported, workload.KindGPT)
	}
	m, err := gs.GPTModel(ctx, g.ModelId)
	if err != nil {
		return BidShape{}, fmt.Errorf("model %d: %w", g.ModelId, err)
	}
	// The built job holds the model's weights from its fetch to the end of
	// its execution (the host's kernels use them in place: HostKernels.Upload).
	weights := valuesBytes(m.Config.Params(), 1)
	s := BidShape{Rows: job.Rows, Cols: uint64(g.MaxNewTokens) + uint64(m.Config.Vocab), DatasetID: g.DatasetId,
		HeldBytes: weights, ModelBytes: weights, LoadBytes: modelLoadBytes(weights, gptMaskBytes(m.Config))}
	if g.DatasetId == 0 {
		s.GFLOP = gptWork(job, m.Config, 0).GFLOP
		s.ExecBytes = decodeBytes(job, m.Config, uint64(m.Config.Context))
		return s, nil
	}
	// The prompt dataset's values, from its record; a source without
	// records: every prompt as long as the model's context.
	width := uint64(m.Config.Context)
	s.InputBytes = valuesBytes(job.Rows, width)
	load := common.SatAdd(s.InputBytes, workload.MaxNPYPrefixBytes)
	if rs, ok := src.(datasetRecords); ok {
		rec, err := rs.DatasetRecord(ctx, g.DatasetId, job.DatasetVersion)
		if err != nil {
			return BidShape{}, fmt.Errorf("dataset %d: %w", g.DatasetId, err)
		}
		width, s.InputBytes = rec.Cols, valuesBytes(rec.Rows, rec.Cols)
		if err := checkDatasetMemory(rec.Rows, rec.RowsPerChunk, MaxInputBytes(src)); err != nil {
			return BidShape{}, fmt.Errorf("dataset %d: %w", g.DatasetId, err)
		}
		load = datasetLoadBytes(rec)
	}
	s.LoadBytes = max(s.LoadBytes, load)
	s.GFLOP = gptWork(job, m.Config, width).GFLOP
	s.ExecBytes = decodeBytes(job, m.Config, width)
	// The built job holds the prompts from its fetch to the end of its
	// execution, beside the weights.
	s.HeldBytes = common.SatAdd(weights, s.InputBytes)
	return s, nil
}

// gptMaskBytes is the attention masks a GPT-2 file holds beside its
// weights, which the parser reads and drops: h.{i}.attn.bias, 1×1×C×C, and
// h.{i}.attn.masked_bias, one value, for each layer i, as the reference
// files hold them (a file whose masks are shaped otherwise holds more while
// it loads, up to the parser's file limit).
func gptMaskBytes(cfg workload.GPTConfig) uint64 {
	c := uint64(cfg.Context)
	return valuesBytes(uint64(cfg.Layers), common.SatAdd(common.SatMul(c, c), 1))
}

// decodeBytes is what decoding a job's prompts of width tokens holds besides
// its output (workload.GPTConfig.DecodeBytes: the prompts' last logits, a
// batch's key and value caches, a prefill pass): counted as the job's
// ExecBytes, a wide vocabulary's logits, held beside the output until it is
// written, and the caches no longer pass the provider's memory admission
// unseen (TestSizeGPTCountsDecodeMemory). Inline prompts (a width of 0) are
// counted as long as the model's context.
func decodeBytes(job computetypes.Job, cfg workload.GPTConfig, width uint64) uint64 {
	maxNew := int(min(job.Workload.Gpt.MaxNewTokens, workload.MaxGPTContext))
	return cfg.DecodeBytes(int(min(job.Rows, math.MaxInt32)), int(min(width, workload.MaxGPTContext)), maxNew)
}

// gptWork is a job's work for a bid: its mul_adds as the chain recorded
// them, or the model's charge for its prompts (workload.GPTConfig.Work: the
// function the chain sizes a new job with) when that is more. A job created
// before the chain charged elementwise work and kernel calls records its
// products alone, and a provider that sized its exec window by them would
// miss it (TestAttackOneTokenPromptsCostMoreThanTheirWork). width is a
// dataset's columns (0: inline prompts, their own lengths).
func gptWork(job computetypes.Job, cfg workload.GPTConfig, width uint64) Work {
	w := MulAddsWork(job)
	g := job.Workload.Gpt
	rows, maxNew := job.Rows, int(min(g.MaxNewTokens, workload.MaxGPTContext))
	var lens []int
	if g.DatasetId == 0 {
		rows, width = uint64(len(g.Prompts)), 0
		for _, p := range g.Prompts {
			lens = append(lens, len(p.Tokens))
			width = max(width, uint64(len(p.Tokens)))
		}
	}
	if rows < 1 || rows > workload.MaxDenseElements || width > workload.MaxGPTContext || cfg.CheckDecode(int(width), maxNew) != nil {
		return w // the chain refuses such a job: nothing more to weigh
	}
	chunkRows := int(min(max(job.Workload.ChunkRows, 1), rows))
	charged := cfg.Work(int(rows), int(width), lens, maxNew, chunkRows)
	return Work{GFLOP: max(w.GFLOP, 2*float64(charged.Job)/1e9)}
}

// datasetRecords reads datasets' on-chain records (ChainResolver).
type datasetRecords interface {
	DatasetRecord(ctx context.Context, datasetID, version uint64) (datamarkettypes.Dataset, error)
}

// checkGPTInputs: the model's weights load (checked against the on-chain
// sha256 and parsed with its on-chain config), and a prompt dataset is
// npy-i32 with prompts that fit the model's context with the new tokens.
func checkGPTInputs(ctx context.Context, pv computetypes.PendingVerification, src VerifySource, ds *datamarkettypes.Dataset) error {
	_, maxNew, _, err := gptArgs(pv.Workload)
	if err != nil {
		return err
	}
	m, err := gptModel(ctx, src, pv.ModelId)
	if err != nil {
		return err
	}
	if ds == nil {
		return nil
	}
	if ds.Format != datamarkettypes.FormatNpyI32 {
		return fmt.Errorf("dataset %d is %q, gpt prompts are %s", ds.Id, ds.Format, datamarkettypes.FormatNpyI32)
	}
	if ds.Cols > uint64(workload.MaxGPTContext) {
		return fmt.Errorf("dataset %d: prompts of %d tokens exceed %d", ds.Id, ds.Cols, workload.MaxGPTContext)
	}
	return m.Config.CheckDecode(int(ds.Cols), maxNew)
}

// gptArgs converts a gpt-f32 spec's sizes.
func gptArgs(spec computetypes.WorkloadSpec) (*computetypes.GptSpec, int, int, error) {
	g := spec.Gpt
	if spec.Kind != workload.KindGPT || g == nil {
		return nil, 0, 0, fmt.Errorf("%w: not a %s spec", ErrUnsupported, workload.KindGPT)
	}
	maxNew, err := toInt("max_new_tokens", uint64(g.MaxNewTokens))
	if err != nil {
		return nil, 0, 0, err
	}
	chunkRows, err := toInt("chunk_rows", spec.ChunkRows)
	if err != nil {
		return nil, 0, 0, err
	}
	return g, maxNew, chunkRows, nil
}

// InlinePrompts returns a spec's inline prompts as prompt rows, padded at
// the end with workload.PromptPad to the longest one.
func InlinePrompts(g *computetypes.GptSpec) (*workload.TokenMatrix, error) {
	width := 0
	for _, p := range g.Prompts {
		width = max(width, len(p.Tokens))
	}
	if len(g.Prompts) == 0 || width == 0 {
		return nil, fmt.Errorf("%w: no inline prompts", workload.ErrInvalidParams)
	}
	m := &workload.TokenMatrix{Rows: len(g.Prompts), Cols: width, Data: make([]int32, len(g.Prompts)*width)}
	for r, p := range g.Prompts {
		row := m.Row(r)
		for c := range row {
			row[c] = workload.PromptPad
			if c < len(p.Tokens) {
				if p.Tokens[c] > uint32(workload.MaxGPTVocab) {
					return nil, fmt.Errorf("%w: prompt %d token %d", workload.ErrInvalidParams, r, p.Tokens[c])
				}
				row[c] = int32(p.Tokens[c])
			}
		}
	}
	return m, nil
}

func gptModel(ctx context.Context, src any, modelID uint64) (*workload.GPTModel, error) {
	gs, ok := src.(GPTSource)
	if !ok {
		return nil, fmt.Errorf("%w: this agent has no source of %s models", ErrUnsupported, workload.KindGPT)
	}
	m, err := gs.GPTModel(ctx, modelID)
	if err != nil {
		return nil, fmt.Errorf("model %d: %w", modelID, err)
	}
	return m, nil
}

func buildGPT(ctx context.Context, spec computetypes.WorkloadSpec, datasetVersion uint64, r Resolver) (workload.Job, error) {
	g, maxNew, chunkRows, err := gptArgs(spec)
	if err != nil {
		return nil, err
	}
	model, err := gptModel(ctx, r, g.ModelId)
	if err != nil {
		return nil, err
	}
	var prompts *workload.TokenMatrix
	if g.DatasetId == 0 {
		prompts, err = InlinePrompts(g)
	} else if ps, ok := r.(PromptSource); ok {
		prompts, err = ps.Prompts(ctx, g.DatasetId, datasetVersion)
	} else {
		err = fmt.Errorf("%w: this agent has no source of prompt datasets", ErrUnsupported)
	}
	if err != nil {
		return nil, fmt.Errorf("prompts: %w", err)
	}
	return workload.NewGPTJob(model, prompts, maxNew, chunkRows)
}

// verifyGPT recomputes a gpt-f32 output chunk from its prompts: the spec's
// inline prompts, or the dataset rows the provider serves with the chunk
// once they verify against the dataset's on-chain content_root.
func verifyGPT(ctx context.Context, pv computetypes.PendingVerification, src VerifySource, b workload.Backend) (Recomputer, error) {
	g, maxNew, chunkRows, err := gptArgs(pv.Workload)
	if err != nil {
		return Recomputer{}, err
	}
	model, err := gptModel(ctx, src, g.ModelId)
	if err != nil {
		return Recomputer{}, err
	}
	if g.DatasetId == 0 {
		prompts, err := InlinePrompts(g)
		if err != nil {
			return Recomputer{}, err
		}
		job, err := workload.NewGPTJob(model, prompts, maxNew, chunkRows)
		if err != nil {
			return Recomputer{}, err
		}
		return specRecomputer(job, b), nil
	}
	ds, err := src.DatasetRecord(ctx, g.DatasetId, pv.DatasetVersion)
	if err != nil {
		return Recomputer{}, fmt.Errorf("dataset %d: %w", g.DatasetId, err)
	}
	if len(pv.DatasetContentRoot) > 0 && !bytes.Equal(ds.ContentRoot, pv.DatasetContentRoot) {
		return Recomputer{}, fmt.Errorf("dataset %d version %d: content root %x, the job records %x",
			g.DatasetId, pv.DatasetVersion, ds.ContentRoot, pv.DatasetContentRoot)
	}
	prompts := func(resp ChunkResponse) (*workload.TokenMatrix, error) {
		raw, rows, err := resp.VerifyInputBytes(ds.ContentRoot, ds.Rows, ds.Cols, ds.RowsPerChunk, pv.Workload.ChunkRows)
		if err != nil {
			return nil, err
		}
		return &workload.TokenMatrix{Rows: rows, Cols: int(ds.Cols), Data: workload.DecodeInts(raw)}, nil
	}
	return Recomputer{
		Check: func(resp ChunkResponse) error {
			_, err := prompts(resp)
			return err
		},
		Recompute: func(ctx context.Context, resp ChunkResponse) ([]byte, error) {
			p, err := prompts(resp)
			if err != nil {
				return nil, err
			}
			job, err := workload.NewGPTJob(model, p, maxNew, p.Rows)
			if err != nil {
				return nil, err
			}
			return workload.ComputeChunk(ctx, job, b, 0)
		},
		InputChunks: inputChunks(ds, pv.Workload.ChunkRows),
	}, nil
}

package jobexec

import (
	"context"
	"fmt"
	"strings"

	"github.com/aichain/aichain/workload"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// GPTSource supplies gpt-f32 models (their weights checked against the
// on-chain sha256 and parsed with the on-chain config). ChainResolver is
// one; a Resolver or VerifySource without it cannot run gpt-f32 jobs.
type GPTSource interface {
	GPTModel(ctx context.Context, modelID uint64) (*workload.GPTModel, error)
}

// PromptSource supplies the prompts of a prompt dataset (npy-i32) to a
// provider. ChainResolver is one.
type PromptSource interface {
	Prompts(ctx context.Context, datasetID, version uint64) (*workload.TokenMatrix, error)
}

var (
	_ GPTSource    = (*ChainResolver)(nil)
	_ PromptSource = (*ChainResolver)(nil)
)

type cachedGPT struct {
	sha   string
	model *workload.GPTModel
}

// GPTModel returns the checked weights of an on-chain gpt-f32 model.
func (r *ChainResolver) GPTModel(ctx context.Context, modelID uint64) (*workload.GPTModel, error) {
	if r.cfg.Models == nil {
		return nil, fmt.Errorf("%w: no model registry client", ErrUnsupported)
	}
	res, err := r.cfg.Models.Model(ctx, &modelregistrytypes.QueryModelRequest{Id: modelID})
	if err != nil {
		return nil, fmt.Errorf("query model %d: %w", modelID, err)
	}
	rec := res.Model
	if rec.Architecture != workload.KindGPT || rec.Gpt == nil {
		return nil, fmt.Errorf("%w: model %d is %q, not a %s model with its config", ErrUnsupported, modelID, rec.Architecture, workload.KindGPT)
	}
	sha := strings.ToLower(rec.Sha256)
	r.mu.Lock()
	c, ok := r.gptModels[modelID]
	r.mu.Unlock()
	if ok && c.sha == sha {
		return c.model, nil
	}
	data, err := r.weights(ctx, modelID, sha, rec.Uri)
	if err != nil {
		return nil, err
	}
	m, err := workload.ParseGPTSafetensors(data, sha, rec.Gpt.Workload(), r.cfg.Limits)
	if err != nil {
		return nil, fmt.Errorf("model %d weights from %q: %w", modelID, rec.Uri, err)
	}
	r.store("models", sha+".safetensors", data)
	r.mu.Lock()
	r.gptModels[modelID] = cachedGPT{sha: sha, model: m}
	r.mu.Unlock()
	return m, nil
}

// Prompts returns the checked rows of a version of an npy-i32 dataset.
func (r *ChainResolver) Prompts(ctx context.Context, datasetID, version uint64) (*workload.TokenMatrix, error) {
	f, err := r.DatasetFile(ctx, datasetID, version)
	if err != nil {
		return nil, err
	}
	if f.Tokens == nil {
		return nil, fmt.Errorf("%w: dataset %d is %s, not npy-i32", ErrUnsupported, datasetID, f.Format)
	}
	return f.Tokens, nil
}

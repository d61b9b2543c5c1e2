package jobexec

import (
	"context"
	"fmt"

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

// GPTModel returns the checked weights of an on-chain gpt-f32 model.
func (r *ChainResolver) GPTModel(ctx context.Context, modelID uint64) (*workload.GPTModel, error) {
	return loadModel(ctx, r, modelID, weightsParser[*workload.GPTModel]{
		arch: workload.KindGPT,
		key:  func(rec *modelregistrytypes.Model, k *modelKey) { k.gpt = rec.Gpt.Workload() },
		check: func(rec *modelregistrytypes.Model) error {
			if rec.Architecture != workload.KindGPT || rec.Gpt == nil {
				return fmt.Errorf("%w: model %d is %q, not a %s model with its config", ErrUnsupported, rec.Id, rec.Architecture, workload.KindGPT)
			}
			return nil
		},
		parse: func(f workload.Checked, rec *modelregistrytypes.Model) (*workload.GPTModel, error) {
			return workload.ParseCheckedGPTSafetensors(f, rec.Gpt.Workload(), r.cfg.Limits)
		},
	})
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

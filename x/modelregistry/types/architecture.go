package types

import (
	errorsmod "cosmossdk.io/errors"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
)

// The architectures a model may have: each is the workload kind that runs
// it.
const (
	// ArchitectureMLPF32: dense float32 layers with ReLU between them
	// (mlp-f32 jobs). Its shape is input_dim → output_dim; no gpt config.
	ArchitectureMLPF32 = workload.KindMLP
	// ArchitectureGPTF32: a GPT-2 decoder (gpt-f32 jobs), shaped by its gpt
	// config; input_dim and output_dim are its vocabulary.
	ArchitectureGPTF32 = workload.KindGPT
)

// Workload returns the configuration as the workload package's.
func (c GptConfig) Workload() workload.GPTConfig {
	return workload.GPTConfig{
		Layers: int(c.Layers), Heads: int(c.Heads), Embed: int(c.Embed), Vocab: int(c.Vocab), Context: int(c.Context),
	}
}

// Shape returns the configuration as x/compute reads it.
func (c GptConfig) Shape() common.GPTShape {
	return common.GPTShape{
		Layers: uint64(c.Layers), Heads: uint64(c.Heads), Embed: uint64(c.Embed), Vocab: uint64(c.Vocab), Context: uint64(c.Context),
	}
}

// ValidateArchitecture checks a model version's architecture against its
// shape: an mlp-f32 model has input and output dimensions in [1, MaxDim]
// and no gpt config; a gpt-f32 model has a gpt config within the workload's
// bounds (layers 1..64, heads dividing embed into heads of at most 256,
// embed ≤ 16384, vocab 2..2^20, context 1..4096) and input_dim = output_dim
// = its vocabulary. Any other architecture is refused.
func ValidateArchitecture(architecture string, inputDim, outputDim uint64, gpt *GptConfig) error {
	switch architecture {
	case ArchitectureMLPF32:
		if gpt != nil {
			return errorsmod.Wrapf(ErrInvalidModel, "an %s model has no gpt config", architecture)
		}
		if inputDim == 0 || inputDim > MaxDim || outputDim == 0 || outputDim > MaxDim {
			return errorsmod.Wrapf(ErrInvalidModel, "input_dim %d and output_dim %d must be in [1, %d]", inputDim, outputDim, MaxDim)
		}
		return nil
	case ArchitectureGPTF32:
		if gpt == nil {
			return errorsmod.Wrapf(ErrInvalidModel, "a %s model needs its gpt config (layers, heads, embed, vocab, context)", architecture)
		}
		if err := gpt.Workload().Validate(); err != nil {
			return errorsmod.Wrapf(ErrInvalidModel, "gpt config: %v", err)
		}
		if inputDim != uint64(gpt.Vocab) || outputDim != uint64(gpt.Vocab) {
			return errorsmod.Wrapf(ErrInvalidModel, "a %s model's input_dim and output_dim are its vocabulary %d, got %d and %d",
				architecture, gpt.Vocab, inputDim, outputDim)
		}
		return nil
	}
	return errorsmod.Wrapf(ErrUnsupportedArch, "architecture %q, want %q or %q", architecture, ArchitectureMLPF32, ArchitectureGPTF32)
}

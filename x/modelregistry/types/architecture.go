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

// MaxMLPLayers bounds an mlp-f32 model's layers: one weight tensor each, in
// a safetensors file the agents parse with at most 1024 tensors
// (workload.Limits.MaxTensors). x/compute bounds a job's kernel calls by it
// (workload.MLPLayersBound).
const MaxMLPLayers = workload.MaxMLPLayers

// MLPWidths returns an mlp-f32 model's layer widths from its registration:
// input_dim, its hidden_dims, output_dim.
func MLPWidths(inputDim uint64, hidden []uint64, outputDim uint64) []uint64 {
	return append(append([]uint64{inputDim}, hidden...), outputDim)
}

// validateHidden checks a registration's hidden_dims: an mlp-f32 model's
// layers (MLPWidths) within ValidateLayerWidths' bounds; none for another
// architecture.
func validateHidden(architecture string, inputDim, outputDim uint64, hidden []uint64) error {
	if architecture != ArchitectureMLPF32 && len(hidden) > 0 {
		return errorsmod.Wrapf(ErrInvalidModel, "hidden_dims are an %s model's; a %s model has none", ArchitectureMLPF32, architecture)
	}
	return ValidateLayerWidths(architecture, inputDim, outputDim, specWidths(architecture, inputDim, hidden, outputDim))
}

// ValidateLayerWidths checks a model's recorded layer widths: for an
// mlp-f32 model, none (registered before the chain recorded them) or
// input_dim, at most MaxMLPLayers−1 hidden widths, output_dim, each in
// [1, MaxDim], each layer's weights (in·out) within
// workload.MaxDenseElements, as the agents' parser takes them; none for
// another architecture.
func ValidateLayerWidths(architecture string, inputDim, outputDim uint64, widths []uint64) error {
	if len(widths) == 0 {
		return nil
	}
	if architecture != ArchitectureMLPF32 {
		return errorsmod.Wrapf(ErrInvalidModel, "layer widths are an %s model's; a %s model has none", ArchitectureMLPF32, architecture)
	}
	if len(widths) < 2 || len(widths)-1 > MaxMLPLayers {
		return errorsmod.Wrapf(ErrInvalidModel, "%d layers: an %s model has 1 to %d", max(len(widths)-1, 0), architecture, MaxMLPLayers)
	}
	if widths[0] != inputDim || widths[len(widths)-1] != outputDim {
		return errorsmod.Wrapf(ErrInvalidModel, "layer widths %v must start at input_dim %d and end at output_dim %d", widths, inputDim, outputDim)
	}
	for i, w := range widths {
		if w == 0 || w > MaxDim {
			return errorsmod.Wrapf(ErrInvalidModel, "layer width %d (%d) must be in [1, %d]", i, w, MaxDim)
		}
		if i > 0 && widths[i-1]*w > workload.MaxDenseElements { // each ≤ 2^24: no overflow
			return errorsmod.Wrapf(ErrInvalidModel, "layer %d is %d×%d weights, over %d", i-1, widths[i-1], w, uint64(workload.MaxDenseElements))
		}
	}
	return nil
}

// RowMulAdds is what the chain charges one row through layers of these
// widths (workload.MLPRowMulAdds): its products, Σ widths[i]·widths[i+1],
// and workload.MLPOutputMulAdds for each output of every layer (its bias,
// ReLU and store), as gpt-f32 charges its elementwise work; 0 when the
// widths are not recorded. x/compute adds the kernel calls per chunk.
func RowMulAdds(widths []uint64) uint64 {
	return workload.MLPRowMulAdds(widths)
}

// MLPLayers is the weight layers of a model of these widths (one fewer than
// the widths); 0 when the widths are not recorded.
func MLPLayers(widths []uint64) uint64 {
	if len(widths) < 2 {
		return 0
	}
	return uint64(len(widths) - 1)
}

// RowValues is the most values one row holds at once through layers of
// these widths (a layer's input and output: max widths[i-1] + widths[i]);
// 0 when the widths are not recorded.
func RowValues(widths []uint64) uint64 {
	var n uint64
	for i := 1; i < len(widths); i++ {
		n = max(n, widths[i-1]+widths[i])
	}
	return n
}

// WidestLayer is the widest output of layers of these widths (max
// widths[i], i ≥ 1): a job over rows dataset rows holds rows × it values in
// that layer's activation; 0 when the widths are not recorded.
func WidestLayer(widths []uint64) uint64 {
	var n uint64
	for i := 1; i < len(widths); i++ {
		n = max(n, widths[i])
	}
	return n
}

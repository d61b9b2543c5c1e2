package workload

import (
	"context"
	"fmt"
	"math"
	mbits "math/bits"
)

// KindGPT is the gpt-f32 workload kind: greedy decoding with a GPT-2
// architecture model (docs/gpt-f32.md).
const KindGPT = "gpt-f32"

// Bounds of a gpt-f32 model's configuration.
const (
	MaxGPTLayers  = 64
	MaxGPTEmbed   = 16384
	MaxGPTHeadDim = 256
	// MaxGPTVocab keeps every token id exactly representable as a float32
	// (the output stores generated ids as float32 values).
	MaxGPTVocab   = 1 << 20
	MaxGPTContext = 4096
)

// PromptPad pads a prompt row of a prompt dataset after its last token.
const PromptPad int32 = -1

// GPTConfig is a gpt-f32 model's shape: its blocks, heads, embedding width,
// vocabulary and context length (GPT-2 small: 12, 12, 768, 50257, 1024).
// The MLP is 4·Embed wide.
type GPTConfig struct {
	Layers  int `json:"layers"`
	Heads   int `json:"heads"`
	Embed   int `json:"embed"`
	Vocab   int `json:"vocab"`
	Context int `json:"context"`
}

// Validate checks the bounds: every field positive, heads dividing the
// embedding into heads of at most MaxGPTHeadDim values, every tensor within
// MaxDenseElements.
func (c GPTConfig) Validate() error {
	switch {
	case c.Layers < 1 || c.Layers > MaxGPTLayers:
		return fmt.Errorf("%w: gpt layers %d not in [1, %d]", ErrInvalidParams, c.Layers, MaxGPTLayers)
	case c.Embed < 1 || c.Embed > MaxGPTEmbed:
		return fmt.Errorf("%w: gpt embed %d not in [1, %d]", ErrInvalidParams, c.Embed, MaxGPTEmbed)
	case c.Heads < 1 || c.Embed%c.Heads != 0 || c.Embed/c.Heads > MaxGPTHeadDim:
		return fmt.Errorf("%w: gpt heads %d must divide embed %d into heads of at most %d", ErrInvalidParams, c.Heads, c.Embed, MaxGPTHeadDim)
	case c.Vocab < 2 || c.Vocab > MaxGPTVocab:
		return fmt.Errorf("%w: gpt vocab %d not in [2, %d]", ErrInvalidParams, c.Vocab, MaxGPTVocab)
	case c.Context < 1 || c.Context > MaxGPTContext:
		return fmt.Errorf("%w: gpt context %d not in [1, %d]", ErrInvalidParams, c.Context, MaxGPTContext)
	case c.Vocab > MaxDenseElements/c.Embed || 4*c.Embed > MaxDenseElements/c.Embed:
		return fmt.Errorf("%w: gpt tensors of %d×%d exceed %d elements", ErrInvalidParams, c.Vocab, c.Embed, MaxDenseElements)
	}
	return nil
}

// HeadDim is Embed / Heads.
func (c GPTConfig) HeadDim() int { return c.Embed / c.Heads }

// Params is the model's parameter count: V·E + C·E + L·(12E² + 13E) + 2E.
func (c GPTConfig) Params() uint64 {
	e, l := uint64(c.Embed), uint64(c.Layers)
	return uint64(c.Vocab)*e + uint64(c.Context)*e + l*(12*e*e+13*e) + 2*e
}

// blockWeights is the blocks' dense weights, L·12E² (each block's qkv,
// projection and two MLP layers): a position's products through the
// blocks, and what a pass over them reads. It saturates at MaxUint64.
func (c GPTConfig) blockWeights() uint64 {
	return satMul(uint64(c.Layers), satMul(12, satMul(uint64(c.Embed), uint64(c.Embed))))
}

// MulAdds is the multiply-add count of one prompt of promptLen tokens
// decoded for maxNew tokens, T = promptLen + maxNew positions:
// T·L·12E² (the blocks' dense layers) + L·E·T·(T+1) (attention scores and
// values) + (maxNew+1)·V·E (the logits of the positions that need them). It
// saturates at MaxUint64. These are the products alone: the work the chain
// charges a job is Work, which adds the elementwise work and kernel calls.
func (c GPTConfig) MulAdds(promptLen, maxNew int) uint64 {
	t, e, l := uint64(promptLen+maxNew), uint64(c.Embed), uint64(c.Layers)
	var sum uint64
	for _, terms := range [][]uint64{{t, c.blockWeights()}, {l, e, t, t + 1}, {uint64(maxNew) + 1, uint64(c.Vocab), e}} {
		p := uint64(1)
		for _, f := range terms {
			hi, lo := mbits.Mul64(p, f)
			if hi != 0 {
				return math.MaxUint64
			}
			p = lo
		}
		if sum += p; sum < p {
			return math.MaxUint64
		}
	}
	return sum
}

// CheckDecode checks that prompts of up to promptCols tokens decoded for
// maxNew tokens fit the context, and that an output row (maxNew ids and the
// vocabulary's logits) is within bounds.
func (c GPTConfig) CheckDecode(promptCols, maxNew int) error {
	if promptCols < 1 || maxNew < 0 || promptCols > c.Context || maxNew > c.Context-promptCols {
		return fmt.Errorf("%w: prompts of %d tokens + %d new tokens exceed the context of %d", ErrInvalidParams, promptCols, maxNew, c.Context)
	}
	return nil
}

// PromptTokens returns the prompt a padded row holds: its tokens before the
// first PromptPad. The row is valid when that prompt has at least one token,
// every token is in [0, vocab) and every value after it is PromptPad.
func PromptTokens(row []int32, vocab int) ([]int32, bool) {
	n := len(row)
	for i, t := range row {
		if t == PromptPad {
			n = i
			break
		}
		if t < 0 || int(t) >= vocab {
			return nil, false
		}
	}
	for _, t := range row[n:] {
		if t != PromptPad {
			return nil, false
		}
	}
	return row[:n], n > 0
}

// GPTJob is a gpt-f32 job: each prompt row decoded greedily for MaxNew
// tokens. Output row r is the MaxNew generated ids (as float32 values)
// followed by the Vocab logits of the final position; an invalid prompt row
// gives MaxNew values −1 and Vocab canonical NaNs.
type GPTJob struct {
	model     *GPTModel
	prompts   *TokenMatrix
	maxNew    int
	chunkRows int
}

var _ Job = (*GPTJob)(nil)

// NewGPTJob checks the prompts' width against the model's context.
func NewGPTJob(model *GPTModel, prompts *TokenMatrix, maxNew, chunkRows int) (*GPTJob, error) {
	if err := model.Validate(); err != nil {
		return nil, err
	}
	if err := prompts.Validate(); err != nil {
		return nil, err
	}
	if chunkRows < 1 {
		return nil, fmt.Errorf("%w: chunk_rows=%d must be positive", ErrInvalidParams, chunkRows)
	}
	cfg := model.Config
	if err := cfg.CheckDecode(prompts.Cols, maxNew); err != nil {
		return nil, err
	}
	if prompts.Rows > MaxDenseElements/(maxNew+cfg.Vocab) {
		return nil, fmt.Errorf("%w: output %d×%d exceeds %d elements", ErrInvalidParams, prompts.Rows, maxNew+cfg.Vocab, MaxDenseElements)
	}
	return &GPTJob{model: model, prompts: prompts, maxNew: maxNew, chunkRows: chunkRows}, nil
}

// Kind returns KindGPT.
func (j *GPTJob) Kind() string { return KindGPT }

// Rows returns the number of prompts.
func (j *GPTJob) Rows() int { return j.prompts.Rows }

// Cols returns MaxNew + Vocab.
func (j *GPTJob) Cols() int { return j.maxNew + j.model.Config.Vocab }

// ChunkRows returns the chunk size in prompts.
func (j *GPTJob) ChunkRows() int { return j.chunkRows }

// MaxNew returns the number of generated tokens per prompt.
func (j *GPTJob) MaxNew() int { return j.maxNew }

// ComputeRows decodes prompts [r0, r1) with the backend's gpt kernels (its
// own when it implements GPTBackend, else host kernels over its Dense).
func (j *GPTJob) ComputeRows(ctx context.Context, b Backend, r0, r1 int) ([]float32, error) {
	if err := checkRowRange(j, r0, r1); err != nil {
		return nil, err
	}
	return DecodeGPT(ctx, KernelsFor(b), j.model, j.prompts, r0, r1, j.maxNew)
}

// invalidRow fills an output row for an invalid prompt.
func invalidRow(row []float32, maxNew int) {
	for i := range row {
		if i < maxNew {
			row[i] = -1
		} else {
			row[i] = canonicalNaN
		}
	}
}

package workload_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aichain/aichain/workload"
)

// The gpt-f32 known-answer files: a byte-level model from RandomGPT and
// prompts of several lengths, two of them invalid.
const (
	gptModelFile   = "gpt_model.safetensors"
	gptPromptsFile = "gpt_prompts.npy"
	gptModelSeed   = 2026
)

var gptVectorConfig = workload.GPTConfig{Layers: 2, Heads: 4, Embed: 32, Vocab: 256, Context: 48}

// gptVectorPrompts are "Hello", "aichain", "1+1=", one byte 0, a row with a
// token past the vocabulary (invalid), a row with a token after padding
// (invalid) and a full-width row of 10 tokens.
func gptVectorPrompts() *workload.TokenMatrix {
	rows := [][]int32{
		[]int32("Hello"), []int32("aichain"), []int32("1+1="), {0},
		{72, 256}, {1, -1, 2}, {255, 254, 253, 252, 251, 250, 32, 33, 34, 35},
	}
	const width = 10
	m := &workload.TokenMatrix{Rows: len(rows), Cols: width, Data: make([]int32, len(rows)*width)}
	for r, row := range rows {
		for c := 0; c < width; c++ {
			m.Data[r*width+c] = workload.PromptPad
			if c < len(row) {
				m.Data[r*width+c] = row[c]
			}
		}
	}
	return m
}

func gptVectorFiles(t *testing.T) (model, prompts []byte) {
	t.Helper()
	m, err := workload.RandomGPT(gptVectorConfig, gptModelSeed)
	if err != nil {
		t.Fatal(err)
	}
	if model, err = workload.EncodeGPTSafetensors(m); err != nil {
		t.Fatal(err)
	}
	if prompts, err = workload.EncodeNPYInt32(gptVectorPrompts()); err != nil {
		t.Fatal(err)
	}
	return model, prompts
}

func writeGPTVectorFiles(t *testing.T) (model, prompts []byte) {
	t.Helper()
	model, prompts = gptVectorFiles(t)
	for name, data := range map[string][]byte{gptModelFile: model, gptPromptsFile: prompts} {
		if err := os.WriteFile(filepath.Join(vectorDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return model, prompts
}

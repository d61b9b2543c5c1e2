package types_test

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/x/modelregistry/types"
)

func TestValidateArchitecture(t *testing.T) {
	gpt2 := &types.GptConfig{Layers: 12, Heads: 12, Embed: 768, Vocab: 50257, Context: 1024}
	ok := []struct {
		arch    string
		in, out uint64
		gpt     *types.GptConfig
	}{
		{types.ArchitectureMLPF32, 4, 3, nil},
		{types.ArchitectureGPTF32, 50257, 50257, gpt2},
		{types.ArchitectureGPTF32, 256, 256, &types.GptConfig{Layers: 1, Heads: 1, Embed: 8, Vocab: 256, Context: 16}},
	}
	for _, c := range ok {
		if err := types.ValidateArchitecture(c.arch, c.in, c.out, c.gpt); err != nil {
			t.Errorf("%s %d→%d %+v refused: %v", c.arch, c.in, c.out, c.gpt, err)
		}
	}
	bad := []struct {
		arch    string
		in, out uint64
		gpt     *types.GptConfig
		want    error
	}{
		{"conv-f32", 4, 3, nil, types.ErrUnsupportedArch},
		{types.ArchitectureMLPF32, 4, 3, gpt2, types.ErrInvalidModel},
		{types.ArchitectureMLPF32, 0, 3, nil, types.ErrInvalidModel},
		{types.ArchitectureGPTF32, 50257, 50257, nil, types.ErrInvalidModel},
		{types.ArchitectureGPTF32, 768, 50257, gpt2, types.ErrInvalidModel},
		{types.ArchitectureGPTF32, 50257, 50257, &types.GptConfig{Layers: 12, Heads: 7, Embed: 768, Vocab: 50257, Context: 1024}, types.ErrInvalidModel},
		{types.ArchitectureGPTF32, 50257, 50257, &types.GptConfig{Layers: 0, Heads: 12, Embed: 768, Vocab: 50257, Context: 1024}, types.ErrInvalidModel},
		{types.ArchitectureGPTF32, 50257, 50257, &types.GptConfig{Layers: 12, Heads: 12, Embed: 768, Vocab: 50257, Context: 8192}, types.ErrInvalidModel},
		{types.ArchitectureGPTF32, 1 << 21, 1 << 21, &types.GptConfig{Layers: 1, Heads: 1, Embed: 8, Vocab: 1 << 21, Context: 16}, types.ErrInvalidModel},
	}
	for _, c := range bad {
		if err := types.ValidateArchitecture(c.arch, c.in, c.out, c.gpt); !errors.Is(err, c.want) {
			t.Errorf("%s %d→%d %+v: got %v, want %v", c.arch, c.in, c.out, c.gpt, err, c.want)
		}
	}
	// Through the message.
	m := validRegister()
	m.Architecture, m.InputDim, m.OutputDim, m.Gpt = types.ArchitectureGPTF32, 50257, 50257, gpt2
	if err := m.ValidateBasic(); err != nil {
		t.Fatal(err)
	}
	m.Gpt = nil
	if err := m.ValidateBasic(); !errors.Is(err, types.ErrInvalidModel) {
		t.Fatalf("gpt-f32 without a config: %v", err)
	}
}

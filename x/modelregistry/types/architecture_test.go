package types_test

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/workload"
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

// An mlp-f32 registration records its layer widths (input_dim, hidden_dims,
// output_dim): each in [1, MaxDim], each layer within the parser's dense
// bound, at most MaxMLPLayers layers; a gpt-f32 registration has none. A
// stored mlp model may have none (registered before they were recorded),
// or widths that start and end at its dims. RowMulAdds is Σ in·out.
func TestHiddenDims(t *testing.T) {
	msg := validRegister() // 4 → 3
	for name, c := range map[string]struct {
		hidden []uint64
		ok     bool
	}{
		"one layer":         {nil, true},
		"two hidden":        {[]uint64{16, 8}, true},
		"zero width":        {[]uint64{16, 0}, false},
		"wider than MaxDim": {[]uint64{types.MaxDim + 1}, false},
		"a layer too large": {[]uint64{1 << 24, 1 << 24}, false}, // 2^48 weights
		"too many layers":   {make([]uint64, types.MaxMLPLayers), false},
		"as many as allowed": {func() []uint64 {
			h := make([]uint64, types.MaxMLPLayers-1)
			for i := range h {
				h[i] = 2
			}
			return h
		}(), true},
	} {
		msg.HiddenDims = c.hidden
		err := msg.ValidateBasic()
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, types.ErrInvalidModel)) {
			t.Errorf("%s: %v, want ok=%v (ErrInvalidModel otherwise)", name, err, c.ok)
		}
		if c.ok {
			if got := msg.Spec().LayerWidths; len(got) != len(c.hidden)+2 || got[0] != 4 || got[len(got)-1] != 3 {
				t.Errorf("%s: recorded widths %v", name, got)
			}
		}
	}
	gpt := &types.MsgPublishVersion{Owner: msg.Owner, Name: "tiny-gpt", Version: "1", Architecture: types.ArchitectureGPTF32,
		Sha256: msg.Sha256, Uri: msg.Uri, InputDim: 256, OutputDim: 256, License: "MIT", Shares: msg.Shares,
		Gpt: &types.GptConfig{Layers: 1, Heads: 1, Embed: 8, Vocab: 256, Context: 16}}
	if err := gpt.ValidateBasic(); err != nil {
		t.Fatal(err)
	}
	if gpt.Spec().LayerWidths != nil {
		t.Fatalf("a gpt model records widths %v", gpt.Spec().LayerWidths)
	}
	gpt.HiddenDims = []uint64{8}
	if err := gpt.ValidateBasic(); !errors.Is(err, types.ErrInvalidModel) {
		t.Fatalf("a gpt model with hidden_dims: %v", err)
	}
	for _, c := range []struct {
		widths []uint64
		ok     bool
	}{{nil, true}, {[]uint64{4, 16, 3}, true}, {[]uint64{5, 3}, false}, {[]uint64{4, 2}, false}, {[]uint64{4}, false}} {
		if err := types.ValidateLayerWidths(types.ArchitectureMLPF32, 4, 3, c.widths); c.ok != (err == nil) {
			t.Errorf("stored widths %v: %v, want ok=%v", c.widths, err, c.ok)
		}
	}
	if err := types.ValidateLayerWidths(types.ArchitectureGPTF32, 256, 256, []uint64{256, 256}); err == nil {
		t.Error("a stored gpt model with layer widths")
	}
	if got := types.RowMulAdds([]uint64{4, 16, 8, 3}); got != 4*16+16*8+8*3+workload.MLPOutputMulAdds*(16+8+3) {
		t.Errorf("RowMulAdds = %d", got)
	}
}

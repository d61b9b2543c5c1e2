package workload_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/testutil/vectors"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
)

var update = flag.Bool("update", false, "regenerate testdata (model, dataset, vectors.json) from the CPU backend")

const (
	vectorDir   = "testdata"
	vectorFile  = "testdata/vectors.json"
	modelFile   = "mlp_model.safetensors"
	datasetFile = "mlp_dataset.npy"
)

// vectorModel is the mlp test model: 12 → 16 → 10 → 3 with biases, weights
// from a seeded SplitMix64 stream.
func vectorModel() *workload.Model {
	g := workload.SplitMix64{State: 2024}
	dims := []int{12, 16, 10, 3}
	m := &workload.Model{Metadata: map[string]string{"generator": "aichain workload test vectors"}}
	for i := 0; i+1 < len(dims); i++ {
		l := workload.Layer{In: dims[i], Out: dims[i+1]}
		l.Weight = make([]float32, l.In*l.Out)
		for j := range l.Weight {
			l.Weight[j] = workload.UnitFloat(g.Next()) / 2
		}
		l.Bias = make([]float32, l.Out)
		for j := range l.Bias {
			l.Bias[j] = workload.UnitFloat(g.Next()) / 4
		}
		m.Layers = append(m.Layers, l)
	}
	return m
}

// vectorDataset is the mlp test dataset: 23 rows of 12 values in [-4, 4).
func vectorDataset() *workload.Matrix {
	g := workload.SplitMix64{State: 77}
	d := &workload.Matrix{Rows: 23, Cols: 12, Data: make([]float32, 23*12)}
	for i := range d.Data {
		d.Data[i] = workload.UnitFloat(g.Next()) * 4
	}
	return d
}

func vectorCases() []vectors.Vector {
	return []vectors.Vector{
		{Name: "gemm-64x48x32-seed1-chunk8", Kind: workload.KindGemm, Gemm: &workload.GemmParams{M: 64, N: 48, K: 32, Seed: 1, ChunkRows: 8}},
		{Name: "gemm-37x29x41-seed42-chunk5", Kind: workload.KindGemm, Gemm: &workload.GemmParams{M: 37, N: 29, K: 41, Seed: 42, ChunkRows: 5}},
		{Name: "gemm-1x1x1-seed0-chunk1", Kind: workload.KindGemm, Gemm: &workload.GemmParams{M: 1, N: 1, K: 1, Seed: 0, ChunkRows: 1}},
		{Name: "gemm-70x67x600-seed18446744073709551615-chunk16", Kind: workload.KindGemm, Gemm: &workload.GemmParams{M: 70, N: 67, K: 600, Seed: 18446744073709551615, ChunkRows: 16}},
		{Name: "mlp-12-16-10-3-rows23-chunk4", Kind: workload.KindMLP, MLP: &vectors.MLPVector{
			Model: modelFile, Dataset: datasetFile, ChunkRows: 4, DatasetRowsPerChunk: 5,
		}},
		{Name: "gpt-2x4x32-v256-ctx48-prompts7-new6-chunk3", Kind: workload.KindGPT, GPT: &vectors.GPTVector{
			Model: gptModelFile, Config: gptVectorConfig, Prompts: gptPromptsFile, MaxNewTokens: 6, ChunkRows: 3,
		}},
		{Name: "gpt-2x4x32-v256-ctx48-prompts7-new0-chunk7", Kind: workload.KindGPT, GPT: &vectors.GPTVector{
			Model: gptModelFile, Config: gptVectorConfig, Prompts: gptPromptsFile, MaxNewTokens: 0, ChunkRows: 7,
		}},
	}
}

func generateVectors(t *testing.T) {
	model, err := workload.EncodeSafetensors(vectorModel())
	if err != nil {
		t.Fatal(err)
	}
	data, err := workload.EncodeNPY(vectorDataset())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vectorDir, modelFile), model, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vectorDir, datasetFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	gptModel, gptPrompts := writeGPTVectorFiles(t)
	ctx := context.Background()
	vf := vectors.VectorFile{Version: 1}
	for _, v := range vectorCases() {
		if v.MLP != nil {
			v.MLP.ModelSHA256 = workload.SHA256Hex(model)
			v.MLP.DatasetSHA256 = workload.SHA256Hex(data)
			_, d, err := v.MLP.Load(vectorDir)
			if err != nil {
				t.Fatal(err)
			}
			root, n, err := dataset.Root(d, v.MLP.DatasetRowsPerChunk)
			if err != nil {
				t.Fatal(err)
			}
			v.MLP.DatasetRoot, v.MLP.DatasetChunkCount = hex.EncodeToString(root[:]), n
		}
		if v.GPT != nil {
			v.GPT.ModelSHA256, v.GPT.PromptsSHA256 = workload.SHA256Hex(gptModel), workload.SHA256Hex(gptPrompts)
			m, p, err := v.GPT.Load(vectorDir)
			if err != nil {
				t.Fatal(err)
			}
			out := workload.ReferenceGPTRows(m, p, v.GPT.MaxNewTokens)
			v.GPT.Generated = vectors.GeneratedIDs(out, p.Rows, v.GPT.MaxNewTokens, m.Config.Vocab)
		}
		j, err := v.Job(vectorDir)
		if err != nil {
			t.Fatal(err)
		}
		root, n, err := workload.OutputRoot(ctx, j, cpu.New())
		if err != nil {
			t.Fatal(err)
		}
		v.OutputRoot, v.ChunkCount = hex.EncodeToString(root[:]), n
		vf.Vectors = append(vf.Vectors, v)
	}
	out, err := json.MarshalIndent(vf, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vectorFile, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s, %s, %s", vectorFile, modelFile, datasetFile)
}

// TestVectors checks the committed known-answer vectors with the reference
// and CPU backends. Regenerate with: go test ./workload -run TestVectors -args -update
func TestVectors(t *testing.T) {
	if *update {
		generateVectors(t)
	}
	vf, err := vectors.LoadVectors(vectorFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(vf.Vectors) != len(vectorCases()) {
		t.Fatalf("%d vectors, want %d", len(vf.Vectors), len(vectorCases()))
	}
	for i, want := range vectorCases() {
		if vf.Vectors[i].Name != want.Name {
			t.Fatalf("vector %d is %q, want %q", i, vf.Vectors[i].Name, want.Name)
		}
	}
	for _, b := range []workload.Backend{workload.Reference{}, cpu.New(), &cpu.Backend{Workers: 1}} {
		for _, v := range vf.Vectors {
			if err := v.Check(context.Background(), b, vectorDir); err != nil {
				t.Errorf("%s: %v", b.Name(), err)
			}
		}
	}
}

// TestVectorFilesReproducible checks that the committed model and dataset are
// exactly what the seeded generators and the encoders produce.
func TestVectorFilesReproducible(t *testing.T) {
	model, _ := workload.EncodeSafetensors(vectorModel())
	data, _ := workload.EncodeNPY(vectorDataset())
	gm, gp := gptVectorFiles(t)
	for name, want := range map[string][]byte{modelFile: model, datasetFile: data, gptModelFile: gm, gptPromptsFile: gp} {
		got, err := os.ReadFile(filepath.Join(vectorDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from the generator's output", name)
		}
	}
}

func TestVectorTampering(t *testing.T) {
	vf, err := vectors.LoadVectors(vectorFile)
	if err != nil {
		t.Fatal(err)
	}
	v := vf.Vectors[1]
	v.OutputRoot = "00" + v.OutputRoot[2:]
	if err := v.Check(context.Background(), workload.Reference{}, vectorDir); err == nil {
		t.Fatal("a wrong root passed")
	}
	v = vf.Vectors[4]
	mv := *v.MLP
	mv.ModelSHA256 = mv.DatasetSHA256
	v.MLP = &mv
	if err := v.Check(context.Background(), workload.Reference{}, vectorDir); err == nil {
		t.Fatal("a wrong model digest passed")
	}
	v = vf.Vectors[5]
	gv := *v.GPT
	gv.Generated = append([][]int32{{1, 2, 3, 4, 5, 6}}, gv.Generated[1:]...)
	v.GPT = &gv
	if err := v.Check(context.Background(), workload.Reference{}, vectorDir); err == nil {
		t.Fatal("wrong generated ids passed")
	}
}

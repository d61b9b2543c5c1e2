// Package vectors loads and checks aichain's known-answer test vectors
// (workload/testdata/vectors.json): every backend must reproduce every
// vector's output root bit for bit. It reads files, so it is for tests only.
package vectors

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/workload/merkle"
)

// ErrVector reports a malformed test-vector file or a vector a backend does
// not reproduce.
var ErrVector = errors.New("vectors: bad test vector")

// VectorFile is the JSON file of known-answer test vectors
// (workload/testdata/vectors.json). Every backend must reproduce every
// vector's output root bit for bit.
type VectorFile struct {
	Version int      `json:"version"`
	Vectors []Vector `json:"vectors"`
}

// Vector is one known-answer case. Exactly one of Gemm, MLP and GPT is
// set.
type Vector struct {
	Name       string               `json:"name"`
	Kind       string               `json:"kind"`
	Gemm       *workload.GemmParams `json:"gemm,omitempty"`
	MLP        *MLPVector           `json:"mlp,omitempty"`
	GPT        *GPTVector           `json:"gpt,omitempty"`
	ChunkCount int                  `json:"chunk_count"`
	OutputRoot string               `json:"output_root"`
}

// GPTVector names a gpt-f32 case's files (relative to the vector file's
// directory): the model (GPT-2 safetensors) with its config, the prompts
// (npy-i32, one per row, padded with -1), and the expected generated ids of
// each prompt (null for an invalid prompt row), which a new implementation
// can compare before it gets the logits' bits right.
type GPTVector struct {
	Model         string             `json:"model"`
	ModelSHA256   string             `json:"model_sha256"`
	Config        workload.GPTConfig `json:"config"`
	Prompts       string             `json:"prompts"`
	PromptsSHA256 string             `json:"prompts_sha256"`
	MaxNewTokens  int                `json:"max_new_tokens"`
	ChunkRows     int                `json:"chunk_rows"`
	Generated     [][]int32          `json:"generated"`
}

// Load reads and parses the vector's model and prompts.
func (gv *GPTVector) Load(dir string) (*workload.GPTModel, *workload.TokenMatrix, error) {
	data, err := readLimited(filepath.Join(dir, gv.Model), workload.DefaultLimits().MaxFileBytes)
	if err != nil {
		return nil, nil, err
	}
	m, err := workload.ParseGPTSafetensors(data, gv.ModelSHA256, gv.Config, workload.Limits{})
	if err != nil {
		return nil, nil, err
	}
	pd, err := readLimited(filepath.Join(dir, gv.Prompts), workload.DefaultLimits().MaxFileBytes)
	if err != nil {
		return nil, nil, err
	}
	p, err := workload.ParseNPYInt32(pd, gv.PromptsSHA256, workload.Limits{})
	if err != nil {
		return nil, nil, err
	}
	return m, p, nil
}

// GeneratedIDs returns each output row's generated ids (nil for an invalid
// prompt's row: ids −1, logits NaN).
func GeneratedIDs(out []float32, rows, maxNew, vocab int) [][]int32 {
	gen := make([][]int32, rows)
	for r := range gen {
		row := out[r*(maxNew+vocab):]
		if (maxNew > 0 && row[0] < 0) || (maxNew == 0 && row[0] != row[0]) {
			continue
		}
		gen[r] = make([]int32, maxNew)
		for n := range gen[r] {
			gen[r][n] = int32(row[n])
		}
	}
	return gen
}

// MLPVector names an mlp-f32 case's files (relative to the vector file's
// directory) and the dataset's expected content_root.
type MLPVector struct {
	Model               string `json:"model"`
	ModelSHA256         string `json:"model_sha256"`
	Dataset             string `json:"dataset"`
	DatasetSHA256       string `json:"dataset_sha256"`
	ChunkRows           int    `json:"chunk_rows"`
	DatasetRowsPerChunk int    `json:"dataset_rows_per_chunk"`
	DatasetChunkCount   int    `json:"dataset_chunk_count"`
	DatasetRoot         string `json:"dataset_root"`
}

// LoadVectors reads and strictly decodes a vector file.
func LoadVectors(path string) (*VectorFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var vf VectorFile
	if err := dec.Decode(&vf); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrVector, path, err)
	}
	if vf.Version != 1 || len(vf.Vectors) == 0 {
		return nil, fmt.Errorf("%w: %s: version %d with %d vectors", ErrVector, path, vf.Version, len(vf.Vectors))
	}
	return &vf, nil
}

// Job builds the vector's job; dir is the directory of the vector file.
func (v *Vector) Job(dir string) (workload.Job, error) {
	switch {
	case v.Kind == workload.KindGemm && v.Gemm != nil && v.MLP == nil:
		return workload.NewGemmJob(*v.Gemm)
	case v.Kind == workload.KindMLP && v.MLP != nil && v.Gemm == nil && v.GPT == nil:
		m, d, err := v.MLP.Load(dir)
		if err != nil {
			return nil, err
		}
		return workload.NewMLPJob(m, d, v.MLP.ChunkRows)
	case v.Kind == workload.KindGPT && v.GPT != nil && v.Gemm == nil && v.MLP == nil:
		m, p, err := v.GPT.Load(dir)
		if err != nil {
			return nil, err
		}
		return workload.NewGPTJob(m, p, v.GPT.MaxNewTokens, v.GPT.ChunkRows)
	default:
		return nil, fmt.Errorf("%w: %s: kind %q with gemm=%v mlp=%v gpt=%v", ErrVector, v.Name, v.Kind, v.Gemm != nil, v.MLP != nil, v.GPT != nil)
	}
}

// Load reads and parses the vector's model and dataset.
func (mv *MLPVector) Load(dir string) (*workload.Model, *workload.Matrix, error) {
	m, err := ReadSafetensorsFile(filepath.Join(dir, mv.Model), mv.ModelSHA256, workload.Limits{})
	if err != nil {
		return nil, nil, err
	}
	d, err := ReadNPYFile(filepath.Join(dir, mv.Dataset), mv.DatasetSHA256, workload.Limits{})
	if err != nil {
		return nil, nil, err
	}
	return m, d, nil
}

// Check recomputes the vector with backend b: the whole output's root and
// chunk count, every chunk again on its own (the verifier's path) and, for
// mlp, the dataset's content_root. It returns an error describing the first
// difference.
func (v *Vector) Check(ctx context.Context, b workload.Backend, dir string) error {
	j, err := v.Job(dir)
	if err != nil {
		return err
	}
	chunks, err := workload.ComputeChunks(ctx, j, b)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", v.Name, b.Name(), err)
	}
	t, err := merkle.New(chunks)
	if err != nil {
		return err
	}
	root := t.Root()
	if got := hex.EncodeToString(root[:]); got != v.OutputRoot || len(chunks) != v.ChunkCount {
		return fmt.Errorf("%w: %s on %s: root %s with %d chunks, want %s with %d", ErrVector, v.Name, b.Name(), got, len(chunks), v.OutputRoot, v.ChunkCount)
	}
	for i := range chunks {
		c, err := workload.ComputeChunk(ctx, j, b, i)
		if err != nil {
			return fmt.Errorf("%s on %s: chunk %d: %w", v.Name, b.Name(), i, err)
		}
		p, err := t.Proof(i)
		if err != nil {
			return err
		}
		if err := merkle.Verify(root, uint64(i), uint64(len(chunks)), c, p); err != nil {
			return fmt.Errorf("%s on %s: chunk %d computed alone: %w", v.Name, b.Name(), i, err)
		}
	}
	if v.GPT != nil {
		if err := v.checkGenerated(chunks); err != nil {
			return fmt.Errorf("%s on %s: %w", v.Name, b.Name(), err)
		}
	}
	if v.MLP != nil {
		_, d, err := v.MLP.Load(dir)
		if err != nil {
			return err
		}
		dr, dn, err := dataset.Root(d, v.MLP.DatasetRowsPerChunk)
		if err != nil {
			return err
		}
		if got := hex.EncodeToString(dr[:]); got != v.MLP.DatasetRoot || dn != v.MLP.DatasetChunkCount {
			return fmt.Errorf("%w: %s: dataset root %s with %d chunks, want %s with %d", ErrVector, v.Name, got, dn, v.MLP.DatasetRoot, v.MLP.DatasetChunkCount)
		}
	}
	return nil
}

// checkGenerated compares the generated ids in the chunks with the vector's.
func (v *Vector) checkGenerated(chunks [][]byte) error {
	var all []byte
	for _, c := range chunks {
		all = append(all, c...)
	}
	out, err := workload.DecodeFloats(all)
	if err != nil {
		return err
	}
	g := v.GPT
	cols := g.MaxNewTokens + g.Config.Vocab
	got := GeneratedIDs(out, len(out)/cols, g.MaxNewTokens, g.Config.Vocab)
	if fmt.Sprint(got) != fmt.Sprint(g.Generated) {
		return fmt.Errorf("%w: generated %v, want %v", ErrVector, got, g.Generated)
	}
	return nil
}

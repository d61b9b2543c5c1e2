package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/aichain/aichain/workload"
)

// writeExamples writes the example dataset and model the flags ask for and
// reports whether it did (then the command exits).
func writeExamples(fs *pflag.FlagSet) (bool, error) {
	example, _ := fs.GetString("write-example")
	model, _ := fs.GetString("write-example-model")
	if example != "" {
		if err := writeExample(example); err != nil {
			return true, err
		}
	}
	if model != "" {
		if err := writeExampleModel(model); err != nil {
			return true, err
		}
	}
	return example != "" || model != "", nil
}

// writeExample writes a deterministic 64×4 float32 dataset, for trying the
// market on a local chain.
func writeExample(path string) error {
	m := &workload.Matrix{Rows: 64, Cols: 4, Data: make([]float32, 64*4)}
	for i := range m.Data {
		m.Data[i] = workload.UnitFloat(workload.SplitMixAt(2026, uint64(i)))
	}
	data, err := workload.EncodeNPY(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s: 64×4 float32, sha256 %s\n", path, workload.SHA256Hex(data))
	return nil
}

// writeExampleModel writes a seeded mlp-f32 model, 4 inputs → 8 (ReLU) → 2,
// so that the example dataset can run through it as an mlp job.
func writeExampleModel(path string) error {
	fill := func(n int, seed uint64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = workload.UnitFloat(workload.SplitMixAt(seed, uint64(i)))
		}
		return v
	}
	m := &workload.Model{Layers: []workload.Layer{
		{In: 4, Out: 8, Weight: fill(32, 11), Bias: fill(8, 12)},
		{In: 8, Out: 2, Weight: fill(16, 13), Bias: fill(2, 14)},
	}}
	data, err := workload.EncodeSafetensors(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s: mlp-f32 4→8→2, sha256 %s\n", path, workload.SHA256Hex(data))
	return nil
}

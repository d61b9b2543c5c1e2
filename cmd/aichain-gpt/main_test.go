package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aichain/aichain/workload"
)

func TestModelAndPrompts(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	path := filepath.Join(dir, "m.safetensors")
	if err := run([]string{"model", path, "--seed", "3", "--layers", "1"}, &out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ExampleConfig
	cfg.Layers = 1
	m, err := workload.ParseGPTSafetensors(data, workload.SHA256Hex(data), cfg, workload.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := workload.RandomGPT(cfg, 3)
	if m.WTE[5] != want.WTE[5] || !strings.Contains(out.String(), workload.SHA256Hex(data)) ||
		!strings.Contains(out.String(), `--gpt '{"layers":1,"heads":4,"embed":64,"vocab":256,"context":128}'`) {
		t.Fatalf("output %q", out.String())
	}
	// The same seed writes the same file.
	if err := run([]string{"model", filepath.Join(dir, "again"), "--layers=1", "--seed=3"}, &out); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(dir, "again"))
	if !bytes.Equal(again, data) {
		t.Fatal("the same seed wrote another model")
	}

	npy := filepath.Join(dir, "p.npy")
	if err := run([]string{"prompts", npy, "Hi", "abc"}, &out); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(npy)
	p, err := workload.ParseNPYInt32(raw, workload.SHA256Hex(raw), workload.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows != 2 || p.Cols != 3 || p.Data[0] != 'H' || p.Data[2] != workload.PromptPad || p.Data[5] != 'c' {
		t.Fatalf("prompts %+v", p)
	}
	for _, bad := range [][]string{{}, {"model"}, {"prompts", npy}, {"text"}, {"text", "x"}, {"nope"}} {
		if err := run(bad, &out); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if err := run([]string{"prompts", npy, ""}, &out); err == nil {
		t.Error("an empty prompt accepted")
	}
	if err := run(nil, &out); !errors.Is(err, errUsage) {
		t.Errorf("no arguments: %v", err)
	}
}

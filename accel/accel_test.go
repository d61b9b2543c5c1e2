package accel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aichain/aichain/accel/cuda"
	"github.com/aichain/aichain/workload"
)

type fakeGPU struct {
	workload.Reference
	closed bool
}

func (f *fakeGPU) Name() string   { return "cuda" }
func (f *fakeGPU) Device() string { return "Fake GPU" }
func (f *fakeGPU) Close() error   { f.closed = true; return nil }

func TestOpenCPU(t *testing.T) {
	var log []string
	b, err := Open("cpu", WithLogf(func(f string, a ...any) { log = append(log, fmt.Sprintf(f, a...)) }))
	if err != nil || b.Name() != "cpu" {
		t.Fatalf("cpu: %v, %v", b, err)
	}
	y, err := b.Dense(context.Background(), []float32{1, 2}, 1, 2, []float32{3, 4}, nil, 1, false)
	if err != nil || y[0] != 11 {
		t.Fatalf("Dense: %v, %v", y, err)
	}
	if len(log) != 1 || !strings.Contains(log[0], "cpu") {
		t.Fatalf("log %q", log)
	}
	if err := Close(b); err != nil {
		t.Fatal(err)
	}
}

func TestOpenHere(t *testing.T) {
	// On this machine (no libcuda.so.1) auto falls back to the CPU, saying why,
	// and cuda fails clearly. On a GPU machine both give the CUDA backend.
	var log []string
	b, err := Open("auto", WithLogf(func(f string, a ...any) { log = append(log, fmt.Sprintf(f, a...)) }))
	if err != nil {
		t.Fatal(err)
	}
	defer Close(b)
	c, cerr := Open("cuda")
	if cerr == nil {
		defer Close(c)
		if b.Name() != "cuda" || c.Name() != "cuda" {
			t.Fatalf("auto chose %s although cuda opens", b.Name())
		}
		return
	}
	if b.Name() != "cpu" {
		t.Fatalf("auto chose %s although cuda fails: %v", b.Name(), cerr)
	}
	if len(log) != 1 || !strings.Contains(log[0], "cuda not used") {
		t.Fatalf("auto did not say why: %q", log)
	}
	if !cuda.IsUnavailable(cerr) || !strings.Contains(cerr.Error(), "cuda backend unavailable") {
		t.Fatalf("cuda error: %v", cerr)
	}
}

func TestOpenSelection(t *testing.T) {
	gpu := &fakeGPU{}
	works := withCUDAOpener(func() (workload.Backend, error) { return gpu, nil })
	mismatch := withCUDAOpener(func() (workload.Backend, error) {
		return nil, fmt.Errorf("device X: %w", cuda.ErrSelfTestMismatch)
	})
	var log []string
	logf := WithLogf(func(f string, a ...any) { log = append(log, fmt.Sprintf(f, a...)) })
	if b, err := Open("auto", works, logf); err != nil || b != gpu {
		t.Fatalf("auto with a working GPU: %v, %v", b, err)
	}
	if !strings.Contains(log[0], "Fake GPU") {
		t.Fatalf("log %q", log)
	}
	if b, err := Open("cuda", works); err != nil || b != gpu {
		t.Fatalf("cuda with a working GPU: %v, %v", b, err)
	}
	if b, err := Open("auto", mismatch, logf); err != nil || b.Name() != "cpu" {
		t.Fatalf("auto with a mismatching GPU: %v, %v", b, err)
	}
	if !strings.Contains(log[1], "self-test mismatch") {
		t.Fatalf("log %q", log)
	}
	if _, err := Open("cuda", mismatch); !errors.Is(err, cuda.ErrSelfTestMismatch) {
		t.Fatalf("cuda with a mismatching GPU: %v", err)
	}
	if err := Close(gpu); err != nil || !gpu.closed {
		t.Fatal("Close did not close the GPU backend")
	}
	for _, name := range []string{"", "bogus", "CPU", "gpu"} {
		if b, err := Open(name); !errors.Is(err, ErrUnknownBackend) || b != nil {
			t.Errorf("%q: %v, %v", name, b, err)
		}
	}
}

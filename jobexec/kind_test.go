package jobexec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// toyKind is a kind that only this test registers: a gemm whose seed is
// flipped, read from the spec's gemm field under another kind name.
const toyKind = "toy-gemm-f32"

var registerToy sync.Once

// toyRow registers the toy kind through Register alone. Its Serve marks each
// response with the output's chunk count as input_chunk_count, and its
// Verifier checks the mark: material served by the row, checked by the row.
func toyRow(t *testing.T) {
	t.Helper()
	build := func(_ context.Context, spec computetypes.WorkloadSpec, _ uint64, _ Resolver) (workload.Job, error) {
		g := spec.Gemm
		if g == nil {
			return nil, fmt.Errorf("%w: no gemm field", ErrUnsupported)
		}
		return workload.NewGemmJob(workload.GemmParams{
			M: int(g.M), N: int(g.N), K: int(g.K), Seed: g.Seed ^ 1, ChunkRows: int(spec.ChunkRows),
		})
	}
	registerToy.Do(func() {
		Register(Kind{
			Name:  toyKind,
			Build: build,
			Work:  func(computetypes.Job) Work { return Work{GFLOP: 1.5} },
			Serve: func(_ context.Context, s Served, _ InputSource, resp *ChunkResponse) error {
				if s.Kind != toyKind {
					return fmt.Errorf("served as %q", s.Kind)
				}
				resp.InputChunkCount = resp.ChunkCount
				return nil
			},
			Verifier: func(ctx context.Context, pv computetypes.PendingVerification, _ VerifySource, b workload.Backend) (Recomputer, error) {
				job, err := build(ctx, pv.Workload, pv.DatasetVersion, nil)
				if err != nil {
					return Recomputer{}, err
				}
				return Recomputer{
					Check: func(resp ChunkResponse) error {
						if resp.InputChunkCount != pv.ChunkCount {
							return errors.New("the toy's mark is missing")
						}
						return nil
					},
					Recompute: func(ctx context.Context, resp ChunkResponse) ([]byte, error) {
						return workload.ComputeChunk(ctx, job, b, int(resp.Index))
					},
				}, nil
			},
		})
	})
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

func TestKindTable(t *testing.T) {
	toyRow(t)
	mustPanic(t, "a second toy kind", func() { Register(Kind{Name: toyKind, Build: FromJob}) })
	mustPanic(t, "a second gemm-f32", func() { Register(Kind{Name: workload.KindGemm, Build: FromJob}) })
	mustPanic(t, "a kind without Build", func() { Register(Kind{Name: "no-build"}) })
	mustPanic(t, "a kind without a name", func() { Register(Kind{Build: FromJob}) })

	if got, want := Runnable(Needs{}), []string{workload.KindGemm, toyKind}; !reflect.DeepEqual(got, want) {
		t.Errorf("runnable without sources: %v, want %v", got, want)
	}
	if got, want := Runnable(Needs{Model: true, Dataset: true}), []string{workload.KindGemm, workload.KindGPT, workload.KindMLP, toyKind}; !reflect.DeepEqual(got, want) {
		t.Errorf("runnable with a resolver: %v, want %v", got, want)
	}
	if got := Runnable(Needs{Model: true}); len(got) != 2 { // gpt-f32 needs a dataset source too (prompt datasets)
		t.Errorf("runnable with models only: %v", got)
	}
	if k, ok := Lookup(workload.KindMLP); !ok || k.Needs.String() != "a model and dataset" {
		t.Errorf("mlp-f32 row: %+v %v", k.Needs, ok)
	}
	if _, ok := Lookup("sha-f32"); ok {
		t.Error("an unregistered kind found")
	}
}

// TestToyKindBuildServeVerify runs a kind registered through Register alone
// through every use of the table: build, price, serve, verify and recompute.
func TestToyKindBuildServeVerify(t *testing.T) {
	toyRow(t)
	ctx := context.Background()
	spec := computetypes.WorkloadSpec{Kind: toyKind, Gemm: &computetypes.GemmSpec{M: 13, N: 5, K: 7, Seed: 9}, ChunkRows: 4}
	job, err := FromJob(ctx, spec, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := WorkOf(computetypes.Job{Workload: spec}); w.GFLOP != 1.5 || GFLOP(spec) != 1.5 {
		t.Fatalf("toy work %+v", w)
	}
	chunks, err := workload.ComputeChunks(ctx, job, workload.Reference{})
	if err != nil {
		t.Fatal(err)
	}
	tree, err := merkle.New(chunks)
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Root()
	n := uint64(len(chunks))
	pv := computetypes.PendingVerification{JobId: 7, Workload: spec, OutputRoot: root[:], ChunkCount: n}
	rc, err := NewRecomputer(ctx, pv, nil, workload.Reference{})
	if err != nil {
		t.Fatal(err)
	}
	// The same spec as a gemm-f32 job computes other chunks: the toy's row,
	// not gemm's, is what runs.
	gemmSpec := spec
	gemmSpec.Kind = workload.KindGemm
	gemm, err := NewRecomputer(ctx, computetypes.PendingVerification{Workload: gemmSpec}, nil, workload.Reference{})
	if err != nil {
		t.Fatal(err)
	}
	served := ServedOf(computetypes.Job{Workload: spec})
	for i := range chunks {
		resp, err := ServeChunk(ctx, 7, served, tree, i, chunks[i], nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		var back ChunkResponse
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if err := back.Verify(root[:], n, uint64(i)); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if err := rc.Check(back); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		got, err := rc.Recompute(ctx, back)
		if err != nil || !bytes.Equal(got, back.Data) {
			t.Fatalf("chunk %d: recomputation differs (%v)", i, err)
		}
		if g, err := gemm.Recompute(ctx, back); err != nil || bytes.Equal(g, back.Data) {
			t.Fatalf("chunk %d: gemm-f32 recomputes the toy's chunk (%v)", i, err)
		}
		back.InputChunkCount = 0
		if rc.Check(back) == nil {
			t.Fatalf("chunk %d: served without the toy's material, checked", i)
		}
	}
}

// TestTableRefusals: unknown kinds and missing sources are refused the way
// the agents report them.
func TestTableRefusals(t *testing.T) {
	ctx := context.Background()
	mlp := computetypes.WorkloadSpec{Kind: workload.KindMLP, Mlp: &computetypes.MlpSpec{ModelId: 1, DatasetId: 1}, ChunkRows: 8}
	if _, err := FromSpec(ctx, mlp, nil); !errors.Is(err, ErrUnsupported) || err.Error() != "unsupported workload: mlp-f32 needs a model and dataset source" {
		t.Errorf("mlp-f32 without a resolver: %v", err)
	}
	if _, err := NewRecomputer(ctx, computetypes.PendingVerification{Workload: mlp}, nil, workload.Reference{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("mlp-f32 verifier without a source: %v", err)
	}
	other := computetypes.WorkloadSpec{Kind: "sha-f32", ChunkRows: 1}
	if _, err := FromSpec(ctx, other, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := NewRecomputer(ctx, computetypes.PendingVerification{Workload: other}, nil, workload.Reference{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown kind verified: %v", err)
	}
	if w := WorkOf(computetypes.Job{Workload: other, Rows: 100}); w != (Work{}) {
		t.Errorf("unknown kind priced: %+v", w)
	}
	if w := WorkOf(computetypes.Job{Workload: mlp, Rows: 100}); w != (Work{Rows: 100}) {
		t.Errorf("mlp-f32 work: %+v", w)
	}
	gemm := computetypes.WorkloadSpec{Kind: workload.KindGemm, Gemm: &computetypes.GemmSpec{M: 1000, N: 1000, K: 500}, ChunkRows: 8}
	if w := WorkOf(computetypes.Job{Workload: gemm, Rows: 1000}); w != (Work{GFLOP: 1}) {
		t.Errorf("gemm-f32 work: %+v", w)
	}
	if s := ServedOf(computetypes.Job{Workload: mlp, DatasetVersion: 3}); s != (Served{Kind: workload.KindMLP, DatasetID: 1, DatasetVersion: 3, ChunkRows: 8}) {
		t.Errorf("mlp-f32 served: %+v", s)
	}
	tree, _ := merkle.New([][]byte{{1}})
	if _, err := ServeChunk(ctx, 1, Served{Kind: "sha-f32"}, tree, 0, []byte{1}, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("chunk of an unknown kind served: %v", err)
	}
	var se *ServeError
	if _, err := ServeChunk(ctx, 1, Served{Kind: workload.KindMLP, DatasetID: 2}, tree, 0, []byte{1}, nil); !errors.As(err, &se) || se.Status != 500 {
		t.Errorf("mlp-f32 chunk without a dataset source: %v", err)
	}
}

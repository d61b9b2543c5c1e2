package workload

import (
	"context"
	"errors"
	"testing"
)

func TestGemmGeneration(t *testing.T) {
	p := GemmParams{M: 7, N: 5, K: 3, Seed: 42, ChunkRows: 2}
	full, err := GemmA(p, 0, p.M)
	if err != nil {
		t.Fatal(err)
	}
	// A is A's stream in row-major order.
	g := SplitMix64{State: 42}
	for i, v := range full {
		if want := UnitFloat(g.Next()); v != want {
			t.Fatalf("A[%d] = %v, want %v", i, v, want)
		}
	}
	// Any row range equals the same rows of the full matrix.
	for r0 := 0; r0 < p.M; r0++ {
		for r1 := r0 + 1; r1 <= p.M; r1++ {
			part, err := GemmA(p, r0, r1)
			if err != nil {
				t.Fatal(err)
			}
			expectBits(t, part, full[r0*p.K:r1*p.K])
		}
	}
	b, err := GemmB(p)
	if err != nil {
		t.Fatal(err)
	}
	g = SplitMix64{State: 42 ^ 0xD1B54A32D192ED03}
	for i, v := range b {
		if want := UnitFloat(g.Next()); v != want {
			t.Fatalf("B[%d] = %v, want %v", i, v, want)
		}
	}
	bt, err := GemmBT(p)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Transpose(b, p.K, p.N)
	if err != nil {
		t.Fatal(err)
	}
	expectBits(t, bt, tr)
	for _, r := range [][2]int{{-1, 2}, {3, 3}, {5, 8}} {
		if _, err := GemmA(p, r[0], r[1]); !errors.Is(err, ErrShape) {
			t.Fatalf("GemmA(%v) err = %v", r, err)
		}
	}
}

func TestGemmJobMatchesNaiveProduct(t *testing.T) {
	p := GemmParams{M: 9, N: 4, K: 6, Seed: 7, ChunkRows: 4}
	j, err := NewGemmJob(p)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := GemmA(p, 0, p.M)
	b, _ := GemmB(p)
	want := make([]float32, p.M*p.N)
	for r := 0; r < p.M; r++ {
		for c := 0; c < p.N; c++ {
			var s float32
			for i := 0; i < p.K; i++ {
				s += float32(a[r*p.K+i] * b[i*p.N+c])
			}
			want[r*p.N+c] = s
		}
	}
	ctx := context.Background()
	chunks, err := ComputeChunks(ctx, j, Reference{})
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 3 {
		t.Fatalf("%d chunks, want 3", len(chunks))
	}
	var all []byte
	for i, c := range chunks {
		one, err := ComputeChunk(ctx, j, Reference{}, i)
		if err != nil {
			t.Fatal(err)
		}
		if string(one) != string(c) {
			t.Fatalf("chunk %d computed alone differs", i)
		}
		all = append(all, c...)
	}
	if string(all) != string(EncodeFloats(want)) {
		t.Fatal("gemm output differs from the naive product")
	}
	if _, err := ComputeChunk(ctx, j, Reference{}, 3); !errors.Is(err, ErrChunkIndex) {
		t.Fatalf("chunk 3: %v", err)
	}
	if _, err := j.ComputeRows(ctx, Reference{}, 4, 10); !errors.Is(err, ErrShape) {
		t.Fatalf("rows past the end: %v", err)
	}
}

func TestGemmParamsValidate(t *testing.T) {
	bad := []GemmParams{
		{M: 0, N: 1, K: 1, ChunkRows: 1},
		{M: 1, N: -1, K: 1, ChunkRows: 1},
		{M: 1, N: 1, K: 0, ChunkRows: 1},
		{M: 1, N: 1, K: 1, ChunkRows: 0},
		{M: 1 << 20, N: 1 << 20, K: 1, ChunkRows: 1},
		{M: 1, N: 1 << 16, K: 1 << 16, ChunkRows: 1},
	}
	for _, p := range bad {
		if _, err := NewGemmJob(p); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("%+v: err = %v, want ErrInvalidParams", p, err)
		}
	}
}

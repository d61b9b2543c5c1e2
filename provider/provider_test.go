package provider

import (
	"bytes"
	"path/filepath"
	"testing"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

func TestPricing(t *testing.T) {
	p := Pricing{PerGFLOP: sdkmath.LegacyMustNewDecFromStr("10"), Floor: sdk.NewInt64Coin("uaic", 1000)}
	job := func(spec computetypes.WorkloadSpec, rows uint64, maxPrice sdk.Coin) computetypes.Job {
		return computetypes.Job{Workload: spec, Rows: rows, MaxPrice: maxPrice}
	}
	small := computetypes.WorkloadSpec{Kind: "gemm-f32", Gemm: &computetypes.GemmSpec{M: 64, N: 64, K: 64}, ChunkRows: 8}
	big := computetypes.WorkloadSpec{Kind: "gemm-f32", Gemm: &computetypes.GemmSpec{M: 2048, N: 2048, K: 2048}, ChunkRows: 64}
	if price, ok := p.Price(job(small, 64, sdk.NewInt64Coin("uaic", 5000))); !ok || price.Amount.Int64() != 1000 {
		t.Fatalf("small job: %v %v, want the 1000uaic floor", price, ok)
	}
	p.PerGFLOP = sdkmath.LegacyMustNewDecFromStr("100")
	price, ok := p.Price(job(big, 2048, sdk.NewInt64Coin("uaic", 1_000_000)))
	if !ok || price.Amount.Int64() != 1718 { // ceil(17.179869184 × 100)
		t.Fatalf("big job: %v %v, want 1718uaic", price, ok)
	}
	if _, ok := p.Price(job(big, 2048, sdk.NewInt64Coin("uaic", 1717))); ok {
		t.Fatal("bid above max_price")
	}
	if _, ok := p.Price(job(big, 2048, sdk.NewInt64Coin("uother", 1_000_000))); ok {
		t.Fatal("bid in another denom")
	}
	mlp := computetypes.WorkloadSpec{Kind: "mlp-f32", Mlp: &computetypes.MlpSpec{ModelId: 1, DatasetId: 1}, ChunkRows: 8}
	if price, ok := p.Price(job(mlp, 1_000_000, sdk.NewInt64Coin("uaic", 1_000_000))); !ok || price.Amount.Int64() != 1000 {
		t.Fatalf("mlp job without a row rate: %v %v, want the floor", price, ok)
	}
	p.PerKRows = sdkmath.LegacyMustNewDecFromStr("2.5")
	if price, ok := p.Price(job(mlp, 1_000_001, sdk.NewInt64Coin("uaic", 1_000_000))); !ok || price.Amount.Int64() != 2501 {
		t.Fatalf("mlp job over 1,000,001 rows: %v %v, want 2501uaic", price, ok)
	}
}

// The store keeps every record across a restart, and deletes in the same
// transaction as it writes.
func TestStoreSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	recs := []*Record{
		{ID: 3, Phase: PhaseCommitted, Price: "10uaic", Salt: []byte{1, 2}, CommitEnd: 7, RevealEnd: 9},
		{ID: 4, Phase: PhaseExecuted, OutputRoot: bytes.Repeat([]byte{7}, 32), ChunkCount: 4, ChunkBytes: 64},
	}
	if err := s.Save(recs, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(path); err == nil {
		t.Fatal("a second process opened the same store")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if r := got[3]; r == nil || r.Phase != PhaseCommitted || r.Price != "10uaic" || !bytes.Equal(r.Salt, []byte{1, 2}) || r.RevealEnd != 9 {
		t.Fatalf("record 3 after reopening: %+v", r)
	}
	if r := got[4]; r == nil || r.ChunkCount != 4 || len(r.OutputRoot) != 32 {
		t.Fatalf("record 4 after reopening: %+v", r)
	}
	if err := s.Save([]*Record{{ID: 5, Phase: PhaseBid}}, []uint64{3}); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Load(); len(got) != 2 || got[3] != nil || got[5] == nil {
		t.Fatalf("after saving 5 and deleting 3: %v", got)
	}
}

func TestChunkStore(t *testing.T) {
	dir := t.TempDir()
	chunks := [][]byte{[]byte("chunk 0."), []byte("chunk 1."), []byte("last")}
	tree, err := NewChunkStore(dir, 1<<20).Put(9, chunks)
	if err != nil {
		t.Fatal(err)
	}
	s := NewChunkStore(dir, 1<<20) // as after a restart
	for i, want := range chunks {
		got, err := s.Chunk(9, uint64(i), 3, 8)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("chunk %d: %q %v", i, got, err)
		}
	}
	root := tree.Root()
	again, err := s.Tree(9, 3, 8, root[:])
	if err != nil || again.Root() != tree.Root() {
		t.Fatalf("rebuilt tree: %v", err)
	}
	if _, err := s.Chunk(9, 3, 3, 8); err == nil {
		t.Fatal("chunk past the end")
	}
	if err := s.Remove(9); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Chunk(9, 0, 3, 8); err == nil {
		t.Fatal("chunk after removal")
	}
}

package provider

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/jobexec"
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
	// 2·2048³ = 17.18 GFLOP × 10 = 171.8 → below the floor too; use a larger rate.
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

	// mlp jobs are priced by the dataset's rows; the GFLOP rate does not apply.
	mlp := computetypes.WorkloadSpec{Kind: "mlp-f32", Mlp: &computetypes.MlpSpec{ModelId: 1, DatasetId: 1}, ChunkRows: 8}
	if price, ok := p.Price(job(mlp, 1_000_000, sdk.NewInt64Coin("uaic", 1_000_000))); !ok || price.Amount.Int64() != 1000 {
		t.Fatalf("mlp job without a row rate: %v %v, want the floor", price, ok)
	}
	p.PerKRows = sdkmath.LegacyMustNewDecFromStr("2.5")
	if price, ok := p.Price(job(mlp, 1_000_001, sdk.NewInt64Coin("uaic", 1_000_000))); !ok || price.Amount.Int64() != 2501 {
		t.Fatalf("mlp job over 1,000,001 rows: %v %v, want ceil(2.5 × 1000.001) = 2501uaic", price, ok)
	}
	if price, ok := p.Price(job(mlp, 40, sdk.NewInt64Coin("uaic", 5000))); !ok || price.Amount.Int64() != 1000 {
		t.Fatalf("small mlp job: %v %v, want the floor", price, ok)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(3, func(r *JobRecord) { r.Price, r.Salt, r.Committed = "10uaic", []byte{1, 2}, true }); err != nil {
		t.Fatal(err)
	}
	again, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := again.Get(3)
	if !ok || !r.Committed || r.Price != "10uaic" || len(r.Salt) != 2 {
		t.Fatalf("record after reload: %+v %v", r, ok)
	}
	if len(again.Pending()) != 1 {
		t.Fatal("pending job lost")
	}
}

func TestChunkServer(t *testing.T) {
	dir := t.TempDir()
	store := NewChunkStore(dir)
	chunks := [][]byte{[]byte("chunk zero"), []byte("chunk one"), []byte("chunk two")}
	tree, err := store.Put(9, chunks)
	if err != nil {
		t.Fatal(err)
	}
	state, _ := LoadState(filepath.Join(dir, "state.json"))
	root := tree.Root()
	_ = state.Update(9, func(r *JobRecord) { r.Executed, r.ChunkCount, r.OutputRoot = true, 3, root[:] })
	// A fresh store (as after a restart) rebuilds the tree from disk.
	a := &Agent{state: state, store: NewChunkStore(dir), metrics: NewMetrics(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	res, err := http.Get(srv.URL + "/v1/jobs/9/chunks/2")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var cr jobexec.ChunkResponse
	if err := json.NewDecoder(res.Body).Decode(&cr); err != nil {
		t.Fatal(err)
	}
	if err := cr.Verify(root[:], 3, 2); err != nil {
		t.Fatalf("served chunk does not verify: %v", err)
	}
	if string(cr.Data) != "chunk two" {
		t.Fatalf("served %q", cr.Data)
	}
	for _, path := range []string{"/v1/jobs/9/chunks/3", "/v1/jobs/8/chunks/0", "/v1/jobs/x/chunks/0"} {
		r, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode == http.StatusOK {
			t.Fatalf("%s: served", path)
		}
	}
}

package provider

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// testAgent is an agent without a chain: its params, height and speed set
// by hand (1 GFLOP/s, 1 s blocks, 2 workers).
func testAgent(t testing.TB) *Agent {
	t.Helper()
	cfg := Config{Pricing: Pricing{Floor: sdk.NewInt64Coin("uaic", 1000), PerGFLOP: sdkmath.LegacyNewDec(0)},
		Hardware: computetypes.Hardware{GpuModel: "cpu", Workloads: []string{"gemm-f32"}}, MaxMemoryBytes: 16 << 30, MaxDiskBytes: 1 << 40}
	cfg.defaults()
	store, err := OpenStore(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	a := &Agent{cfg: cfg, me: "aic1me", params: computetypes.DefaultParams(), height: 100, cap: newCapacity(2),
		recs: map[uint64]*Record{}, view: map[uint64]jobView{}, dirty: map[uint64]bool{}, skip: map[uint64]int64{},
		store: store, chunks: NewChunkStore(t.TempDir(), TreeMemoryBytes(cfg.MaxMemoryBytes)), metrics: NewMetrics(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	a.auth = newAuthorizer(a, "aic")
	a.cap.gflops, a.cap.perJob = 1, 0
	return a
}

func gemmJob(id, m uint64, execBlocks uint64) computetypes.Job {
	return gemmJobNK(id, m, 64, 64, execBlocks)
}

func gemmJobNK(id, m, n, k uint64, execBlocks uint64) computetypes.Job {
	return computetypes.Job{Id: id, Requester: "aic1alice", MaxPrice: sdk.NewInt64Coin("uaic", 5000), CommitEnd: 105, RevealEnd: 110,
		ExecBlocks: execBlocks, ExpectedChunkCount: (m + 7) / 8,
		Workload: computetypes.WorkloadSpec{Kind: "gemm-f32", ChunkRows: 8, Gemm: &computetypes.GemmSpec{M: m, N: n, K: k}}}
}

// The agent bids only on what it can finish and afford: its own jobs, jobs
// above their max price, commit windows about to close, collateral beyond
// its free bond, outputs beyond its limits and work beyond its window are
// refused, each for its reason.
func TestDecideBidsOnlyOnWhatItCanFinish(t *testing.T) {
	a := testAgent(t)
	ctx := context.Background()
	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)
	if r, why := a.decide(ctx, gemmJob(1, 64, 40), &rich); r == nil {
		t.Fatalf("a small job refused: %s", why)
	}
	own := gemmJob(2, 64, 40)
	own.Requester = a.me
	closing := gemmJob(3, 64, 40)
	closing.CommitEnd = a.height + 1
	cheap := gemmJob(4, 64, 40)
	cheap.MaxPrice = sdk.NewInt64Coin("uaic", 999)
	huge := gemmJob(5, 1<<25, 40) // 32 Mi rows × 64 columns: 8 GiB of output
	huge.ExpectedChunkCount = 1
	slow := gemmJobNK(6, 8192, 1024, 1024, 4) // 17 GFLOP at 1 GFLOP/s: 8.6 s on two workers, 2 s allowed (4 blocks × 0.5)
	for name, c := range map[string]struct {
		job  computetypes.Job
		bond sdk.Coin
		why  string
	}{
		"own job":          {own, rich, "own job"},
		"closing":          {closing, rich, "commit window closing"},
		"above max price":  {cheap, rich, "price above max_price"},
		"collateral":       {gemmJob(7, 64, 40), sdk.NewInt64Coin("uaic", 10), "bond"},
		"output too large": {huge, rich, "output size"},
		"too slow":         {slow, rich, "capacity"},
	} {
		bond := c.bond
		if r, why := a.decide(ctx, c.job, &bond); r != nil || why != c.why {
			t.Errorf("%s: record %v, why %q, want %q", name, r != nil, why, c.why)
		}
	}
	// Jobs priced in a denom the agent has no floor for are skipped; with a
	// floor for the voucher it bids in the voucher, locking only bid_deposit
	// from the bond.
	const voucher = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
	inVoucher := gemmJob(9, 64, 40)
	inVoucher.MaxPrice = sdk.NewInt64Coin(voucher, 5000)
	if r, why := a.decide(ctx, inVoucher, &rich); r != nil || why != "denom" {
		t.Fatalf("voucher job without a voucher floor: %v %q", r != nil, why)
	}
	a.cfg.Pricing.Floors = sdk.NewCoins(sdk.NewInt64Coin(voucher, 700))
	r, why := a.decide(ctx, inVoucher, &rich)
	if r == nil || r.Price != "700"+voucher || r.Collateral != a.params.BidDeposit.String() {
		t.Fatalf("voucher job with a floor: %+v %q", r, why)
	}
	delete(a.recs, 9)
	// The queue counts: once enough work is bid on, the next job no longer
	// fits. Its window opens at its reveal end (10 blocks on), and it plans
	// to end within safety × 40 blocks of it; 70 s of work held before it (35
	// s on each of the 2 workers, due first) leaves it no time.
	for i := uint64(0); i < 70; i++ {
		a.recs[100+i] = &Record{ID: 100 + i, Phase: PhaseBid, EstSeconds: 1}
	}
	a.cap.blockSecs = 1
	if r, why := a.decide(ctx, gemmJob(8, 64, 40), &rich); r != nil || why != "capacity" {
		t.Fatalf("behind 70 s of queued work in a 40-block window at safety 0.5: %v %q", r != nil, why)
	}
}

// An ended job's chunks are served through the retention window, then its
// record and chunks are purged.
func TestRetentionPurgesEndedJobs(t *testing.T) {
	a := testAgent(t)
	a.cfg.Retention = time.Hour
	if _, err := a.chunks.Put(9, [][]byte{[]byte("a"), []byte("b")}); err != nil {
		t.Fatal(err)
	}
	recent := &Record{ID: 9, Phase: PhaseEnded, EndedAt: time.Now().Add(-time.Minute).Unix(), ChunkCount: 2, ChunkBytes: 1}
	a.recs[9] = recent
	a.retire()
	if err := a.flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.chunks.Chunk(9, 0, 2, 1); err != nil || a.recs[9] == nil {
		t.Fatalf("purged within the retention window: %v", err)
	}
	recent.EndedAt = time.Now().Add(-2 * time.Hour).Unix()
	a.retire()
	if err := a.flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.chunks.Chunk(9, 0, 2, 1); err == nil || a.recs[9] != nil {
		t.Fatal("kept after the retention window")
	}
	if got, _ := a.store.Load(); len(got) != 0 {
		t.Fatalf("store still holds %d records", len(got))
	}
}

package provider

import (
	"context"
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// TestAttackGemmOfDrawnValuesPricedByItsArithmetic: a gemm job's time on
// the agent is its multiply-adds, the values it draws from seeded streams
// (A and Bᵀ: M·K + K·N) and its output; its price was its arithmetic alone
// (--price-per-gflop × 2·M·N·K). A requester posts a gemm of M = 1 and
// N = K = 4096: 0.034 GFLOP of arithmetic and 16.8 M drawn values, each of
// which costs the host about 50 multiply-adds (calibrated here at 45 ns a
// value against 2.4 GFLOP/s), and buys a worker for 50× the time the same
// price buys in a gemm of multiply-adds: at 100,000uaic per GFLOP the agent
// bid 3,360uaic for 1.7 s of its worker, for which it asks 171,000uaic in
// any job whose time is arithmetic. Now a job is priced on its worker time
// at the calibrated rate (capacity.pricedGFLOP) when that is more than its
// arithmetic.
func TestAttackGemmOfDrawnValuesPricedByItsArithmetic(t *testing.T) {
	a := testAgent(t) // 1 GFLOP/s, 100 ns a drawn value
	a.cfg.Pricing.PerGFLOP = sdkmath.LegacyNewDec(100_000)
	job := gemmJobNK(1, 1, 4096, 4096, 1000)
	job.MulAdds = 4096 * 4096
	job.ExpectedChunkCount = 1
	job.MaxPrice = sdk.NewInt64Coin("uaic", 1_000_000)
	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)
	r, why := a.decide(context.Background(), job, &rich)
	if r == nil {
		t.Fatalf("setup: refused (%s)", why)
	}
	price, err := sdk.ParseCoinNormalized(r.Price)
	if err != nil {
		t.Fatal(err)
	}
	// What the agent asks for a job whose estimate is all arithmetic.
	worth := a.cfg.Pricing.PerGFLOP.MulInt64(int64(r.EstSeconds * a.cap.gflops * 1e6)).QuoInt64(1e6).TruncateInt()
	if price.Amount.LT(worth) {
		t.Fatalf("bid %s for a gemm estimated at %.2f s of a worker (its arithmetic %.3f GFLOP), for which a job of "+
			"multiply-adds pays %suaic: the requester buys %.0f× the worker time its price pays for",
			price, r.EstSeconds, 2*float64(job.MulAdds)/1e9, worth,
			sdkmath.LegacyNewDecFromInt(worth).Quo(sdkmath.LegacyNewDecFromInt(price.Amount)).MustFloat64())
	}
}

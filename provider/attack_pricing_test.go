package provider

import (
	"context"
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackHeavyModelMLPJobPricedPerRow: an mlp job records no mul_adds
// on chain, so Pricing.Price sees only its rows; the work per row is the
// model's, which the requester chooses. The agent sizes the model before it
// bids (BidShape.GFLOP, used for its time estimate) but never prices that
// work: --price-per-gflop does not apply to mlp jobs. A requester registers
// a wide model (4 layers of 1024×1024: 4.2 M multiply-adds a row) and posts
// a 10,000-row job. At the operator's own rates (100uaic per GFLOP, 10uaic
// per 1,000 rows, floor 1,000uaic) the job's 84 GFLOP are worth 8,389uaic;
// the agent bids the floor, 1,000uaic, and works 84 GFLOP for it (8.4× the
// work paid for; the ratio grows with the model, up to the chunk-work
// bound of 2^37 multiply-adds a chunk).
func TestAttackHeavyModelMLPJobPricedPerRow(t *testing.T) {
	a := testAgent(t)
	a.cfg.Hardware.Workloads = append(a.cfg.Hardware.Workloads, workload.KindMLP)
	a.cfg.Pricing.PerGFLOP = sdkmath.LegacyNewDec(100)
	a.cfg.Pricing.PerKRows = sdkmath.LegacyNewDec(10)
	a.cap.gflops = 1000 // fast enough that time is no reason to refuse
	const width = 1024
	var layers []workload.Layer
	for range 4 {
		layers = append(layers, workload.Layer{In: width, Out: width})
	}
	model := &workload.Model{Layers: layers}
	a.cfg.MLP = fakeMLP{model: model, ds: &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}}}

	job := mlpBidJob(1)
	job.MaxPrice = sdk.NewInt64Coin("uaic", 1_000_000) // the requester would pay what it costs: the agent asks too little
	job.Rows, job.Workload.ChunkRows = 10_000, 100
	job.ExpectedChunkCount = 100
	gflop := 2 * float64(4*width*width) * float64(job.Rows) / 1e9
	worth := sdkmath.LegacyMustNewDecFromStr("100").MulInt64(int64(gflop * 1e6)).QuoInt64(1e6).Ceil().TruncateInt()

	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)
	r, why := a.decide(context.Background(), job, &rich)
	if r == nil {
		t.Fatalf("setup: refused (%s)", why)
	}
	price, err := sdk.ParseCoinNormalized(r.Price)
	if err != nil {
		t.Fatal(err)
	}
	if price.Amount.LT(worth) {
		t.Fatalf("bid %s on an mlp job of %.1f GFLOP (est %.2f s) that its own --price-per-gflop values at %suaic (max_price %s, so a requester capped at 5,000uaic gets it too): "+
			"the requester buys %.1f× the work it pays for", price, gflop, r.EstSeconds, worth, job.MaxPrice,
			sdkmath.LegacyNewDecFromInt(worth).Quo(sdkmath.LegacyNewDecFromInt(price.Amount)).MustFloat64())
	}
}

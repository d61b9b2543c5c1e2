package provider

import (
	"context"
	"testing"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackAgentSizesCollateralByLiveParamsNotJobTerms: since c32be0e the
// chain sizes a commitment's lock by the job's terms
// (CommitBid: job.Terms.Under(params).BidCollateral(job)), but the agent
// still sizes it by the params in force (decide: a.params.BidCollateral).
// After a governance cut of collateral_ratio_bps (3x -> 1x), an honest
// agent whose free bond covers the 1x lock but not the 3x lock a job created
// before the cut still takes decides to bid, books 50,000,000 instead of 150,000,000
// against its bond budget, and its commit is refused on chain
// (ErrInsufficientCollateral): the commit tx's fee is lost, and over a
// batch it over-commits its bond by the difference on every such job.
func TestAttackAgentSizesCollateralByLiveParamsNotJobTerms(t *testing.T) {
	a := testAgent(t)
	ctx := context.Background()
	created := computetypes.DefaultParams()
	created.CollateralRatioBps = 30_000
	live := created
	live.CollateralRatioBps = 10_000
	a.params = live

	job := gemmJob(1, 64, 40)
	job.MaxPrice = sdk.NewInt64Coin("uaic", 50_000_000)
	job.Terms = computetypes.NewJobParamTerms(created, 0, 0)
	chain, _ := job.Terms.Under(live).BidCollateral(job)

	agentLock, _ := live.BidCollateral(job)
	t.Logf("chain lock %s, agent lock %s", chain, agentLock)
	budget := chain.SubAmount(sdkmath.OneInt()) // free bond one short of the chain's lock
	r, why := a.decide(ctx, job, &budget)
	if r == nil {
		return // refused for want of bond: holds
	}
	t.Fatalf("the agent bids with a free bond of %s on a job whose terms lock %s (it booked %s, why=%q): the commit is refused on chain",
		chain.SubAmount(sdkmath.OneInt()), chain, r.Collateral, why)
}

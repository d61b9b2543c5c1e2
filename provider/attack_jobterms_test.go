package provider

import (
	"context"
	"testing"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
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

// TestAttackJobPostedBeforeAVerificationRaiseIsSizedByLiveParams: the
// chain verifies a job under its terms (jobParams: samples_per_job,
// max_work_per_exec_block, verification_blocks), but the agent bounded an
// mlp job's sampled work (admitVerification) by the params in force. A
// requester that sees a governance raise of verification_blocks (50 -> 200)
// about to pass posts, just before it, an mlp job whose four sampled
// chunks are 6.9e10 multiply-adds: over the 5e10 its terms give the
// validators, under the 2e11 of the new params. The agent bid on it, ran
// it, and its verification could only end inconclusive: paid nothing, and
// the dataset fee forfeited from its collateral (forfeitOwnerFees). Now it
// sizes the sampled work by the job's terms.
func TestAttackJobPostedBeforeAVerificationRaiseIsSizedByLiveParams(t *testing.T) {
	const in, hidden, chunkRows = 1024, 4096, 4096
	model := &workload.Model{Layers: []workload.Layer{
		{In: in, Out: hidden, Weight: make([]float32, in*hidden)}, {In: hidden, Out: 1, Weight: make([]float32, hidden)}}}
	a := testAgent(t)
	a.cap.gflops = 1e6
	a.cfg.MLP = fakeMLP{model: model, ds: &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}}}
	created := computetypes.DefaultParams()
	live := created
	live.VerificationBlocks = 4 * created.VerificationBlocks
	a.params = live

	job := mlpJob(1, 4*chunkRows, chunkRows)
	job.Terms = computetypes.NewJobParamTerms(created, 0, 0)
	row := workload.MLPRowMulAdds([]uint64{in, hidden, 1})
	sampled := 4 * chunkRows * row
	if est, why := a.estimate(context.Background(), job); why != "verification work" {
		t.Fatalf("estimate %.2f s, why %q: sampled chunks of %d multiply-adds, over the %d its terms give the validators "+
			"(the live params give %d): won, its verification ends inconclusive and pays nothing", est, why, sampled,
			created.MaxWorkPerExecBlock*created.VerificationBlocks, live.MaxWorkPerExecBlock*live.VerificationBlocks)
	}
	after := mlpJob(2, 4*chunkRows, chunkRows)
	after.Terms = computetypes.NewJobParamTerms(live, 0, 0)
	if _, why := a.estimate(context.Background(), after); why != "" {
		t.Fatalf("the same job posted after the raise, its verification within its terms: %q", why)
	}
}

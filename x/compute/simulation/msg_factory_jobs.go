package simulation

import (
	"context"
	"crypto/sha256"
	"math/rand"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// MsgCreateJobFactory posts a small job of a kind the workload table can
// generate (RandomSpec), with an execution window the params admit for its
// work, paying the creation fee.
func MsgCreateJobFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgCreateJob] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCreateJob) {
		r := testData.Rand()
		params, err := k.GetParams(ctx)
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		kinds := simulatedKinds()
		if len(kinds) == 0 {
			reporter.Skip("no workload kind can be simulated")
			return nil, nil
		}
		// Half the jobs are priced in another allowed denom (an IBC voucher).
		maxPrice := coin(int64(1 + r.Intn(100_000)))
		if n := len(params.AllowedDenoms); n > 1 && r.Intn(2) == 0 {
			maxPrice.Denom = params.AllowedDenoms[1+r.Intn(n-1)]
		}
		cost := sdk.NewCoins(maxPrice).Add(params.JobCreationFee)
		req := testData.AnyAccount(reporter, simsx.WithLiquidBalanceGTE(cost...))
		if reporter.IsSkipped() {
			return nil, nil
		}
		kind := kinds[0]
		if len(kinds) > 1 {
			kind = kinds[r.Intn(len(kinds))]
		}
		msg := &types.MsgCreateJob{
			Requester:    req.AddressBech32,
			Workload:     kind.RandomSpec(r.Rand, params.MaxChunkCount),
			MaxPrice:     maxPrice,
			CommitBlocks: params.MinCommitBlocks + uint64(r.Intn(int(params.MaxCommitBlocks-params.MinCommitBlocks+1))),
			RevealBlocks: params.MinRevealBlocks + uint64(r.Intn(int(params.MaxRevealBlocks-params.MinRevealBlocks+1))),
			ExecBlocks:   params.MinExecBlocks + uint64(r.Intn(int(params.MaxExecBlocks-params.MinExecBlocks+1))),
		}
		if r.Intn(4) == 0 {
			msg.MinHardware = types.Hardware{GpuCount: uint32(1 + r.Intn(4))}
		}
		if r.Intn(2) == 0 { // half commit to a sample secret (MsgRevealSampleSecretFactory)
			msg.SampleCommitment = types.SampleCommitment(simSecret(msg.Requester, msg.Workload, msg.MaxPrice))
		}
		if !admitted(ctx, k, params, msg) {
			reporter.Skip("the params do not admit this job")
			return nil, nil
		}
		cost = cost.Add(randomAssurance(ctx, r.Rand, params, msg)...)
		if !blockAll(&req, cost) {
			reporter.Skip("cannot reserve max_price and the creation fee")
			return nil, nil
		}
		return []simsx.SimAccount{req}, msg
	}
}

// blockAll reserves coins of acc's liquid balance for one message.
func blockAll(acc *simsx.SimAccount, coins sdk.Coins) bool {
	for _, c := range coins {
		if !acc.LiquidBalance().BlockAmount(c) {
			return false
		}
	}
	return true
}

// admitted reports whether the params admit msg's job (sizes and the work
// per exec block): the window is stretched to the work when the params
// allow, otherwise the job is not proposed.
func admitted(ctx context.Context, k keeper.Keeper, params types.Params, msg *types.MsgCreateJob) bool {
	kind, terms, err := types.ResolveWorkload(ctx, types.KindState{}, msg.Workload, msg.Requester)
	if err != nil {
		return false
	}
	if n, err := kind.ChunkCount(terms.Shape.Rows, msg.Workload.ChunkRows); err != nil || n > params.MaxChunkCount {
		return false
	}
	if w := terms.Shape.MulAdds; w > 0 {
		msg.ExecBlocks = max(msg.ExecBlocks, min((w-1)/params.MaxWorkPerExecBlock+1, params.MaxExecBlocks))
	}
	return params.AdmitJob(terms.Shape, msg.Workload.ChunkRows, msg.ExecBlocks) == nil
}

// randomAssurance gives a third of the jobs an assurance the params admit
// (full, or samples from the floor to the chunk count) and returns its
// verification fee.
func randomAssurance(ctx context.Context, r *rand.Rand, params types.Params, msg *types.MsgCreateJob) sdk.Coins {
	if r.Intn(3) != 0 {
		return nil
	}
	kind, terms, err := types.ResolveWorkload(ctx, types.KindState{}, msg.Workload, msg.Requester)
	if err != nil {
		return nil
	}
	chunks, err := kind.ChunkCount(terms.Shape.Rows, msg.Workload.ChunkRows)
	if err != nil || chunks < uint64(params.SamplesPerJob) {
		return nil
	}
	a := types.Assurance{Full: r.Intn(2) == 0}
	if !a.Full {
		a.Samples = params.SamplesPerJob + uint32(r.Int63n(int64(min(chunks, types.MaxAssuranceSamples)-uint64(params.SamplesPerJob)+1)))
	}
	bought, err := params.AdmitAssurance(a, terms.Shape, msg.Workload.ChunkRows, chunks)
	if err != nil {
		return nil
	}
	msg.Assurance = &a
	return bought.Fee
}

// MsgCancelJobFactory cancels a job in its commit phase.
func MsgCancelJobFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgCancelJob] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCancelJob) {
		r := testData.Rand()
		j, ok := randomJobIn(ctx, k, r, reporter, types.JobState_JOB_STATE_OPEN)
		if !ok {
			return nil, nil
		}
		if sdk.UnwrapSDKContext(ctx).BlockHeight() > j.CommitEnd {
			reporter.Skip("commit phase over")
			return nil, nil
		}
		req := testData.GetAccount(reporter, j.Requester)
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{req}, &types.MsgCancelJob{Requester: req.AddressBech32, JobId: j.Id}
	}
}

// MsgCommitBidFactory commits a sealed bid (see BidSecret) from an eligible provider.
func MsgCommitBidFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgCommitBid] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCommitBid) {
		r := testData.Rand()
		params, err := k.GetParams(ctx)
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		j, ok := randomJobIn(ctx, k, r, reporter, types.JobState_JOB_STATE_OPEN)
		if !ok {
			return nil, nil
		}
		p, op, ok := randomProvider(ctx, k, testData, reporter, types.ProviderStatus_PROVIDER_STATUS_ACTIVE)
		if !ok {
			return nil, nil
		}
		collateral, priceCollateral := params.BidCollateral(j)
		switch has, err := k.BidCommits.Has(ctx, collections.Join(j.Id, p.Address)); {
		case sdk.UnwrapSDKContext(ctx).BlockHeight() > j.CommitEnd:
			reporter.Skip("commit phase over")
		case err != nil || has:
			reporter.Skip("already committed")
		case p.Address == j.Requester:
			reporter.Skip("own job")
		case !p.Hardware.Meets(j.MinHardware, j.Workload.Kind):
			reporter.Skip("hardware too small")
		case p.Bond.Denom != collateral.Denom || p.Bond.Sub(p.Locked).IsLT(collateral):
			reporter.Skip("not enough free bond")
		case priceCollateral.IsPositive() && !blockAll(&op, sdk.NewCoins(priceCollateral)):
			reporter.Skip("cannot post the price collateral")
		}
		if reporter.IsSkipped() {
			return nil, nil
		}
		price, salt := BidSecret(j.Id, p.Address, j.MaxPrice)
		return []simsx.SimAccount{op}, &types.MsgCommitBid{
			Provider: op.AddressBech32, JobId: j.Id, Commitment: types.BidCommitment(j.Id, p.Address, price, salt),
		}
	}
}

// MsgRevealBidFactory opens an unrevealed commitment of a job in its reveal phase.
func MsgRevealBidFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgRevealBid] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRevealBid) {
		r := testData.Rand()
		j, ok := randomJobIn(ctx, k, r, reporter, types.JobState_JOB_STATE_REVEAL)
		if !ok {
			return nil, nil
		}
		if h := sdk.UnwrapSDKContext(ctx).BlockHeight(); h <= j.CommitEnd || h > j.RevealEnd {
			reporter.Skip("not in the reveal window")
			return nil, nil
		}
		it, err := k.BidCommits.Iterate(ctx, collections.NewPrefixedPairRange[uint64, string](j.Id))
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		cs, err := it.Values()
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		var open []types.BidCommit
		for _, c := range cs {
			if !c.Revealed {
				open = append(open, c)
			}
		}
		if len(open) == 0 {
			reporter.Skip("nothing to reveal")
			return nil, nil
		}
		c := open[r.Intn(len(open))]
		op := testData.GetAccount(reporter, c.Provider)
		if reporter.IsSkipped() {
			return nil, nil
		}
		price, salt := BidSecret(j.Id, c.Provider, j.MaxPrice)
		return []simsx.SimAccount{op}, &types.MsgRevealBid{Provider: c.Provider, JobId: j.Id, Price: price, Salt: salt}
	}
}

// MsgSubmitResultFactory has the winner submit a (random) root with the right chunk count.
func MsgSubmitResultFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgSubmitResult] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgSubmitResult) {
		r := testData.Rand()
		j, ok := randomJobIn(ctx, k, r, reporter, types.JobState_JOB_STATE_ASSIGNED)
		if !ok {
			return nil, nil
		}
		if sdk.UnwrapSDKContext(ctx).BlockHeight() > j.ExecDeadline {
			reporter.Skip("deadline passed")
			return nil, nil
		}
		op := testData.GetAccount(reporter, j.Winner)
		if reporter.IsSkipped() {
			return nil, nil
		}
		root := sha256.Sum256([]byte(r.StringN(32)))
		return []simsx.SimAccount{op}, &types.MsgSubmitResult{
			Provider: j.Winner, JobId: j.Id, OutputRoot: root[:], ChunkCount: j.ExpectedChunkCount,
		}
	}
}

// MsgDisputeResultFactory has the requester dispute an unsampled result in its challenge window.
func MsgDisputeResultFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgDisputeResult] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgDisputeResult) {
		r := testData.Rand()
		params, err := k.GetParams(ctx)
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		j, ok := randomJobIn(ctx, k, r, reporter, types.JobState_JOB_STATE_SUBMITTED)
		if !ok {
			return nil, nil
		}
		if !j.Sample.Decided || sdk.UnwrapSDKContext(ctx).BlockHeight() > j.ChallengeEnd {
			reporter.Skip("not in its challenge window")
			return nil, nil
		}
		req := testData.GetAccount(reporter, j.Requester)
		if reporter.IsSkipped() {
			return nil, nil
		}
		params = j.Terms.Under(params) // the dispute fee and chunk bound are the job's
		if params.DisputeFee.IsPositive() && !req.LiquidBalance().BlockAmount(params.DisputeFee) {
			reporter.Skip("cannot pay the dispute fee")
			return nil, nil
		}
		// Name up to max_dispute_chunks distinct chunks to check besides the sample.
		var indices []uint64
		if n := min(uint64(r.Intn(int(params.MaxDisputeChunks)+1)), j.Result.ChunkCount); n > 0 {
			for _, i := range r.Perm(int(j.Result.ChunkCount))[:n] {
				indices = append(indices, uint64(i))
			}
		}
		msg := &types.MsgDisputeResult{Requester: req.AddressBech32, JobId: j.Id, ChunkIndices: indices}
		if j.Id%2 == 1 { // without a draw on r, which would move every later choice of the run
			msg.SampleCommitment = types.SampleCommitment(simDisputeSecret(j))
		}
		return []simsx.SimAccount{req}, msg
	}
}

// MsgAbortJobFactory has the winner of an ASSIGNED job abort it before its
// deadline (the simulated kinds have no inputs, so the abort is a timeout).
func MsgAbortJobFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgAbortJob] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgAbortJob) {
		r := testData.Rand()
		j, ok := randomJobIn(ctx, k, r, reporter, types.JobState_JOB_STATE_ASSIGNED)
		if !ok {
			return nil, nil
		}
		if sdk.UnwrapSDKContext(ctx).BlockHeight() > j.ExecDeadline {
			reporter.Skip("deadline passed")
			return nil, nil
		}
		op := testData.GetAccount(reporter, j.Winner)
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{op}, &types.MsgAbortJob{
			Provider: j.Winner, JobId: j.Id, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE,
		}
	}
}

// MsgUpdateParamsFactory proposes random valid params (a governance message).
func MsgUpdateParamsFactory() simsx.SimMsgFactoryFn[*types.MsgUpdateParams] {
	return func(_ context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateParams) {
		return nil, &types.MsgUpdateParams{
			Authority: testData.ModuleAccountAddress(reporter, "gov"),
			Params:    GenParams(testData.Rand().Rand),
		}
	}
}

package keeper_test

import (
	"errors"
	"testing"

	"cosmossdk.io/math"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

func TestRegisterProvider(t *testing.T) {
	s := newSuite(t)
	op := s.acc(0)
	before := s.bal(op)
	s.register(op, 2_000_000)
	if got := before.Sub(s.bal(op)); !got.Equal(math.NewInt(2_000_000)) {
		t.Fatalf("bond moved %s, want 2000000", got)
	}
	p := s.provider(op)
	if p.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE || !p.Bond.IsEqual(coin(2_000_000)) || !p.Locked.IsZero() {
		t.Fatalf("provider %+v", p)
	}
	stats, _ := s.q.Stats(s.ta.Ctx, &types.QueryStatsRequest{})
	if stats.Stats.ActiveProviders != 1 || stats.Stats.GpusOnline != 2 {
		t.Fatalf("stats %+v", stats.Stats)
	}

	poor := s.ta.NewAccount(sdk.NewCoins(coin(10)))
	other := s.acc(1)
	good := func(a sdk.AccAddress) *types.MsgRegisterProvider {
		return &types.MsgRegisterProvider{Operator: a.String(), Moniker: "m", Endpoint: "http://x:1", Hardware: gpuHW(), Bond: coin(1_000_000)}
	}
	cases := []struct {
		name string
		msg  *types.MsgRegisterProvider
		err  error
	}{
		{"duplicate", good(op), types.ErrProviderExists},
		{"bond too small", func() *types.MsgRegisterProvider { m := good(other); m.Bond = coin(999_999); return m }(), types.ErrBondTooSmall},
		{"wrong denom", func() *types.MsgRegisterProvider {
			m := good(other)
			m.Bond = sdk.NewCoin("other", math.NewInt(5_000_000))
			return m
		}(), types.ErrBondTooSmall},
		{"bad address", func() *types.MsgRegisterProvider { m := good(other); m.Operator = "aic1bad"; return m }(), types.ErrInvalidAddress},
		{"bad endpoint", func() *types.MsgRegisterProvider { m := good(other); m.Endpoint = "ftp://x"; return m }(), types.ErrInvalidProvider},
		{"unknown workload", func() *types.MsgRegisterProvider {
			m := good(other)
			m.Hardware.Workloads = []string{"sha-f32"}
			return m
		}(), types.ErrInvalidProvider},
		{"underfunded", good(poor.Address), sdkerrors.ErrInsufficientFunds},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sn := s.snap(op, other, poor.Address)
			_, err := s.ms.RegisterProvider(s.ta.Ctx, c.msg)
			wantErr(t, err, c.err)
			s.unchanged(sn, op, other, poor.Address)
		})
	}
}

func TestUpdateUnbondProvider(t *testing.T) {
	s := newSuite(t)
	op, req := s.acc(0), s.acc(1)
	s.register(op, 2_000_000)
	hw := gpuHW()
	hw.GpuCount = 4
	_, err := s.ms.UpdateProvider(s.ta.Ctx, &types.MsgUpdateProvider{Operator: op.String(), Moniker: "new", Hardware: hw, AddBond: coin(500)})
	if err != nil {
		t.Fatal(err)
	}
	s.inv()
	if p := s.provider(op); p.Moniker != "new" || !p.Bond.IsEqual(coin(2_000_500)) || p.Hardware.GpuCount != 4 {
		t.Fatalf("provider after update %+v", p)
	}
	// Not a provider.
	sn := s.snap(op, req)
	_, err = s.ms.UpdateProvider(s.ta.Ctx, &types.MsgUpdateProvider{Operator: req.String(), Moniker: "x", Hardware: hw})
	wantErr(t, err, types.ErrProviderNotFound)
	_, err = s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: req.String()})
	wantErr(t, err, types.ErrProviderNotFound)
	s.unchanged(sn, op, req)

	// A commitment locks collateral: unbonding is refused.
	id := s.create(req, 10_000)
	s.commit(op, id, 5_000)
	sn = s.snap(op, req)
	_, err = s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: op.String()})
	wantErr(t, err, types.ErrProviderBusy)
	s.unchanged(sn, op, req)
	if _, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: id}); err != nil {
		t.Fatal(err)
	}
	s.inv()

	before := s.bal(op)
	res, err := s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: op.String()})
	if err != nil {
		t.Fatal(err)
	}
	s.inv()
	if res.UnbondingEnd != s.height()+2 {
		t.Fatalf("unbonding end %d at height %d", res.UnbondingEnd, s.height())
	}
	_, err = s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: op.String()})
	wantErr(t, err, types.ErrProviderNotActive)
	s.next(2)
	if !s.bal(op).Equal(before) {
		t.Fatal("bond returned too early")
	}
	s.next(1)
	if got := s.bal(op).Sub(before); !got.Equal(math.NewInt(2_000_500)) {
		t.Fatalf("bond returned %s, want 2000500", got)
	}
	if _, err := s.k.GetProvider(s.ta.Ctx, op.String()); !types.ErrProviderNotFound.Is(err) {
		t.Fatalf("provider still present: %v", err)
	}
}

func TestCreateAndCancelJob(t *testing.T) {
	s := newSuite(t)
	req, other, prov := s.acc(1), s.acc(0), s.acc(2)
	s.register(prov, 1_000_000)
	before := s.bal(req)
	id := s.create(req, 10_000)
	if got := before.Sub(s.bal(req)); !got.Equal(math.NewInt(10_000)) {
		t.Fatalf("escrowed %s", got)
	}
	j := s.job(id)
	if j.State != types.JobState_JOB_STATE_OPEN || j.ExpectedChunkCount != 4 || j.Rows != 64 || j.CommitEnd != s.height()+2 {
		t.Fatalf("job %+v", j)
	}

	poor := s.ta.NewAccount(sdk.NewCoins(coin(100)))
	mk := func(f func(m *types.MsgCreateJob)) *types.MsgCreateJob {
		m := s.createMsg(req, 10_000)
		f(m)
		return m
	}
	cases := []struct {
		name string
		msg  *types.MsgCreateJob
		err  error
	}{
		{"bad kind", mk(func(m *types.MsgCreateJob) { m.Workload.Kind = "conv" }), types.ErrInvalidWorkload},
		{"zero m", mk(func(m *types.MsgCreateJob) { m.Workload.Gemm.M = 0 }), types.ErrInvalidWorkload},
		{"zero chunk rows", mk(func(m *types.MsgCreateJob) { m.Workload.ChunkRows = 0 }), types.ErrInvalidWorkload},
		{"too many chunks", mk(func(m *types.MsgCreateJob) { m.Workload.Gemm.M = 70_000; m.Workload.ChunkRows = 1 }), types.ErrInvalidWorkload},
		{"mlp with an unknown dataset", mk(func(m *types.MsgCreateJob) {
			m.Workload = types.WorkloadSpec{Kind: types.KindMLP, Mlp: &types.MlpSpec{ModelId: 1, DatasetId: 1}, ChunkRows: 8}
		}), types.ErrInvalidWorkload},
		{"commit window too long", mk(func(m *types.MsgCreateJob) { m.CommitBlocks = 5_000 }), types.ErrInvalidWindow},
		{"exec too long", mk(func(m *types.MsgCreateJob) { m.ExecBlocks = 50_000 }), types.ErrInvalidWindow},
		{"zero price", mk(func(m *types.MsgCreateJob) { m.MaxPrice = coin(0) }), types.ErrInvalidPrice},
		{"other denom", mk(func(m *types.MsgCreateJob) { m.MaxPrice = sdk.NewCoin("foo", math.NewInt(5)) }), types.ErrInvalidPrice},
		{"underfunded", mk(func(m *types.MsgCreateJob) { m.Requester = poor.Address.String() }), sdkerrors.ErrInsufficientFunds},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sn := s.snap(req, poor.Address)
			_, err := s.ms.CreateJob(s.ta.Ctx, c.msg)
			wantErr(t, err, c.err)
			s.unchanged(sn, req, poor.Address)
		})
	}

	s.commit(prov, id, 9_000)
	sn := s.snap(req, other)
	_, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: other.String(), JobId: id})
	wantErr(t, err, types.ErrNotRequester)
	_, err = s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: 999})
	wantErr(t, err, types.ErrJobNotFound)
	s.unchanged(sn, req, other)

	if _, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: id}); err != nil {
		t.Fatal(err)
	}
	s.inv()
	if !s.bal(req).Equal(before) {
		t.Fatalf("refund: %s, want %s", s.bal(req), before)
	}
	if !s.provider(prov).Locked.IsZero() {
		t.Fatal("collateral still locked after cancel")
	}
	s.wantState(id, types.JobState_JOB_STATE_CANCELLED, types.CloseReason_CLOSE_REASON_REQUESTER_CANCELLED)
	_, err = s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: id})
	wantErr(t, err, types.ErrWrongState)
	s.next(5) // the stale queue entries are ignored
	s.wantState(id, types.JobState_JOB_STATE_CANCELLED, types.CloseReason_CLOSE_REASON_REQUESTER_CANCELLED)
}

func TestCommitRevealFailures(t *testing.T) {
	s := newSuite(t)
	req, p1, p2, p3, p4 := s.acc(0), s.acc(1), s.acc(2), s.acc(3), s.acc(4)
	for _, p := range []sdk.AccAddress{p1, p2, p3, p4} {
		s.register(p, 1_000_000)
	}
	id := s.create(req, 10_000)
	commitMsg := func(p sdk.AccAddress, job uint64) *types.MsgCommitBid {
		return &types.MsgCommitBid{Provider: p.String(), JobId: job, Commitment: types.BidCommitment(job, p.String(), coin(5_000), salt(p))}
	}
	all := []sdk.AccAddress{req, p1, p2, p3, p4}
	try := func(name string, msg *types.MsgCommitBid, target error) {
		t.Helper()
		sn := s.snap(all...)
		_, err := s.ms.CommitBid(s.ta.Ctx, msg)
		if err == nil || !errors.Is(err, target) {
			t.Fatalf("%s: got %v, want %v", name, err, target)
		}
		s.unchanged(sn, all...)
	}
	try("job not found", commitMsg(p1, 77), types.ErrJobNotFound)
	try("not a provider", commitMsg(s.acc(5), id), types.ErrProviderNotFound)
	try("own job", func() *types.MsgCommitBid { m := commitMsg(p1, id); m.Provider = req.String(); return m }(), types.ErrOwnBid)
	try("short commitment", func() *types.MsgCommitBid { m := commitMsg(p1, id); m.Commitment = []byte{1, 2}; return m }(), types.ErrInvalidCommitment)

	// Hardware: a job needing 8 GPUs.
	m := s.createMsg(req, 10_000)
	m.MinHardware = types.Hardware{GpuCount: 8}
	res, err := s.ms.CreateJob(s.ta.Ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	try("hardware", commitMsg(p1, res.JobId), types.ErrHardwareMismatch)

	// Collateral: max_price 600000 locks 1.2M of a 1M bond.
	big := s.create(req, 600_000)
	try("insufficient collateral", commitMsg(p1, big), types.ErrInsufficientCollateral)

	s.commit(p1, id, 5_000)
	try("duplicate", commitMsg(p1, id), types.ErrBidExists)
	s.commit(p2, id, 6_000)
	s.commit(p3, id, 7_000)
	try("too many bids", commitMsg(p4, id), types.ErrTooManyBids)
	if got := s.provider(p1).Locked; !got.IsEqual(coin(20_000)) {
		t.Fatalf("locked %s, want 2 × max_price", got)
	}

	// Reveal before the reveal phase.
	sn := s.snap(all...)
	wantErr(t, s.reveal(p1, id, 5_000), types.ErrWrongState)
	s.unchanged(sn, all...)
	s.next(3)
	try("commit after window", commitMsg(p4, id), types.ErrCommitWindowClosed)

	sn = s.snap(all...)
	wantErr(t, s.reveal(p1, id, 5_001), types.ErrBadCommitment)
	_, err = s.ms.RevealBid(s.ta.Ctx, &types.MsgRevealBid{Provider: p1.String(), JobId: id, Price: coin(5_000), Salt: []byte("wrong")})
	wantErr(t, err, types.ErrBadCommitment)
	wantErr(t, s.reveal(p4, id, 5_000), types.ErrBidNotFound)
	_, err = s.ms.RevealBid(s.ta.Ctx, &types.MsgRevealBid{Provider: p1.String(), JobId: id, Price: coin(20_000), Salt: salt(p1)})
	wantErr(t, err, types.ErrInvalidPrice)
	s.unchanged(sn, all...)

	if err := s.reveal(p1, id, 5_000); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.reveal(p1, id, 5_000), types.ErrAlreadyRevealed)
	s.next(2) // reveal window over: awarded
	sn = s.snap(all...)
	wantErr(t, s.reveal(p2, id, 6_000), types.ErrRevealWindowClosed)
	s.unchanged(sn, all...)
	// p1 alone revealed: it wins at max_price; p2 and p3 forfeit their deposits.
	j := s.job(id)
	if j.Winner != p1.String() || !j.ClearingPrice.IsEqual(coin(10_000)) {
		t.Fatalf("winner %s at %s", j.Winner, j.ClearingPrice)
	}
	if b := s.provider(p2).Bond; !b.IsEqual(coin(1_000_000 - 20_000)) {
		t.Fatalf("p2 bond after forfeit %s", b)
	}
}

func TestLifecycleSampledSettles(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000 // every result is verified
	s.setParams(p)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	reqBefore, p1Before, poolBefore := s.bal(req), s.bal(p1), s.poolBal()

	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	j := s.job(id)
	if j.Winner != p1.String() || !j.ClearingPrice.IsEqual(coin(4_000)) {
		t.Fatalf("winner %s at %s, want p1 at the second price 4000", j.Winner, j.ClearingPrice)
	}
	if !s.provider(p2).Locked.IsZero() || !s.provider(p1).Locked.IsEqual(coin(20_000)) {
		t.Fatal("collateral: loser must be released, winner kept")
	}

	// A non-winner's result and a wrong chunk count are refused.
	all := []sdk.AccAddress{req, p1, p2}
	sn := s.snap(all...)
	_, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p2.String(), JobId: id, OutputRoot: root32, ChunkCount: 4})
	wantErr(t, err, types.ErrNotWinner)
	_, err = s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 5})
	wantErr(t, err, types.ErrInvalidResult)
	_, err = s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32[:5], ChunkCount: 4})
	wantErr(t, err, types.ErrInvalidResult)
	s.unchanged(sn, all...)

	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.inv()
	if j := s.job(id); j.State != types.JobState_JOB_STATE_SUBMITTED || j.Sample.Decided {
		t.Fatalf("after submit: %s decided=%t", j.State, j.Sample.Decided)
	}
	_, err = s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4})
	wantErr(t, err, types.ErrWrongState)
	s.next(2) // the block after the submission draws the sample
	j = s.job(id)
	if j.State != types.JobState_JOB_STATE_VERIFYING || !j.Sample.Selected || len(j.Sample.Indices) != 4 {
		t.Fatalf("after sampling: %s %+v", j.State, j.Sample)
	}
	pv, err := s.q.PendingVerifications(s.ta.Ctx, &types.QueryPendingVerificationsRequest{})
	if err != nil || len(pv.Pending) != 1 || pv.Pending[0].JobId != id || pv.Pending[0].ProviderEndpoint != "http://127.0.0.1:8090" {
		t.Fatalf("pending verifications %+v, %v", pv, err)
	}

	// 2/3 of the power says VALID: settle.
	votes := []types.ValidatorVerdicts{
		{ConsAddress: []byte("val-a"), Power: 40, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}},
		{ConsAddress: []byte("val-a"), Power: 40, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}}, // counted once
	}
	if err := s.k.ApplyVerdicts(s.ta.Ctx, 100, votes); err != nil {
		t.Fatal(err)
	}
	s.inv()
	if s.job(id).State != types.JobState_JOB_STATE_VERIFYING {
		t.Fatal("settled with only 40% VALID")
	}
	votes = []types.ValidatorVerdicts{{ConsAddress: []byte("val-b"), Power: 27, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}}}
	if err := s.k.ApplyVerdicts(s.ta.Ctx, 100, votes); err != nil {
		t.Fatal(err)
	}
	s.inv()
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)

	// Money: the winner gets 4000 - 10% fee, the pool the fee plus the
	// forfeits (none here), the requester pays exactly the clearing price.
	if got := s.bal(p1).Sub(p1Before); !got.Equal(math.NewInt(3_600)) {
		t.Fatalf("p1 balance change %s, want +3600", got)
	}
	if got := reqBefore.Sub(s.bal(req)); !got.Equal(math.NewInt(4_000)) {
		t.Fatalf("requester paid %s, want 4000", got)
	}
	if got := s.poolBal().Sub(poolBefore); !got.Equal(math.NewInt(400)) {
		t.Fatalf("reward pool got %s, want 400", got)
	}
	if pr := s.provider(p1); !pr.Locked.IsZero() || pr.Stats.Completed != 1 || !pr.Stats.Earned.Equal(sdk.NewCoins(coin(3_600))) {
		t.Fatalf("provider after settle %+v", pr)
	}
	st, _ := s.q.Stats(s.ta.Ctx, &types.QueryStatsRequest{})
	if !st.Stats.FeesPaid.Equal(sdk.NewCoins(coin(3_600))) || !st.Stats.ProtocolShare.Equal(sdk.NewCoins(coin(400))) {
		t.Fatalf("stats %+v", st.Stats)
	}
	s.next(5)
}

func TestFraudSlashesAndJails(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	reqBefore := s.bal(req)
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	supplyBefore := s.ta.BankKeeper.GetSupply(s.ta.Ctx, denom).Amount
	votes := []types.ValidatorVerdicts{
		{ConsAddress: []byte("val-a"), Power: 20, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_INVALID}}},
		{ConsAddress: []byte("val-b"), Power: 14, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_UNAVAILABLE}}},
	}
	if err := s.k.ApplyVerdicts(s.ta.Ctx, 100, votes); err != nil {
		t.Fatal(err)
	}
	s.inv()
	s.wantState(id, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_FRAUD)
	pr := s.provider(p1)
	// slash = max(50% of 1,000,000, collateral 20,000) = 500,000; half to the requester.
	if !pr.Bond.IsEqual(coin(500_000)) || pr.Status != types.ProviderStatus_PROVIDER_STATUS_JAILED || !pr.Locked.IsZero() {
		t.Fatalf("provider after fraud %+v", pr)
	}
	if pr.JailedUntil != s.height()+10 || pr.Stats.Slashed != 1 {
		t.Fatalf("jail %d at %d, stats %+v", pr.JailedUntil, s.height(), pr.Stats)
	}
	if got := s.bal(req).Sub(reqBefore); !got.Equal(math.NewInt(250_000)) {
		t.Fatalf("requester: %s, want full refund + 250000 compensation", got)
	}
	if burned := supplyBefore.Sub(s.ta.BankKeeper.GetSupply(s.ta.Ctx, denom).Amount); !burned.Equal(math.NewInt(250_000)) {
		t.Fatalf("burned %s, want 250000", burned)
	}
	// A recently slashed provider is sampled at 100%.
	if r := keeper.SampleRateBps(pr, s.params(), s.height()); r != 10_000 {
		t.Fatalf("sample rate after slash %d", r)
	}
	// Jailed: cannot bid, cannot unjail early, can unjail after with enough bond.
	id2 := s.create(req, 10_000)
	sn := s.snap(req, p1)
	_, err := s.ms.CommitBid(s.ta.Ctx, &types.MsgCommitBid{Provider: p1.String(), JobId: id2, Commitment: root32})
	wantErr(t, err, types.ErrProviderNotActive)
	s.unchanged(sn, req, p1)
	_, err = s.ms.UpdateProvider(s.ta.Ctx, &types.MsgUpdateProvider{Operator: p1.String(), Moniker: "m", Hardware: gpuHW()})
	if err != nil || s.provider(p1).Status != types.ProviderStatus_PROVIDER_STATUS_JAILED {
		t.Fatalf("early update: %v, status %s", err, s.provider(p1).Status)
	}
	s.next(11)
	sn = s.snap(p1)
	_, err = s.ms.UpdateProvider(s.ta.Ctx, &types.MsgUpdateProvider{Operator: p1.String(), Moniker: "m", Hardware: gpuHW()})
	wantErr(t, err, types.ErrBondTooSmall)
	s.unchanged(sn, p1)
	_, err = s.ms.UpdateProvider(s.ta.Ctx, &types.MsgUpdateProvider{Operator: p1.String(), Moniker: "m", Hardware: gpuHW(), AddBond: coin(500_000)})
	if err != nil || s.provider(p1).Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
		t.Fatalf("unjail: %v, status %s", err, s.provider(p1).Status)
	}
	s.inv()
}

func TestUnsampledSettlesAfterChallengeAndDispute(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	reqBefore, poolBefore := s.bal(req), s.poolBal()

	// Job A: unsampled (floor 0), settles after challenge_blocks.
	a := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: a, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	// Disputing before the sampling draw is refused.
	_, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: a})
	wantErr(t, err, types.ErrWrongState)
	s.next(2)
	j := s.job(a)
	if j.State != types.JobState_JOB_STATE_SUBMITTED || !j.Sample.Decided || j.Sample.Selected {
		t.Fatalf("job A after draw: %s %+v", j.State, j.Sample)
	}
	sn := s.snap(req, p2)
	_, err = s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: p2.String(), JobId: a})
	wantErr(t, err, types.ErrNotRequester)
	s.unchanged(sn, req, p2)
	s.next(3)
	s.wantState(a, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	if got := reqBefore.Sub(s.bal(req)); !got.Equal(math.NewInt(4_000)) {
		t.Fatalf("requester paid %s", got)
	}

	// Job B: disputed; no verdicts arrive: settles inconclusive, dispute fee returned.
	b := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: b, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	before := s.bal(req)
	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: b}); err != nil {
		t.Fatal(err)
	}
	s.inv()
	if got := before.Sub(s.bal(req)); !got.Equal(math.NewInt(500)) {
		t.Fatalf("dispute fee %s", got)
	}
	j = s.job(b)
	if j.State != types.JobState_JOB_STATE_VERIFYING || !j.Sample.Disputed || len(j.Sample.Indices) != 4 {
		t.Fatalf("after dispute %s %+v", j.State, j.Sample)
	}
	_, err = s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: b})
	wantErr(t, err, types.ErrWrongState)
	s.next(4)
	s.wantState(b, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED_INCONCLUSIVE)
	if got := before.Sub(s.bal(req)); !got.Equal(math.NewInt(-6_000)) {
		t.Fatalf("requester net %s: refund 6000, dispute fee back", got)
	}
	if got := s.poolBal().Sub(poolBefore); !got.Equal(math.NewInt(800)) {
		t.Fatalf("pool got %s, want 2 × 400", got)
	}
}

func TestTimeoutAndExpiry(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	reqBefore := s.bal(req)

	// No bids: EXPIRED at commit end with a full refund.
	none := s.create(req, 10_000)
	// Bids but no reveal: EXPIRED, deposits forfeited to the reward pool.
	silent := s.create(req, 10_000)
	s.commit(p2, silent, 1_000)
	poolBefore := s.poolBal()
	s.next(5)
	s.wantState(none, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_BIDS)
	s.wantState(silent, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_VALID_REVEAL)
	if got := s.poolBal().Sub(poolBefore); !got.Equal(math.NewInt(20_000)) {
		t.Fatalf("forfeit to pool %s", got)
	}
	if !s.bal(req).Equal(reqBefore) {
		t.Fatal("requester not refunded")
	}

	// Winner never submits: slashed 10% (no jail), requester refunded in full.
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	dl := s.job(id).ExecDeadline
	for s.height() <= dl {
		s.next(1)
	}
	sn := s.snap(req, p1)
	_, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4})
	wantErr(t, err, types.ErrWrongState)
	s.unchanged(sn, req, p1)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	pr := s.provider(p1)
	if !pr.Bond.IsEqual(coin(900_000)) || pr.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE || pr.Stats.Failed != 1 {
		t.Fatalf("provider after timeout %+v", pr)
	}
	if got := s.bal(req).Sub(reqBefore); !got.Equal(math.NewInt(50_000)) {
		t.Fatalf("requester +%s, want refund and 50000 compensation", got)
	}
}

func TestApplyVerdictsSkipsBadEntries(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	sn := s.snap(req, p1, p2)
	bad := []types.ValidatorVerdicts{
		{ConsAddress: nil, Power: 90, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_INVALID}}},
		{ConsAddress: []byte("v"), Power: 0, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_INVALID}}},
		{ConsAddress: []byte("v"), Power: 500, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_INVALID}}},
		{ConsAddress: []byte("v"), Power: 90, Verdicts: []types.JobVerdict{
			{JobId: id, Verdict: types.Verdict_VERDICT_INVALID},     // job is ASSIGNED, not VERIFYING
			{JobId: 12345, Verdict: types.Verdict_VERDICT_INVALID},  // unknown job
			{JobId: id, Verdict: types.Verdict_VERDICT_UNSPECIFIED}, // unknown verdict
		}},
	}
	if err := s.k.ApplyVerdicts(s.ta.Ctx, 100, bad); err != nil {
		t.Fatal(err)
	}
	if err := s.k.ApplyVerdicts(s.ta.Ctx, 0, bad); err != nil {
		t.Fatal(err)
	}
	s.unchanged(sn, req, p1, p2)
}

func TestUpdateParams(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.ProtocolFeeBps = 123
	sn := s.snap()
	_, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: s.acc(0).String(), Params: p})
	wantErr(t, err, types.ErrInvalidSigner)
	bad := p
	bad.ProtocolFeeBps = 10_001
	_, err = s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: s.k.GetAuthority(), Params: bad})
	wantErr(t, err, types.ErrInvalidParams)
	s.unchanged(sn)
	s.setParams(p)
	if s.params().ProtocolFeeBps != 123 {
		t.Fatal("params not updated")
	}
}

func TestEndBlockerCapCarriesOver(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.MaxQueueItemsPerBlock = 2
	s.setParams(p)
	req := s.acc(0)
	var ids []uint64
	for i := 0; i < 5; i++ {
		ids = append(ids, s.create(req, 1_000))
	}
	s.next(3) // commit_end reached in the last of these blocks: 2 expire
	expired := func() int {
		n := 0
		for _, id := range ids {
			if s.job(id).State == types.JobState_JOB_STATE_EXPIRED {
				n++
			}
		}
		return n
	}
	if n := expired(); n != 2 {
		t.Fatalf("%d expired in the due block, want the cap 2", n)
	}
	s.next(1)
	if n := expired(); n != 4 {
		t.Fatalf("%d expired after carry-over, want 4", n)
	}
	s.next(1)
	if n := expired(); n != 5 {
		t.Fatalf("%d expired, want 5", n)
	}
}

func TestQueries(t *testing.T) {
	s := newSuite(t)
	req, req2, p1, p2 := s.acc(0), s.acc(3), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	won := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	open1 := s.create(req, 1_000)
	open2 := s.create(req2, 1_000)
	ctx := s.ta.Ctx

	jobs, err := s.q.Jobs(ctx, &types.QueryJobsRequest{State: types.JobState_JOB_STATE_OPEN})
	if err != nil || len(jobs.Jobs) != 2 || jobs.Jobs[0].Id != open1 || jobs.Jobs[1].Id != open2 {
		t.Fatalf("open jobs %+v %v", jobs, err)
	}
	jobs, err = s.q.Jobs(ctx, &types.QueryJobsRequest{Requester: req.String()})
	if err != nil || len(jobs.Jobs) != 2 {
		t.Fatalf("jobs by requester %+v %v", jobs, err)
	}
	jobs, err = s.q.Jobs(ctx, &types.QueryJobsRequest{Provider: p1.String()})
	if err != nil || len(jobs.Jobs) != 1 || jobs.Jobs[0].Id != won {
		t.Fatalf("jobs by provider %+v %v", jobs, err)
	}
	page, err := s.q.Jobs(ctx, &types.QueryJobsRequest{Pagination: &query.PageRequest{Limit: 2, CountTotal: true}})
	if err != nil || len(page.Jobs) != 2 || page.Pagination.Total != 3 || page.Pagination.NextKey == nil {
		t.Fatalf("page 1 %+v %v", page, err)
	}
	page2, err := s.q.Jobs(ctx, &types.QueryJobsRequest{Pagination: &query.PageRequest{Key: page.Pagination.NextKey}})
	if err != nil || len(page2.Jobs) != 1 || page2.Jobs[0].Id != open2 {
		t.Fatalf("page 2 %+v %v", page2, err)
	}
	if _, err := s.q.Jobs(ctx, &types.QueryJobsRequest{State: types.JobState_JOB_STATE_OPEN, Requester: req.String()}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("two filters: %v", err)
	}
	if _, err := s.q.Job(ctx, &types.QueryJobRequest{JobId: 99}); status.Code(err) != codes.NotFound {
		t.Fatalf("missing job: %v", err)
	}
	if _, err := s.q.Job(ctx, nil); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("nil request: %v", err)
	}
	bids, err := s.q.Bids(ctx, &types.QueryBidsRequest{JobId: won})
	if err != nil || len(bids.Commits) != 2 || len(bids.Bids) != 2 {
		t.Fatalf("bids %+v %v", bids, err)
	}
	provs, err := s.q.Providers(ctx, &types.QueryProvidersRequest{Status: types.ProviderStatus_PROVIDER_STATUS_ACTIVE})
	if err != nil || len(provs.Providers) != 2 {
		t.Fatalf("providers %+v %v", provs, err)
	}
	provs, err = s.q.Providers(ctx, &types.QueryProvidersRequest{Status: types.ProviderStatus_PROVIDER_STATUS_JAILED})
	if err != nil || len(provs.Providers) != 0 {
		t.Fatalf("jailed providers %+v %v", provs, err)
	}
	pr, err := s.q.Provider(ctx, &types.QueryProviderRequest{Address: p1.String()})
	if err != nil || pr.Provider.Address != p1.String() {
		t.Fatalf("provider %+v %v", pr, err)
	}
	st, err := s.q.Stats(ctx, &types.QueryStatsRequest{})
	if err != nil || st.Stats.ActiveProviders != 2 || len(st.Stats.JobsPerState) != 2 {
		t.Fatalf("stats %+v %v", st, err)
	}
}

func TestGenesisRoundTrip(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	if err := s.k.ApplyVerdicts(s.ta.Ctx, 100, []types.ValidatorVerdicts{{ConsAddress: []byte("v"), Power: 10,
		Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}}}); err != nil {
		t.Fatal(err)
	}
	s.create(req, 1_000)
	open := s.create(req, 1_000)
	s.commit(p2, open, 900)

	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatal(err)
	}
	fresh := newSuite(t)
	// Load into a fresh app (its module account balance differs: only the state is compared).
	if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); err != nil {
		t.Fatal(err)
	}
	again, err := fresh.k.ExportGenesis(fresh.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if gs.String() != again.String() {
		t.Fatalf("genesis differs after import:\n%s\n%s", gs, again)
	}
	// The queues were rebuilt: the VERIFYING job ends, the open jobs advance.
	for _, q := range []keeper.HeightQueue{fresh.k.VerificationEndQueue, fresh.k.CommitEndQueue} {
		it, err := q.Iterate(fresh.ta.Ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := it.Keys()
		if err != nil || len(keys) == 0 {
			t.Fatalf("queue not rebuilt: %v %v", keys, err)
		}
	}
}

// TestSlashBelowOpenCommitments: a fraud slash that takes the whole bond
// leaves the provider's other commitment unbacked; the auction it is in still
// closes (the jailed provider is skipped) and the books stay right.
func TestSlashBelowOpenCommitments(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	p.SlashFractionFraud = 10_000
	s.setParams(p)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	a := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	b := s.create(req, 10_000)
	s.commit(p1, b, 2_000)
	s.commit(p2, b, 5_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: a, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(3) // A is VERIFYING, B is in REVEAL
	s.revealAndConvict(a, b, p1, p2)
	s.next(3)
	j := s.job(b)
	if j.State != types.JobState_JOB_STATE_ASSIGNED || j.Winner != p2.String() || !j.ClearingPrice.IsEqual(coin(10_000)) {
		t.Fatalf("job B: %s winner %s at %s, want p2 at max_price", j.State, j.Winner, j.ClearingPrice)
	}
}

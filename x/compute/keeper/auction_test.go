package keeper_test

import (
	"errors"
	stdmath "math"
	"testing"

	"github.com/aichain/aichain/workload"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/aichain/aichain/x/compute/types"
)

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
			m.Workload = types.WorkloadSpec{Kind: workload.KindMLP, Mlp: &types.MlpSpec{ModelId: 1, DatasetId: 1}, ChunkRows: 8}
		}), types.ErrInvalidWorkload},
		{"commit window too long", mk(func(m *types.MsgCreateJob) { m.CommitBlocks = 5_000 }), types.ErrInvalidWindow},
		{"exec too long", mk(func(m *types.MsgCreateJob) { m.ExecBlocks = 50_000 }), types.ErrInvalidWindow},
		{"zero price", mk(func(m *types.MsgCreateJob) { m.MaxPrice = coin(0) }), types.ErrInvalidPrice},
		{"other denom", mk(func(m *types.MsgCreateJob) { m.MaxPrice = sdk.NewCoin("foo", math.NewInt(5)) }), types.ErrDenomNotAllowed},
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
	// Any number of commitments: a fourth where close_batch_size is 3.
	s.commit(p4, id, 8_000)
	// The only limit is the job's uint32 counter.
	maxed := s.create(req, 10_000)
	mj := s.job(maxed)
	mj.CommitCount = stdmath.MaxUint32
	if err := s.k.Jobs.Set(s.ta.Ctx, maxed, mj); err != nil {
		t.Fatal(err)
	}
	try("too many bids", commitMsg(p1, maxed), types.ErrTooManyBids)
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
	wantErr(t, s.reveal(p4, big, 5_000), types.ErrBidNotFound)
	_, err = s.ms.RevealBid(s.ta.Ctx, &types.MsgRevealBid{Provider: p1.String(), JobId: id, Price: coin(20_000), Salt: salt(p1)})
	wantErr(t, err, types.ErrInvalidPrice)
	s.unchanged(sn, all...)

	if err := s.reveal(p1, id, 5_000); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.reveal(p1, id, 5_000), types.ErrAlreadyRevealed)
	s.next(2) // reveal window over: the close handles 3 of the 4 commitments
	if j := s.job(id); j.State != types.JobState_JOB_STATE_REVEAL || j.Sweep.After == "" {
		t.Fatalf("after the first block of the close: %s, sweep %+v", j.State, j.Sweep)
	}
	sn = s.snap(all...)
	wantErr(t, s.reveal(p2, id, 6_000), types.ErrRevealWindowClosed)
	s.unchanged(sn, all...)
	s.next(1) // the fourth: awarded
	// p1 alone revealed: it wins at max_price; p2, p3 and p4 forfeit
	// bid_deposit (1000), not their whole 20000 collateral.
	for _, p := range []sdk.AccAddress{p2, p3, p4} {
		if got := s.provider(p); !got.Bond.IsEqual(coin(1_000_000-1_000)) || !got.Locked.IsZero() || got.Obligations != 0 {
			t.Fatalf("%s after forfeit: bond %s locked %s obligations %d", p, got.Bond, got.Locked, got.Obligations)
		}
	}
	j := s.job(id)
	if j.Winner != p1.String() || !j.ClearingPrice.IsEqual(coin(10_000)) {
		t.Fatalf("winner %s at %s", j.Winner, j.ClearingPrice)
	}
	if p := s.provider(p2); !p.Bond.IsEqual(coin(1_000_000-1_000)) || !p.Locked.IsZero() {
		t.Fatalf("p2 after forfeit: bond %s locked %s", p.Bond, p.Locked)
	}
}

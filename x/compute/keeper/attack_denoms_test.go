package keeper_test

import (
	"bytes"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
	srkeeper "github.com/aichain/aichain/x/staking-rewards/keeper"
	srtypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// The attack suite for jobs priced in other denoms (issue 19): test params
// (bid_deposit 1,000 uaic, collateral 2 × max_price, protocol fee 10%).
// A voucher job's commitment locks bid_deposit from the bond and deposits
// 2 × max_price in vouchers from the provider's account.

// TestAttackJobPricedInDenomNotAllowed: a job priced in a denom governance
// has not allowed is refused with a typed error and changes nothing; once
// allowed (MsgUpdateParams) the same job escrows its price in that denom.
func TestAttackJobPricedInDenomNotAllowed(t *testing.T) {
	s := newSuite(t)
	req := s.acc(0)
	s.fundIBC(1_000_000, req)
	sn, il := s.snap(req), s.iledger(req)
	_, err := s.createIn(req, icoin(10_000))
	wantErr(t, err, types.ErrDenomNotAllowed)
	s.unchanged(sn, req)
	il.delta("requester", req, 0)
	il.delta("module", moduleAddr(), 0)

	s.allowIBC()
	id, err := s.createIn(req, icoin(10_000))
	if err != nil {
		t.Fatal(err)
	}
	il.delta("requester after allow", req, -10_000)
	il.delta("module after allow", moduleAddr(), 10_000)
	if j := s.job(id); !j.Escrow.Equal(sdk.NewCoins(icoin(10_000))) {
		t.Fatalf("escrow %s", j.Escrow)
	}
}

// TestAttackBidInAnotherDenom: a provider that committed to a uaic price on
// a voucher job cannot reveal it (bids are in the job's denom): refused,
// nothing changes, and the auction goes on without it.
func TestAttackBidInAnotherDenom(t *testing.T) {
	s := newSuite(t)
	s.allowIBC()
	req, p1 := s.acc(0), s.acc(1)
	s.register(p1, 1_000_000)
	s.fundIBC(1_000_000, req, p1)
	id, err := s.createIn(req, icoin(10_000))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.commitIn(p1, id, coin(3_000)); err != nil {
		t.Fatal(err)
	}
	s.next(3)
	sn, il := s.snap(req, p1), s.iledger(req, p1)
	wantErr(t, s.revealIn(p1, id, coin(3_000)), types.ErrInvalidPrice)
	s.unchanged(sn, req, p1)
	il.delta("provider", p1, 0)
	s.next(2) // no valid reveal: expired, all refunded, bid_deposit forfeited from the bond
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_VALID_REVEAL)
	il.delta("provider's price collateral back", p1, 20_000)
	il.delta("requester refunded", req, 10_000)
	il.delta("module", moduleAddr(), -30_000)
	s.bondOf(p1, 999_000, 0, 0)
}

// TestAttackWorthlessCollateralForUaicJob: a provider whose free bond cannot
// cover a uaic job's collateral cannot post it in another denom it holds
// plenty of: the collateral's denom follows the job's, not the provider.
// Refused, nothing moves in either denom. Likewise a provider without
// vouchers cannot bid on a voucher job.
func TestAttackWorthlessCollateralForUaicJob(t *testing.T) {
	s := newSuite(t)
	s.allowIBC()
	req, p1 := s.acc(0), s.acc(1)
	s.register(p1, 1_000_000)
	s.fundIBC(1_000_000_000, p1)
	id := s.create(req, 600_000) // collateral 1,200,000 uaic > the bond
	sn, il := s.snap(req, p1), s.iledger(req, p1)
	wantErr(t, s.commitIn(p1, id, coin(500_000)), types.ErrInsufficientCollateral)
	s.unchanged(sn, req, p1)
	il.delta("provider's vouchers", p1, 0)
	il.delta("module", moduleAddr(), 0)

	// The other way round: a voucher job, a provider with bond but no vouchers.
	s.fundIBC(100_000, req)
	vid, err := s.createIn(req, icoin(50_000))
	if err != nil {
		t.Fatal(err)
	}
	p2 := s.acc(2)
	s.register(p2, 1_000_000)
	sn, il = s.snap(req, p2), s.iledger(req, p2)
	wantErr(t, s.commitIn(p2, vid, icoin(40_000)), types.ErrInsufficientCollateral)
	s.unchanged(sn, req, p2)
	il.delta("module", moduleAddr(), 0)
	s.bondOf(p2, 1_000_000, 0, 0)
}

// TestIBCJobSettlesPerDenom: a voucher job runs to settlement with one
// provider that never reveals. To the coin, per denom: the winner is paid the
// clearing price less the protocol fee in vouchers and gets its price
// collateral back; the loser gets its collateral back; the silent bidder
// forfeits bid_deposit (uaic, from its bond) and gets its vouchers back; the
// requester gets the rest of its escrow back; the reward pool's voucher fee
// reaches a locker of x/staking-rewards to the coin (governance lists the
// voucher in x/staking-rewards' reward_denoms as it allows it for jobs).
func TestIBCJobSettlesPerDenom(t *testing.T) {
	s := newSuite(t)
	s.allowIBC()
	srParams, err := s.ta.StakingRewardsKeeper.GetParams(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	srParams.RewardDenoms = []string{ibcDenom}
	if err := s.ta.StakingRewardsKeeper.UpdateParams(s.ta.Ctx, s.ta.StakingRewardsKeeper.GetAuthority(), srParams); err != nil {
		t.Fatal(err)
	}
	req, p1, p2, p3, locker := s.acc(0), s.acc(1), s.acc(2), s.acc(3), s.acc(4)
	for _, p := range []sdk.AccAddress{p1, p2, p3} {
		s.register(p, 1_000_000)
	}
	s.fundIBC(1_000_000, req, p1, p2, p3)
	srms := srkeeper.NewMsgServerImpl(s.ta.StakingRewardsKeeper)
	if _, err := srms.Lock(s.ta.Ctx, &srtypes.MsgLock{Owner: locker.String(), Amount: coin(1_000_000), Duration: srtypes.DefaultParams().LockTiers[0].Duration}); err != nil {
		t.Fatal(err)
	}
	s.next(1)
	l, il := s.ledger(req, p1, p2, p3, locker), s.iledger(req, p1, p2, p3, locker)

	id := s.ibcAuction(req, p1, p2, p3, 3_000, 4_000, 10_000)
	il.delta("winner: price collateral held", p1, -20_000)
	il.delta("loser: collateral back", p2, 0)
	il.delta("silent bidder: vouchers back", p3, 0)
	l.delta("silent bidder's bid_deposit to the pool", poolAddr(), 1_000)
	s.bondOf(p1, 1_000_000, 1_000, 1)
	s.bondOf(p3, 999_000, 0, 0)

	s.settleGemm(p1, id)
	il.delta("winner: 4,000 less 10% and its collateral back", p1, 3_600)
	il.delta("requester: pays the clearing price", req, -4_000)
	il.delta("loser", p2, 0)
	il.delta("module holds nothing for the job", moduleAddr(), 0)
	l.delta("winner's uaic", p1, 0)
	l.delta("requester's uaic", req, 0)
	s.bondOf(p1, 1_000_000, 0, 0)
	if pr := s.provider(p1); !pr.Stats.Earned.Equal(sdk.NewCoins(icoin(3_600))) || !pr.Stats.CompletedValue.IsZero() {
		t.Fatalf("winner's record: earned %s, completed_value %s (a voucher job buys no bond-denom reputation)", pr.Stats.Earned, pr.Stats.CompletedValue)
	}
	s.next(1)
	res, err := srms.ClaimRewards(s.ta.Ctx, &srtypes.MsgClaimRewards{Owner: locker.String()})
	if err != nil {
		t.Fatal(err)
	}
	if want := sdk.NewCoins(coin(1_000), icoin(400)); !res.Amount.Equal(want) {
		t.Fatalf("locker claimed %s, want %s (the pool's fees, every denom)", res.Amount, want)
	}
	il.delta("locker's voucher reward", locker, 400)
	il.delta("pool paid out", poolAddr(), 0)
}

// TestCancelIBCJobReturnsPriceCollateral: cancelling a voucher job in its
// commit phase returns every commitment's price collateral and the escrow.
func TestCancelIBCJobReturnsPriceCollateral(t *testing.T) {
	s := newSuite(t)
	s.allowIBC()
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	s.fundIBC(1_000_000, req, p1, p2)
	il := s.iledger(req, p1, p2)
	id, err := s.createIn(req, icoin(10_000))
	if err != nil {
		t.Fatal(err)
	}
	must(t, s.commitIn(p1, id, icoin(3_000)))
	must(t, s.commitIn(p2, id, icoin(4_000)))
	il.delta("module holds escrow and two collaterals", moduleAddr(), 50_000)
	if _, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: id}); err != nil {
		t.Fatal(err)
	}
	s.inv()
	for _, a := range []sdk.AccAddress{req, p1, p2, moduleAddr()} {
		il.delta("after cancel", a, 0)
	}
	s.bondOf(p1, 1_000_000, 0, 0)
}

// runIBCWin has p win req's voucher job of maxPrice alone (clearing =
// maxPrice) and returns it ASSIGNED.
func (s *suite) runIBCWin(req, p sdk.AccAddress, maxPrice int64) uint64 {
	s.t.Helper()
	id, err := s.createIn(req, icoin(maxPrice))
	must(s.t, err)
	must(s.t, s.commitIn(p, id, icoin(maxPrice/2)))
	for s.height() <= s.job(id).CommitEnd {
		s.next(1)
	}
	must(s.t, s.revealIn(p, id, icoin(maxPrice/2)))
	for s.job(id).State != types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
	return id
}

// TestAttackTimeoutOnIBCJob: a winner that lets a voucher job time out
// forfeits slash_fraction_timeout (100%) of the job's collateral in each
// denom it posted: bid_deposit from the bond, the price collateral in
// vouchers. The requester's compensation (50%) is capped per denom at what it
// lost (the 1,000 uaic creation fee, which the lock is sized to cover;
// nothing in vouchers, fully refunded): it cannot profit, and ends even;
// the rest goes to the reward pool. The invariant holds per
// denom after every block.
func TestAttackTimeoutOnIBCJob(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	s.allowIBC()
	req, p1 := s.acc(0), s.acc(1)
	s.register(p1, 1_000_000)
	s.fundIBC(1_000_000, req, p1)
	l, il := s.ledger(req, p1), s.iledger(req, p1)
	id := s.runIBCWin(req, p1, 10_000)
	s.runToTimeout(id)
	il.delta("requester refunded in full", req, 0)
	il.delta("winner forfeits its price collateral", p1, -20_000)
	il.delta("pool gets it", poolAddr(), 20_000)
	il.delta("module", moduleAddr(), 0)
	// The bond lock covers the creation fee (CoverLock: 2 × 1,000).
	l.delta("requester: creation fee compensated", req, 0)
	l.delta("pool: creation fee and the bond penalty's rest", poolAddr(), creationFee+1_000)
	s.bondOf(p1, 998_000, 0, 0)
}

// TestAttackFraudOnIBCJob: a winner convicted of fraud on a voucher job
// loses max(50% of its bond, its bond lock) in uaic and its whole price
// collateral in vouchers: half of each to the requester (refunded its escrow
// too), half burned; the loser is untouched.
func TestAttackFraudOnIBCJob(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	s.allowIBC()
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	s.fundIBC(1_000_000, req, p1, p2)
	l, il := s.ledger(req, p1, p2), s.iledger(req, p1, p2)
	id := s.ibcAuction(req, p1, p2, nil, 3_000, 4_000, 10_000)
	_, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4})
	must(t, err)
	s.next(2)
	supply := s.ta.BankKeeper.GetSupply(s.ta.Ctx, ibcDenom).Amount
	s.verdicts(id, types.Verdict_VERDICT_INVALID, 1, 11)
	s.wantState(id, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_FRAUD)
	il.delta("requester: refund + half the price collateral", req, 10_000)
	il.delta("winner loses its price collateral", p1, -20_000)
	il.delta("loser", p2, 0)
	il.delta("module", moduleAddr(), 0)
	l.delta("requester: half the bond slash", req, 250_000)
	if burned := supply.Sub(s.ta.BankKeeper.GetSupply(s.ta.Ctx, ibcDenom).Amount); !burned.Equal(math.NewInt(10_000)) {
		t.Fatalf("vouchers burned %s, want 10000", burned)
	}
	s.bondOf(p1, 500_000, 0, 0)
	s.bondOf(p2, 1_000_000, 0, 0)
}

// TestAttackModelFeeInDenomNotAllowed: a model owner that prices its model in
// a denom governance has not allowed cannot have it used by a job (typed
// error at CreateJob, nothing changes, even with a cap that covers the fee);
// once the denom is allowed the job escrows the fee in it.
func TestAttackModelFeeInDenomNotAllowed(t *testing.T) {
	s := newSuite(t)
	req, owner := s.acc(0), s.acc(5)
	w := s.mlpInputs(owner)
	_, err := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper).RegisterModel(s.ta.Ctx, &mrtypes.MsgRegisterModel{
		Owner: owner.String(), Name: "tiny-ibc", Version: "v1", Architecture: "mlp-f32",
		Sha256: string(bytes.Repeat([]byte("ef"), 32)), Uri: "https://models.example/tiny2.safetensors",
		InputDim: 3, OutputDim: 2, License: "MIT", FeePerJob: sdk.NewCoins(icoin(300)),
		Shares: []common.Share{{Address: owner.String(), Weight: 1}},
	})
	must(t, err)
	w.Mlp.ModelId = 2
	s.fundIBC(1_000_000, req)
	m := s.createMsg(req, 10_000)
	m.Workload = w
	m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(icoin(300)), sdk.NewCoins(coin(datasetFee))
	sn, il := s.snap(req, owner), s.iledger(req, owner)
	_, err = s.ms.CreateJob(s.ta.Ctx, m)
	wantErr(t, err, types.ErrDenomNotAllowed)
	s.unchanged(sn, req, owner)
	il.delta("requester", req, 0)

	s.allowIBC()
	res, err := s.ms.CreateJob(s.ta.Ctx, m)
	must(t, err)
	s.inv()
	if j := s.job(res.JobId); !j.Escrow.Equal(sdk.NewCoins(coin(10_000+datasetFee), icoin(300))) {
		t.Fatalf("escrow %s", j.Escrow)
	}
	il.delta("requester escrows the model fee in vouchers", req, -300)
}

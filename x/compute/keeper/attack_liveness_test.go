package keeper_test

import (
	storetypes "cosmossdk.io/store/types"

	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/testutil/events"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackFrozenEscrow (issue 14, attack 9). A payout that failed at
// settlement — here a dataset share naming the compute module account,
// which x/bank refuses to pay (a listing from before shares were checked, or
// from a genesis) — failed the whole settlement: the entry was retried every
// block forever, the job stayed SUBMITTED with its escrow and the winner's
// collateral locked, and the winner could never unbond. Now the failing
// payout goes to the reward pool with an EventPayoutRedirected, the job
// settles, the winner is paid and unbonds with its bond whole; the requester
// pays exactly what it agreed to, and the share that pointed at the module
// account gets nothing.
func TestAttackFrozenEscrow(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov, owner := s.acc(0), s.acc(1), s.acc(2)
	const bond = 1_000_000
	s.registerAny(prov, bond)
	w := s.mlpInputs(owner)
	d, err := s.ta.DataMarketKeeper.Datasets.Get(s.ta.Ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	d.Shares = []common.Share{{Address: moduleAddr().String(), Weight: 1}}
	if err := s.ta.DataMarketKeeper.Datasets.Set(s.ta.Ctx, 1, d); err != nil {
		t.Fatal(err)
	}
	l := s.ledger(req, prov, owner)
	id := s.mlpJob(req, w, 10_000)
	s.win(prov, id, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 5}); err != nil {
		t.Fatal(err)
	}
	s.inv()
	s.next(2) // the sampling draw: unsampled (floor 0), a challenge window
	for s.height() < s.job(id).ChallengeEnd {
		s.next(1)
	}
	ctx := s.ta.Ctx.WithEventManager(sdk.NewEventManager())
	if err := s.k.EndBlocker(ctx); err != nil {
		t.Fatal(err)
	}
	redirected := events.Typed[types.EventPayoutRedirected](t, ctx)
	s.next(1)
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	if len(redirected) != 1 || redirected[0].What != "dataset_fee" || redirected[0].Amount != coin(datasetFee).String() {
		t.Fatalf("redirected payouts %+v, want the dataset fee", redirected)
	}
	// Requester: the creation fee, the clearing price and both fees.
	l.delta("requester", req, -creationFee-10_000-modelFee-datasetFee)
	// Winner: the clearing price less the 10% protocol fee; its collateral released.
	l.delta("winner", prov, 9_000)
	s.bondOf(prov, bond, 0, 0)
	// The model's owner and the pool share the model fee (the platform part
	// to the pool); the pool has the creation fee, the protocol fee and the
	// redirected dataset fee.
	ownerGot := s.worth(owner).Sub(l.before[owner.String()]).Int64()
	l.delta("reward pool", poolAddr(), creationFee+1_000+datasetFee+(modelFee-ownerGot))
	l.delta("module account", moduleAddr(), 0)
	if ownerGot <= 0 || ownerGot > modelFee {
		t.Fatalf("model owner got %d of the %d model fee", ownerGot, modelFee)
	}

	// The winner is not held: it unbonds and gets its whole bond back.
	if _, err := s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: prov.String()}); err != nil {
		t.Fatalf("unbond after the settlement: %v", err)
	}
	s.next(int(s.params().UnbondingBlocks) + 1)
	l.delta("winner after unbonding", prov, 9_000+bond)
}

// TestAttackUnboundedUnbond (issue 14, attack 10). MsgUnbondProvider of a
// provider that was ever slashed walked every job in auction and every job
// it ever won (liveObligation): anyone could make it cost more than a
// block's gas by opening cheap jobs, locking the provider's bond in. Now an
// exact obligation counter beside the lock decides it: the gas is the same
// with 5 or 200 jobs open, a provider with an obligation is refused, and the
// bond left after the slash returns to the coin.
func TestAttackUnboundedUnbond(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000
	p.SlashFractionFraud = 0 // the slash is the job's collateral
	p.VerificationBlocks = 30
	s.setParams(p)
	req, prov := s.acc(0), s.acc(1)
	const bond = 1_000_000
	s.register(prov, bond)
	id := s.create(req, 10_000)
	s.win(prov, id, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	// Slashed with an obligation left: another won job, live.
	id2 := s.create(req, 10_000)
	s.win(prov, id2, 10_000)
	s.verdicts(id, types.Verdict_VERDICT_INVALID, 'a', 11)
	s.bondOf(prov, bond-20_000, 20_000, 1)
	before := s.snap(req, prov)
	_, err := s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: prov.String()})
	wantErr(t, err, types.ErrProviderBusy)
	s.unchanged(before, req, prov)
	_, err = s.ms.AbortJob(s.ta.Ctx, &types.MsgAbortJob{Provider: prov.String(), JobId: id2, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE})
	if err != nil { // a gemm job: a timeout at once, the obligation ends
		t.Fatal(err)
	}
	s.inv()
	s.bondOf(prov, bond-40_000, 0, 0)

	gas := func() uint64 {
		ctx, _ := s.ta.Ctx.CacheContext()
		ctx = ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
		if _, err := s.ms.UnbondProvider(ctx, &types.MsgUnbondProvider{Operator: prov.String()}); err != nil {
			t.Fatal(err)
		}
		return ctx.GasMeter().GasConsumed()
	}
	for i := 0; i < 5; i++ {
		s.create(s.acc(2), 1)
	}
	few := gas()
	for i := 0; i < 195; i++ {
		s.create(s.acc(2), 1)
	}
	if many := gas(); many != few {
		t.Fatalf("unbond gas %d with 200 open jobs, %d with 5: it grows with the jobs", many, few)
	}
	l := s.ledger(prov)
	if _, err := s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: prov.String()}); err != nil {
		t.Fatal(err)
	}
	s.next(int(p.UnbondingBlocks) + 1)
	l.delta("provider after unbonding", prov, bond-40_000)
}

// TestAttackProtocolFeeChangedAfterCreation (issue 14, attack 11).
// Settlement used the protocol_fee_bps in force at settlement: a fee raised
// while a job ran took from the provider what the requester had agreed to
// pay it. Now the job keeps the fee in force when it was created: raised
// from 10% to 50% before settlement, the winner is still paid 90%.
func TestAttackProtocolFeeChangedAfterCreation(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	s.setParams(p) // protocol_fee_bps 1000
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, 1_000_000)
	l := s.ledger(req, prov)
	id := s.create(req, 10_000)
	s.win(prov, id, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	p.ProtocolFeeBps = 5_000
	s.setParams(p)
	for s.job(id).State != types.JobState_JOB_STATE_SETTLED {
		s.next(1)
	}
	l.delta("winner", prov, 9_000)
	l.delta("requester", req, -creationFee-10_000)
	l.delta("reward pool", poolAddr(), creationFee+1_000)
}

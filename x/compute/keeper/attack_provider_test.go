package keeper_test

import (
	"bytes"
	"sort"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// Attacks from the provider's and verification side. Each
// test fails on the current code because of the flaw it names.

// provSubmit has prov submit a result of the job's chunk count.
func (s *suite) provSubmit(prov sdk.AccAddress, id uint64) {
	s.t.Helper()
	_, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{
		Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: s.job(id).ExpectedChunkCount,
	})
	if err != nil {
		s.t.Fatalf("submit result: %v", err)
	}
	s.inv()
}

// provAbort has prov abort its ASSIGNED job.
func (s *suite) provAbort(prov sdk.AccAddress, id uint64) {
	s.t.Helper()
	_, err := s.ms.AbortJob(s.ta.Ctx, &types.MsgAbortJob{
		Provider: prov.String(), JobId: id, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE,
	})
	if err != nil {
		s.t.Fatalf("abort job: %v", err)
	}
	s.inv()
}

// provJob creates req's gemm job of maxPrice with an execution window
// of execBlocks.
func (s *suite) provJob(req sdk.AccAddress, maxPrice int64, execBlocks uint64) uint64 {
	s.t.Helper()
	m := s.createMsg(req, maxPrice)
	m.ExecBlocks = execBlocks
	res, err := s.ms.CreateJob(s.ta.Ctx, m)
	if err != nil {
		s.t.Fatalf("create job: %v", err)
	}
	s.inv()
	return res.JobId
}

// provWinAll has prov commit on every job of ids (all in their commit
// phase) at its max_price, reveal, and win them alone.
func (s *suite) provWinAll(prov sdk.AccAddress, ids ...uint64) {
	s.t.Helper()
	for _, id := range ids {
		s.commit(prov, id, s.job(id).MaxPrice.Amount.Int64())
	}
	for _, id := range ids {
		for s.height() <= s.job(id).CommitEnd {
			s.next(1)
		}
		if err := s.reveal(prov, id, s.job(id).MaxPrice.Amount.Int64()); err != nil {
			s.t.Fatal(err)
		}
	}
	for _, id := range ids {
		for s.job(id).State != types.JobState_JOB_STATE_ASSIGNED {
			s.next(1)
		}
	}
}

// TestAttackProviderDatasetOwnerClogsVerificationForTheFee: a dataset's
// owner runs the winning provider of an honest requester's mlp job over its
// dataset (TestAttackDatasetOwnerWinsAndTimesOut closed the timeout route).
// It computes the result but serves the sampled chunks to only part of the
// validators: a third of the power finds them unavailable (not more than
// 1/3: no WITHHELD), the rest that votes finds them valid, short of 2/3
// (one validator's sidecar is late, or a validator colluding with the owner
// abstains). The verification ends inconclusive: "the winner is paid
// nothing, so clogging verification never pays" (outcomes.go) — but the
// dataset fee, owed since the award, goes to the owner, and nothing is
// forfeited. The owner pockets the fee (less the market's cut) at no
// penalty; the honest requester loses the fee on top of its creation fee,
// uncompensated, and may never get the result.
func TestAttackProviderDatasetOwnerClogsVerificationForTheFee(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000 // the result is sampled
	s.setParams(p)
	req, owner := s.acc(0), s.acc(1)
	s.registerAny(owner, 1_000_000) // the owner's own provider
	w := s.bigFeeDataset(owner)
	l := s.ledger(req, owner)

	id := s.mlpJobWith(s.bigFeeJob(req, w, bigDatasetFee))
	s.win(owner, id, bigDatasetFee)
	s.provSubmit(owner, id)
	s.next(2)
	s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	// 10 of 30 UNAVAILABLE (not above 1/3), 19 VALID (below 2/3), 1 absent.
	s.verdicts(id, types.Verdict_VERDICT_UNAVAILABLE, 'a', 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 'A', 19)
	s.nextPast(id) // extended once
	s.nextPast(id)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_VERIFICATION_INCONCLUSIVE)

	mf := marketFee(bigDatasetFee)
	reqDelta := s.worth(req).Sub(l.before[req.String()]).Int64()
	ownerDelta := s.worth(owner).Sub(l.before[owner.String()]).Int64()
	bondDelta := s.provider(owner).Bond.Amount.Int64() - 1_000_000
	t.Logf("requester %d, owner's account %+d, owner's bond %+d (dataset fee %d, market cut %d)",
		reqDelta, ownerDelta, bondDelta, bigDatasetFee, mf)
	if gain := ownerDelta + bondDelta; gain > 0 {
		t.Fatalf("the dataset owner's provider clogged the verification and gained %d (the dataset fee %d less the market's cut %d), "+
			"forfeiting nothing; the honest requester is out %d (its creation fee %d and the dataset fee %d, uncompensated)",
			gain, bigDatasetFee, mf, -reqDelta, creationFee, bigDatasetFee)
	}
	if reqDelta < -creationFee {
		t.Fatalf("the honest requester of an inconclusive job lost %d, more than its creation fee %d", -reqDelta, creationFee)
	}
}

// TestAttackProviderJailsItselfMidCloseToVoidTheAuction: a close that
// spans several blocks (more commitments than close_batch_size, which the
// attacker can add with its own commitments) keeps the leader's
// commitment locked and releases every outranked one. A leader that is no
// longer ACTIVE when the last batch is handled makes the job expire
// (finishAuction): the runner-up, already released, does not win. The
// attacker bids lowest, becomes the leader in the first batch, and in the
// next block jails itself for the price of its third timeout in a row on
// cheap jobs of its own (an abort of a gemm job is a timeout at once). Its
// commitment on the target is then released whole. The auction is void:
// the honest bidders lose the job and the honest requester its creation
// fee, uncompensated — where winning and timing out would have cost the
// attacker the target's whole collateral and compensated the requester.
func TestAttackProviderJailsItselfMidCloseToVoidTheAuction(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.MinExecBlocks = 1
	s.setParams(p)
	honestReq, sybilReq := s.acc(0), s.acc(2)
	provs := []sdk.AccAddress{s.acc(1), s.acc(3), s.acc(4), s.acc(5)}
	// Commitments are closed in key order (the provider's address): the
	// attacker is the first, so that it leads after the first batch.
	sort.Slice(provs, func(i, j int) bool { return provs[i].String() < provs[j].String() })
	attacker, honest := provs[0], provs[1:]
	for _, a := range provs {
		s.register(a, 1_000_000)
	}

	// Staging: two timeouts in a row on cheap jobs of its own, and a third
	// job assigned, to abort when it wants to be jailed.
	al := s.ledger(attacker, sybilReq)
	var cheap []uint64
	for i := 0; i < 3; i++ {
		cheap = append(cheap, s.provJob(sybilReq, 1_000, 200))
	}
	s.provWinAll(attacker, cheap...)
	s.provAbort(attacker, cheap[0])
	s.provAbort(attacker, cheap[1])
	if pr := s.provider(attacker); pr.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
		t.Fatalf("attacker %s after two timeouts, want ACTIVE", pr.Status)
	}

	// The honest requester's job; four bids, close_batch_size 3.
	l := s.ledger(honestReq, honest[0], honest[1], honest[2])
	const maxPrice = 100_000
	target := s.provJob(honestReq, maxPrice, 50)
	s.commit(attacker, target, 1)
	for i, h := range honest {
		s.commit(h, target, int64(50_000+10_000*i))
	}
	for s.height() <= s.job(target).CommitEnd {
		s.next(1)
	}
	if err := s.reveal(attacker, target, 1); err != nil {
		t.Fatal(err)
	}
	for i, h := range honest {
		if err := s.reveal(h, target, int64(50_000+10_000*i)); err != nil {
			t.Fatal(err)
		}
	}
	for s.height() <= s.job(target).RevealEnd {
		s.next(1)
	}
	j := s.job(target)
	if j.State != types.JobState_JOB_STATE_REVEAL || j.Sweep.Leader != attacker.String() {
		t.Fatalf("after the first batch: %s, leader %s; want REVEAL led by the attacker", j.State, j.Sweep.Leader)
	}
	s.provAbort(attacker, cheap[2]) // third timeout in a row: jailed
	if pr := s.provider(attacker); pr.Status != types.ProviderStatus_PROVIDER_STATUS_JAILED {
		t.Fatalf("attacker %s after three timeouts, want JAILED", pr.Status)
	}
	s.next(1) // the last batch, and the end of the close

	j = s.job(target)
	attackerCost := -(s.bal(attacker).Sub(al.before[attacker.String()]).Int64() +
		s.bal(sybilReq).Sub(al.before[sybilReq.String()]).Int64() +
		s.provider(attacker).Bond.Amount.Int64() - 1_000_000)
	t.Logf("target: %s %s winner %q; attacker's total cost %d; the target's collateral %d",
		j.State, j.CloseReason, j.Winner, attackerCost, 2*maxPrice)
	if j.State == types.JobState_JOB_STATE_ASSIGNED {
		return // the auction stands (a winner that then times out forfeits the target's collateral)
	}
	reqDelta := s.worth(honestReq).Sub(l.before[honestReq.String()]).Int64()
	if reqDelta < 0 {
		t.Fatalf("the leader jailed itself mid-close for %d (three cheap timeouts): job %s/%s, the honest bids (50000..70000) lost, "+
			"the honest requester out %d uncompensated; winning and timing out would have cost the attacker %d",
			attackerCost, j.State, j.CloseReason, -reqDelta, 2*maxPrice)
	}
	if attackerCost < 2*maxPrice {
		t.Fatalf("voiding the auction cost the attacker %d, less than winning and timing out (%d)", attackerCost, 2*maxPrice)
	}
}

// TestAttackProviderSlashCapFreesCollateralForUnbackedBids: a fraud slash
// takes max(slash_fraction_fraud × bond, collateral), which can eat into the
// bond that backs the provider's other live won jobs; slashFraud then caps
// the provider's lock at the bond left (penalties.go), forgetting how much
// its live jobs still hold. Bond added later (MsgUpdateProvider add_bond, to
// unjail) shows up as free although the live jobs already need all of it,
// so the provider commits on a new job with collateral that nothing backs.
// When its jobs then time out, the last one's penalty (capped at the bond
// left) is zero: the honest requester of that job is refunded but not
// compensated its creation fee — the cover lock it was promised was never
// there.
func TestAttackProviderSlashCapFreesCollateralForUnbackedBids(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000
	p.MinExecBlocks = 1
	s.setParams(p)
	req, prov, honestReq := s.acc(0), s.acc(1), s.acc(2)
	const bond = 4_000_000
	s.register(prov, bond)

	a := s.provJob(req, 10_000, 200)    // lock 20,000
	c := s.provJob(req, 1_000_000, 200) // lock 2,000,000
	d := s.provJob(req, 800_000, 200)   // lock 1,600,000
	s.provWinAll(prov, a, c, d)
	s.bondOf(prov, bond, 3_620_000, 3)
	s.provSubmit(prov, a)
	s.next(2)
	s.wantState(a, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	s.verdicts(a, types.Verdict_VERDICT_INVALID, 'a', 11)
	s.wantState(a, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_FRAUD)
	// Slashed 2,000,000 (half the bond): C and D still hold 3,600,000.
	pr := s.provider(prov)
	t.Logf("after the fraud slash: bond %s, locked %s, obligations %d (C and D hold 3600000)", pr.Bond, pr.Locked, pr.Obligations)

	// Jail over, the provider adds exactly what C and D need beyond its bond.
	for s.height() < pr.JailedUntil {
		s.next(1)
	}
	_, err := s.ms.UpdateProvider(s.ta.Ctx, &types.MsgUpdateProvider{
		Operator: prov.String(), Moniker: "gpu", Endpoint: "http://127.0.0.1:8090", Hardware: gpuHW(), AddBond: ptr(coin(1_600_000)),
	})
	must(t, err)
	s.inv()
	pr = s.provider(prov)
	if pr.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
		t.Fatalf("provider %s after add_bond, want ACTIVE", pr.Status)
	}
	// Bond 3,600,000 against 3,600,000 held by C and D: nothing is free.
	l := s.ledger(honestReq)
	e := s.provJob(honestReq, 500_000, 200) // lock 1,000,000
	_, err = s.ms.CommitBid(s.ta.Ctx, &types.MsgCommitBid{
		Provider: prov.String(), JobId: e, Commitment: types.BidCommitment(e, prov.String(), coin(500_000), salt(prov)),
	})
	if types.ErrInsufficientCollateral.Is(err) {
		return // refused: the bond is fully committed
	}
	must(t, err)
	s.inv()
	t.Logf("commitment on E accepted: bond %s, locked %s, while C and D hold 3600000 and E 1000000", s.provider(prov).Bond, s.provider(prov).Locked)
	for s.height() <= s.job(e).CommitEnd {
		s.next(1)
	}
	must(t, s.reveal(prov, e, 500_000))
	for s.job(e).State != types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
	// The provider walks away from all three (a gemm abort is a timeout).
	for _, id := range []uint64{c, d, e} {
		s.provAbort(prov, id)
	}
	s.wantState(e, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	reqDelta := s.worth(honestReq).Sub(l.before[honestReq.String()]).Int64()
	t.Fatalf("a provider whose live jobs held its whole bond committed 1000000 of collateral on E; E timed out with bond %s left, "+
		"and E's honest requester is out %d (its creation fee, uncompensated)", s.provider(prov).Bond, -reqDelta)
}

// provSplitInputs registers a model of modelOwner (mlpInputs' model)
// and lists a dataset of dsOwner with a PER_JOB fee of bigDatasetFee; it
// returns the mlp workload over them.
func (s *suite) provSplitInputs(modelOwner, dsOwner sdk.AccAddress) types.WorkloadSpec {
	s.t.Helper()
	_, err := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper).RegisterModel(s.ta.Ctx, &mrtypes.MsgRegisterModel{
		Owner: modelOwner.String(), Name: "tiny", Version: "v1", Architecture: "mlp-f32",
		Sha256: string(bytes.Repeat([]byte("ab"), 32)), Uri: "https://models.example/tiny.safetensors",
		InputDim: 3, OutputDim: 2, License: "MIT",
		FeePerJob: sdk.NewCoins(coin(300)), FeePer1kRows: sdk.NewCoins(coin(1000)),
		Shares: []common.Share{{Address: modelOwner.String(), Weight: 1}},
	})
	must(s.t, err)
	s.postModelBond(modelOwner, modelBondStake)
	_, err = dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).ListDataset(s.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: dsOwner.String(), Name: "rows-dear", Format: "npy-f32", Rows: 40, Cols: 3, RowsPerChunk: 8,
		ContentRoot: bytes.Repeat([]byte{9}, 32), Sha256: string(bytes.Repeat([]byte("ce"), 32)), RowsSha256: string(bytes.Repeat([]byte("ce"), 32)),
		Uri:    "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(coin(bigDatasetFee))}},
	})
	must(s.t, err)
	s.inv()
	return types.WorkloadSpec{Kind: workload.KindMLP, Mlp: &types.MlpSpec{ModelId: 1, DatasetId: 1}, ChunkRows: 8}
}

// TestAttackProviderDatasetOwnerAbortsWithoutQuorumForTheFee: the same
// dataset owner running the winner, over a model it does not control and
// that stays up (not the README's "Not closed" case, where the owner takes
// the weights down). It aborts at once, having computed nothing. The
// inputs are there and the validators that check them in time say so, but
// short of 2/3 (19 of 30: one late sidecar, or a colluding validator below
// 1/3 abstaining): "no quorum by the end: the abort stands ... the requester
// loses only the creation fee" (abort.go). In fact the dataset fee, owed
// since the award, went to the owner, and the winner forfeited nothing: the
// owner gained the fee for no work, and the honest requester lost it. Now
// the owner keeps the fee and the winner, which aborted, forfeits as much
// of its collateral to the requester (endAbort → forfeitOwnerFees), as on
// an inconclusive verification: the owner is out the market's cut, the
// requester only its creation fee.
func TestAttackProviderDatasetOwnerAbortsWithoutQuorumForTheFee(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, owner, modelOwner := s.acc(0), s.acc(1), s.acc(3)
	s.registerAny(owner, 1_000_000)
	w := s.provSplitInputs(modelOwner, owner)
	l := s.ledger(req, owner)

	id := s.mlpJobWith(s.bigFeeJob(req, w, bigDatasetFee))
	s.win(owner, id, bigDatasetFee)
	s.provAbort(owner, id)
	s.wantState(id, types.JobState_JOB_STATE_ABORTING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	s.verdicts(id, types.Verdict_VERDICT_INPUTS_AVAILABLE, 'A', 19)
	s.nextPast(id)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)

	mf := marketFee(bigDatasetFee)
	reqDelta := s.worth(req).Sub(l.before[req.String()]).Int64()
	ownerDelta := s.worth(owner).Sub(l.before[owner.String()]).Int64()
	bondDelta := s.provider(owner).Bond.Amount.Int64() - 1_000_000
	t.Logf("requester %d, owner's account %+d, owner's bond %+d (dataset fee %d, market cut %d)",
		reqDelta, ownerDelta, bondDelta, bigDatasetFee, mf)
	if ownerDelta != bigDatasetFee-mf || bondDelta != -bigDatasetFee {
		t.Fatalf("the dataset owner gained %+d on its account and %+d on its bond, want the fee less the market's cut %+d and %+d",
			ownerDelta, bondDelta, bigDatasetFee-mf, -bigDatasetFee)
	}
	if gain := ownerDelta + bondDelta; gain > 0 {
		t.Fatalf("the dataset owner's provider aborted with available inputs and gained %d (the dataset fee %d less the market's cut %d), "+
			"forfeiting nothing; the honest requester is out %d (its creation fee %d and the dataset fee %d)",
			gain, bigDatasetFee, mf, -reqDelta, creationFee, bigDatasetFee)
	}
	if reqDelta != -creationFee {
		t.Fatalf("the honest requester of an aborted job lost %d, want its creation fee %d", -reqDelta, creationFee)
	}
}

package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackParamsCompensationCutUnderRunningJob: a job's terms are those it
// was created under (it keeps protocol_fee_bps and its creation fee for that
// reason: TestAttackProtocolFeeChangedAfterCreation), and so are the
// requester's compensation and the winner's penalty: forfeitCollateral read
// requester_compensation_bps (and slash_fraction_timeout) from the params in
// force when the deadline passed, so a governance majority (or a careless
// one) that set requester_compensation_bps to 0 while a job was ASSIGNED let
// its winner time out and left the honest requester short of the 1,000
// creation fee the terms at creation compensated in full
// (TestAttackTimeoutGriefing: requester delta 0). The job's terms
// (JobParamTerms) now decide it.
func TestAttackParamsCompensationCutUnderRunningJob(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov := s.acc(0), s.acc(1)
	const bond = 1_000_000
	s.register(prov, bond)

	l := s.ledger(req, prov)
	id := s.create(req, 10_000) // collateral 2 × 10000, creation fee 1000
	s.win(prov, id, 10_000)
	s.bondOf(prov, bond, 20_000, 1)

	// Governance changes the compensation while the job runs.
	p := s.params()
	p.RequesterCompensationBps = 0
	s.setParams(p)

	for s.height() <= s.job(id).ExecDeadline {
		s.next(1)
	}
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	// Under the terms the job was created under, the requester gets its
	// 1000 creation fee back as compensation and ends where it started.
	l.delta("requester (terms at creation compensate the creation fee)", req, 0)
}

// TestAttackParamsTimeoutSlashZeroedUnderRunningJob: the same with
// slash_fraction_timeout. The winner committed under a 100% forfeit of its
// 20,000 collateral; governance sets slash_fraction_timeout to 0 while the
// job is ASSIGNED, and the winner timed out for free: it kept all 20,000 and
// the requester lost its 1,000 creation fee. Under the job's terms it
// forfeits the collateral it committed under.
func TestAttackParamsTimeoutSlashZeroedUnderRunningJob(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov := s.acc(0), s.acc(1)
	const bond = 1_000_000
	s.register(prov, bond)

	l := s.ledger(req, prov)
	id := s.create(req, 10_000)
	s.win(prov, id, 10_000)

	p := s.params()
	p.SlashFractionTimeout = 0
	s.setParams(p)

	for s.height() <= s.job(id).ExecDeadline {
		s.next(1)
	}
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	l.delta("requester (terms at creation compensate the creation fee)", req, 0)
	s.bondOf(prov, bond-20_000, 0, 0) // the collateral it committed under
}

// TestAttackParamsChunkLimitShrunkUnderVerifyingJob: max_chunk_bytes is an
// admission term (AdmitJob held the job's chunks to it), but
// PendingVerifications handed every sidecar the max_chunk_bytes in force at
// the query, and the sidecar refuses any chunk larger than that
// (sidecar/verifier.go chunkLimit). A governance change that lowered
// max_chunk_bytes to its floor (1 KiB) while a job admitted with 2 KiB chunks
// was VERIFYING made every sidecar find the honest winner's chunks too large
// — UNAVAILABLE — and the winner forfeited its whole collateral as a
// withholder. The sidecars are now given the bound of the job's terms.
func TestAttackParamsChunkLimitShrunkUnderVerifyingJob(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000 // every result is verified
	s.setParams(p)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	// gemm 64×32×16 in chunks of 16 rows: each output chunk is 16 × 32 × 4 = 2048 bytes.
	const chunkBytes = 16 * 32 * 4
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	if j := s.job(id); j.State != types.JobState_JOB_STATE_VERIFYING {
		t.Fatalf("job %s, want VERIFYING", j.State)
	}

	p = s.params()
	p.MaxChunkBytes = types.MinChunkBytesLimit // 1024: valid params
	s.setParams(p)

	pv, err := s.q.PendingVerifications(s.ta.Ctx, &types.QueryPendingVerificationsRequest{})
	if err != nil || len(pv.Pending) != 1 {
		t.Fatalf("pending verifications %+v, %v", pv, err)
	}
	if got := pv.Pending[0].MaxChunkBytes; got < chunkBytes {
		t.Fatalf("sidecars are told max_chunk_bytes %d for job %d admitted with %d-byte chunks: every honest chunk is refused as too large (UNAVAILABLE, the winner's collateral forfeited)",
			got, id, chunkBytes)
	}
}

// TestAttackGenesisProviderLockBelowItsJobs: genesis Validate checked each
// provider's obligation counter against its commitments and live won jobs
// (validateObligations) but not its locked amount. A genesis whose winner of
// an ASSIGNED job (20,000 locked as its collateral) was imported with locked
// 0 validated and imported: the bond that backs the job was free again, so the
// provider can commit it to other jobs (or a slash owed is collected from it)
// while the requester's timeout compensation rests on it — the invariant
// "locked = what its commitments and won jobs hold" broken from block one.
func TestAttackGenesisProviderLockBelowItsJobs(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, 1_000_000)
	id := s.create(req, 10_000)
	s.win(prov, id, 10_000)
	s.bondOf(prov, 1_000_000, 20_000, 1)

	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range gs.Providers {
		if gs.Providers[i].Address == prov.String() {
			gs.Providers[i].Locked = coin(0)
		}
	}
	if err := gs.Validate(); err == nil {
		t.Fatalf("a genesis whose provider locks 0 while its ASSIGNED job %d holds 20000 of collateral validates", id)
	}
}

// TestAttackParamsMarketFeeRaisedUnderRunningJob: a job snapshots its
// dataset fee, its shares and its protocol_fee_bps at creation ("the fee/share
// snapshots ... settlement uses it, whatever the params say by then"), but
// x/datamarket took market_fee_bps from the params in force when the job
// closed (PayDatasetFee). A governance change to market_fee_bps = 100%
// between the award and the settlement took the whole 700 dataset fee of a
// job already running from its honest owner, who priced the dataset under a
// 2.5% cut (683 to the owner). The job now records the cut at creation and
// pays under it (PayDatasetFeeAt, ChargeJobDatasetFeeAt).
func TestAttackParamsMarketFeeRaisedUnderRunningJob(t *testing.T) {
	s := newSuite(t)
	req, prov, owner := s.acc(0), s.acc(1), s.acc(3)
	s.registerAny(prov, 1_000_000)
	w := s.mlpInputsPriced(owner, nil, nil, datasetFee) // free model: only the dataset fee moves
	id := s.freeModelMLPJob(req, w, 10_000)
	s.win(prov, id, 10_000)
	l := s.ledger(owner)

	dp, err := s.ta.DataMarketKeeper.GetParams(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	dp.MarketFeeBps = 10_000
	if _, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).UpdateParams(s.ta.Ctx, &dmtypes.MsgUpdateParams{
		Authority: authtypes.NewModuleAddress(govtypes.ModuleName).String(), Params: dp,
	}); err != nil {
		t.Fatal(err)
	}

	s.settleHonestly(prov, id)
	l.delta("dataset owner (the 2.5% market fee in force when the job was created)", owner, datasetFee-marketFee(datasetFee))
}

// freeModelMLPJob is mlpJob for a free model (no model fee cap needed).
func (s *suite) freeModelMLPJob(req sdk.AccAddress, w types.WorkloadSpec, maxPrice int64) uint64 {
	s.t.Helper()
	m := s.createMsg(req, maxPrice)
	m.Workload = w
	m.MaxDatasetFee = sdk.NewCoins(coin(datasetFee))
	res, err := s.ms.CreateJob(s.ta.Ctx, m)
	if err != nil {
		s.t.Fatalf("create mlp job: %v", err)
	}
	s.inv()
	return res.JobId
}

// TestAttackParamsPlatformFeeRaisedUnderRunningJob: the same for the model
// fee. The job snapshots the model's fee (340) and shares at creation, but
// x/modelregistry took platform_fee_bps from the params in force when the job
// settled (PayModelFee). Raised to 100% while the job ran, it took the model
// owner's whole fee: the owner, who priced the model under a 5% cut, got 683
// (the dataset fee) instead of 683 + 323. The job's recorded cut is paid
// under now (PayModelFeeAt).
func TestAttackParamsPlatformFeeRaisedUnderRunningJob(t *testing.T) {
	s := newSuite(t)
	req, prov, owner := s.acc(0), s.acc(1), s.acc(3)
	s.registerAny(prov, 1_000_000)
	w := s.mlpInputs(owner)
	id := s.mlpJob(req, w, 10_000)
	s.win(prov, id, 10_000)
	l := s.ledger(owner)

	mp, err := s.ta.ModelRegistryKeeper.Params.Get(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	mp.PlatformFeeBps = 10_000
	if _, err := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper).UpdateParams(s.ta.Ctx, &mrtypes.MsgUpdateParams{
		Authority: authtypes.NewModuleAddress(govtypes.ModuleName).String(), Params: mp,
	}); err != nil {
		t.Fatal(err)
	}

	s.settleHonestly(prov, id)
	platform := int64(modelFee) * int64(mrtypes.DefaultPlatformFeeBps) / 10_000
	l.delta("model and dataset owner (the 5% platform fee in force when the job was created)", owner,
		datasetFee-marketFee(datasetFee)+modelFee-platform)
}

// TestAttackParamsWorkLimitShrunkBarsDispute: a job admitted under
// max_work_per_exec_block 1e9 has its result in the challenge window; a
// governance change lowered max_work_per_exec_block (to 1: valid params) and
// AdmitDispute, which read the params in force at the dispute, refused the
// requester's dispute of its whole sample (ErrDisputeTooLarge): the one
// remedy the requester paid for at creation was gone, and a wrong result
// settled and was paid. A dispute is now admitted under the job's terms.
func TestAttackParamsWorkLimitShrunkBarsDispute(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2) // the draw: not sampled (floor 0), in its challenge window
	if j := s.job(id); j.State != types.JobState_JOB_STATE_SUBMITTED || !j.Sample.Decided || s.height() > j.ChallengeEnd {
		t.Fatalf("job %s decided=%t at %d (challenge end %d)", j.State, j.Sample.Decided, s.height(), j.ChallengeEnd)
	}
	// The same dispute is admitted under the job's terms.
	if err := s.params().AdmitDispute(s.job(id).MulAdds, 4, uint64(s.params().SamplesPerJob), 0); err != nil {
		t.Fatalf("the dispute is not admitted even under the creation params: %v", err)
	}

	p := s.params()
	p.MaxWorkPerExecBlock = 1
	s.setParams(p)

	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id}); err != nil {
		t.Fatalf("the requester's dispute of a job admitted under max_work_per_exec_block 1e9 is refused after the params change: %v", err)
	}
}

// TestAttackParamsSampleFloorCutBeforeDraw: a requester creates its job
// under sample_rate_floor_bps 100% (every result is verified); its winner
// submits, and a governance change sets the floor to 0 before the draw
// (the next block). decideSample read the floor in force at the draw, and
// the result was not verified at all: the check the job was created under
// was gone, and a fraudulent winner was paid unchecked. The draw now runs
// under the job's terms.
func TestAttackParamsSampleFloorCutBeforeDraw(t *testing.T) {
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
	p = s.params()
	p.SampleRateFloorBps = 0
	s.setParams(p)
	s.next(2) // the draw
	if j := s.job(id); !j.Sample.Selected || j.State != types.JobState_JOB_STATE_VERIFYING {
		t.Fatalf("job created under a 100%% sample floor: %s, selected %t — its result goes unverified", j.State, j.Sample.Selected)
	}
}

package keeper_test

import (
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/aichain/aichain/workload"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

const denom = "uaic"

type suite struct {
	t  *testing.T
	ta *apptesting.TestApp
	k  keeper.Keeper
	ms types.MsgServer
	q  types.QueryServer

	// set is the fake validator set the test's verdicts came from: each
	// consensus address at its latest power, in the order first seen.
	set []types.ValidatorVerdicts
}

// applyVerdicts hands the keeper one block's verdicts as the PreBlocker
// does: every validator of the commit's set, the ones that vote in this
// block with their verdicts, the others (the fake set's validators seen in
// earlier blocks, at their latest power) with none. A validator's power is
// the one of its latest entry.
func (s *suite) applyVerdicts(total int64, votes []types.ValidatorVerdicts) error {
	s.t.Helper()
	out := append([]types.ValidatorVerdicts(nil), votes...)
	for _, v := range votes {
		found := false
		for i := range s.set {
			if string(s.set[i].ConsAddress) == string(v.ConsAddress) {
				s.set[i].Power, found = v.Power, true
			}
		}
		if !found {
			s.set = append(s.set, types.ValidatorVerdicts{ConsAddress: v.ConsAddress, Power: v.Power})
		}
	}
	for _, m := range s.set {
		in := false
		for _, v := range votes {
			in = in || string(v.ConsAddress) == string(m.ConsAddress)
		}
		if !in {
			out = append(out, m)
		}
	}
	return s.k.ApplyVerdicts(s.ta.Ctx, total, out)
}

func coin(n int64) sdk.Coin { return sdk.NewCoin(denom, math.NewInt(n)) }

// testParams: short windows, small bonds, collateral = max(1000, 2 × max_price),
// no creation fee (the attack tests set one).
func testParams() types.Params {
	p := types.DefaultParams()
	p.MinProviderBond = coin(1_000_000)
	p.BidDeposit = coin(1_000)
	p.CollateralRatioBps = 20_000
	p.MinCommitBlocks, p.MinRevealBlocks = 1, 1
	p.ChallengeBlocks, p.VerificationBlocks = 3, 3
	p.JailBlocks = 10
	p.UnbondingBlocks = 2
	p.DisputeFee = coin(500)
	p.SampleRateFloorBps = 0
	p.ProtocolFeeBps = 1_000
	p.SlashFractionFraud = 5_000
	p.SlashFractionTimeout = 10_000 // the whole collateral
	p.RequesterCompensationBps = 5_000
	p.CloseBatchSize = 3
	p.MinExecBlocks = 1
	p.JobCreationFee = coin(0)
	return p
}

func newSuite(t *testing.T) *suite {
	t.Helper()
	ta := apptesting.Setup(t, 6)
	s := &suite{t: t, ta: ta, k: ta.ComputeKeeper}
	s.ms = keeper.NewMsgServerImpl(s.k)
	s.q = keeper.NewQueryServerImpl(s.k)
	s.setParams(testParams())
	s.inv()
	return s
}

func (s *suite) setParams(p types.Params) {
	s.t.Helper()
	_, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{
		Authority: authtypes.NewModuleAddress(govtypes.ModuleName).String(), Params: p,
	})
	if err != nil {
		s.t.Fatalf("update params: %v", err)
	}
}

func (s *suite) params() types.Params {
	p, err := s.k.Params.Get(s.ta.Ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

// inv asserts the module's invariants.
func (s *suite) inv() {
	s.t.Helper()
	if err := s.k.CheckInvariants(s.ta.Ctx); err != nil {
		s.t.Fatalf("invariant: %v", err)
	}
}

// next finalizes n blocks, checking the invariants after each.
func (s *suite) next(n int) {
	s.t.Helper()
	for i := 0; i < n; i++ {
		s.ta.NextBlock()
		s.inv()
	}
}

func (s *suite) height() int64 { return s.ta.Ctx.BlockHeight() }

func (s *suite) acc(i int) sdk.AccAddress { return s.ta.Accounts[i].Address }

func (s *suite) bal(a sdk.AccAddress) math.Int { return s.ta.Balance(a, denom) }

func (s *suite) poolBal() math.Int {
	return s.bal(authtypes.NewModuleAddress(common.RewardPoolName))
}

func (s *suite) moduleBal() math.Int {
	return s.bal(authtypes.NewModuleAddress(types.ModuleName))
}

func gpuHW() types.Hardware {
	return types.Hardware{GpuModel: "A100", GpuCount: 2, VramGib: 80, Workloads: []string{workload.KindGemm}}
}

func (s *suite) register(a sdk.AccAddress, bond int64) {
	s.t.Helper()
	_, err := s.ms.RegisterProvider(s.ta.Ctx, &types.MsgRegisterProvider{
		Operator: a.String(), Moniker: "gpu", Endpoint: "http://127.0.0.1:8090", Hardware: gpuHW(), Bond: coin(bond),
	})
	if err != nil {
		s.t.Fatalf("register provider: %v", err)
	}
	s.inv()
}

func gemm() types.WorkloadSpec {
	return types.WorkloadSpec{Kind: workload.KindGemm, Gemm: &types.GemmSpec{M: 64, N: 32, K: 16, Seed: 7}, ChunkRows: 16}
}

func (s *suite) createMsg(req sdk.AccAddress, maxPrice int64) *types.MsgCreateJob {
	return &types.MsgCreateJob{
		Requester: req.String(), Workload: gemm(), MaxPrice: coin(maxPrice),
		CommitBlocks: 2, RevealBlocks: 2, ExecBlocks: 3,
	}
}

func (s *suite) create(req sdk.AccAddress, maxPrice int64) uint64 {
	s.t.Helper()
	res, err := s.ms.CreateJob(s.ta.Ctx, s.createMsg(req, maxPrice))
	if err != nil {
		s.t.Fatalf("create job: %v", err)
	}
	s.inv()
	return res.JobId
}

func salt(a sdk.AccAddress) []byte { h := sha256.Sum256(a); return h[:types.MinSaltLen] }

func (s *suite) commit(p sdk.AccAddress, job uint64, price int64) {
	s.t.Helper()
	_, err := s.ms.CommitBid(s.ta.Ctx, &types.MsgCommitBid{
		Provider: p.String(), JobId: job, Commitment: types.BidCommitment(job, p.String(), coin(price), salt(p)),
	})
	if err != nil {
		s.t.Fatalf("commit bid: %v", err)
	}
	s.inv()
}

func (s *suite) reveal(p sdk.AccAddress, job uint64, price int64) error {
	_, err := s.ms.RevealBid(s.ta.Ctx, &types.MsgRevealBid{Provider: p.String(), JobId: job, Price: coin(price), Salt: salt(p)})
	return err
}

func (s *suite) job(id uint64) types.Job {
	s.t.Helper()
	j, err := s.k.GetJob(s.ta.Ctx, id)
	if err != nil {
		s.t.Fatal(err)
	}
	return j
}

// counted is a job's counted verdicts as the Job query shows them.
func (s *suite) counted(id uint64) []types.CountedVerdict {
	s.t.Helper()
	c, err := s.k.CountedOf(s.ta.Ctx, id)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

func (s *suite) provider(a sdk.AccAddress) types.Provider {
	s.t.Helper()
	p, err := s.k.GetProvider(s.ta.Ctx, a.String())
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

// slashedNow gives a's record a fraud slash at the current height (jail
// served), as recordFraud leaves it, and returns the record.
func (s *suite) slashedNow(a sdk.AccAddress) types.Provider {
	s.t.Helper()
	pr := s.provider(a)
	pr.Stats.LastSlashHeight = s.height()
	pr.Stats.Failed, pr.Stats.Slashed = 1, 1
	if err := s.k.Providers.Set(s.ta.Ctx, pr.Address, pr); err != nil {
		s.t.Fatal(err)
	}
	return pr
}

func (s *suite) wantState(id uint64, st types.JobState, reason types.CloseReason) {
	s.t.Helper()
	j := s.job(id)
	if j.State != st || j.CloseReason != reason {
		s.t.Fatalf("job %d: state %s reason %s, want %s %s", id, j.State, j.CloseReason, st, reason)
	}
}

// runToTimeout advances blocks while job id is ASSIGNED (its winner never
// submits) and checks that it then expired on its execution deadline.
func (s *suite) runToTimeout(id uint64) {
	s.t.Helper()
	for s.job(id).State == types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

// snapshot captures balances and the module's exported state, to prove that
// a failed Msg changed nothing.
type snapshot struct {
	bals  []math.Int
	state string
}

func (s *suite) snap(accs ...sdk.AccAddress) snapshot {
	s.t.Helper()
	sn := snapshot{}
	for _, a := range append(accs, authtypes.NewModuleAddress(types.ModuleName), authtypes.NewModuleAddress(common.RewardPoolName)) {
		sn.bals = append(sn.bals, s.bal(a))
	}
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	sn.state = gs.String()
	return sn
}

func (s *suite) unchanged(before snapshot, accs ...sdk.AccAddress) {
	s.t.Helper()
	after := s.snap(accs...)
	for i := range before.bals {
		if !before.bals[i].Equal(after.bals[i]) {
			s.t.Fatalf("balance %d changed: %s -> %s", i, before.bals[i], after.bals[i])
		}
	}
	if before.state != after.state {
		s.t.Fatalf("module state changed:\nbefore %s\nafter  %s", before.state, after.state)
	}
	s.inv()
}

// runAuction creates a job, has providers p1 and p2 commit and reveal, and
// closes the auction: p1 wins at p2's price.
func (s *suite) runAuction(req, p1, p2 sdk.AccAddress, price1, price2, maxPrice int64) uint64 {
	s.t.Helper()
	id := s.create(req, maxPrice)
	s.commit(p1, id, price1)
	s.commit(p2, id, price2)
	s.next(3) // past commit_end (h+2): REVEAL
	if err := s.reveal(p1, id, price1); err != nil {
		s.t.Fatal(err)
	}
	if err := s.reveal(p2, id, price2); err != nil {
		s.t.Fatal(err)
	}
	s.next(2) // past reveal_end: ASSIGNED
	s.wantState(id, types.JobState_JOB_STATE_ASSIGNED, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	return id
}

var root32 = func() []byte { h := sha256.Sum256([]byte("output")); return h[:] }()

// revealAndConvict reveals p1's 2,000 and p2's 5,000 bids on job b (in
// REVEAL), then has 11 of 30 power find job a, won by p1, INVALID; it checks
// that a failed as fraud and that p1, under a 100% fraud slash, has nothing
// bonded or locked left.
func (s *suite) revealAndConvict(a, b uint64, p1, p2 sdk.AccAddress) {
	s.t.Helper()
	if err := s.reveal(p1, b, 2_000); err != nil {
		s.t.Fatal(err)
	}
	if err := s.reveal(p2, b, 5_000); err != nil {
		s.t.Fatal(err)
	}
	if err := s.applyVerdicts(30, []types.ValidatorVerdicts{{ConsAddress: []byte("v"), Power: 11,
		Verdicts: []types.JobVerdict{{JobId: a, Verdict: types.Verdict_VERDICT_INVALID}}}}); err != nil {
		s.t.Fatal(err)
	}
	s.inv()
	s.wantState(a, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_FRAUD)
	// The whole bond is slashed: what p1's live commitment and jobs lock
	// stays locked for them, and as much is owed.
	if pr := s.provider(p1); !pr.Bond.IsEqual(pr.Locked) || !pr.SlashOwed.IsEqual(pr.Bond) || !pr.Bond.IsPositive() {
		s.t.Fatalf("p1 after a 100%% slash: bond %s locked %s owed %s, want the locks kept and as much owed", pr.Bond, pr.Locked, pr.SlashOwed)
	}
}

// ptr is a pointer to a copy of v (a nullable message field).
func ptr[T any](v T) *T { return &v }

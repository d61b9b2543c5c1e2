package keeper_test

import (
	"bytes"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// The attack suite (issue 14): one test per attack, named after it. Each
// asserts balances to the coin — the attacker ends with less than it
// started or gains nothing, the honest party loses nothing — and the
// module's invariants after every step (s.inv after each Msg, s.next after
// each block).

// creationFee is the job_creation_fee of the attack tests.
const creationFee = 1_000

// attackParams are the test params with a creation fee and a minimum
// execution window.
func attackParams() types.Params {
	p := testParams()
	p.JobCreationFee = coin(creationFee)
	p.MinExecBlocks = 3
	return p
}

// ledger remembers balances and the verification fees burned (the stats;
// the supply moves with inflation every block), to assert each account's
// change, and the burn, to the coin.
type ledger struct {
	s      *suite
	before map[string]math.Int
	burnt  math.Int
}

func (s *suite) ledger(accs ...sdk.AccAddress) ledger {
	l := ledger{s: s, before: map[string]math.Int{}, burnt: s.feesBurned()}
	for _, a := range append(accs, moduleAddr(), poolAddr()) {
		l.before[a.String()] = s.worth(a)
	}
	return l
}

// worth is a's balance plus its model availability bond (model_bond.go):
// coins the module holds for it, which posting does not spend. The module
// account's worth is its balance less every model bond: what it holds for
// jobs and providers.
func (s *suite) worth(a sdk.AccAddress) math.Int {
	s.t.Helper()
	if a.Equals(moduleAddr()) {
		held := s.bal(a)
		err := s.k.ModelBonds.Walk(s.ta.Ctx, nil, func(_ sdk.AccAddress, b types.ModelBond) (bool, error) {
			held = held.Sub(b.Bonded.AmountOf(denom))
			return false, nil
		})
		if err != nil {
			s.t.Fatal(err)
		}
		return held
	}
	b, err := s.k.ModelBonds.Get(s.ta.Ctx, a)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		s.t.Fatal(err)
	}
	return s.bal(a).Add(b.Bonded.AmountOf(denom))
}

// delta asserts that a's worth (balance and model bond) changed by exactly
// want since the ledger was taken.
func (l ledger) delta(what string, a sdk.AccAddress, want int64) {
	l.s.t.Helper()
	if got := l.s.worth(a).Sub(l.before[a.String()]); !got.Equal(math.NewInt(want)) {
		l.s.t.Fatalf("%s: balance changed by %s, want %d", what, got, want)
	}
}

// burned asserts that exactly want of verification fees was burned since
// the ledger was taken.
func (l ledger) burned(want int64) {
	l.s.t.Helper()
	if got := l.s.feesBurned().Sub(l.burnt); !got.Equal(math.NewInt(want)) {
		l.s.t.Fatalf("verification fees burned: %s, want %d", got, want)
	}
}

func (s *suite) feesBurned() math.Int {
	s.t.Helper()
	st, err := s.k.Stats.Get(s.ta.Ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		s.t.Fatal(err)
	}
	return st.VerificationFeesBurned.AmountOf(denom)
}

func moduleAddr() sdk.AccAddress { return authtypes.NewModuleAddress(types.ModuleName) }

func poolAddr() sdk.AccAddress { return authtypes.NewModuleAddress(common.RewardPoolName) }

// bondOf asserts a provider's bond, lock and obligation count.
func (s *suite) bondOf(a sdk.AccAddress, bond, locked int64, obligations uint64) {
	s.t.Helper()
	p := s.provider(a)
	if !p.Bond.IsEqual(coin(bond)) || !p.Locked.IsEqual(coin(locked)) || p.Obligations != obligations {
		s.t.Fatalf("provider %s: bond %s locked %s obligations %d, want %d / %d / %d",
			a, p.Bond, p.Locked, p.Obligations, bond, locked, obligations)
	}
}

// registerAny registers a as a provider of every workload kind (gemm and mlp).
func (s *suite) registerAny(a sdk.AccAddress, bond int64) {
	s.t.Helper()
	hw := gpuHW()
	hw.Workloads = nil
	_, err := s.ms.RegisterProvider(s.ta.Ctx, &types.MsgRegisterProvider{
		Operator: a.String(), Moniker: "any", Endpoint: "http://127.0.0.1:8090", Hardware: hw, Bond: coin(bond),
	})
	if err != nil {
		s.t.Fatalf("register provider: %v", err)
	}
	s.inv()
}

// win has p commit price on job id and, once revealed alone, win it at
// max_price; it returns once the job is ASSIGNED.
func (s *suite) win(p sdk.AccAddress, id uint64, price int64) {
	s.t.Helper()
	s.commit(p, id, price)
	for s.height() <= s.job(id).CommitEnd {
		s.next(1)
	}
	if err := s.reveal(p, id, price); err != nil {
		s.t.Fatal(err)
	}
	for s.job(id).State != types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
}

// mlpFees are the model and dataset fees of the inputs mlpInputs lists.
const (
	modelFee   = 300 + 40 // fee_per_job + 1000 per 1k rows × 40 rows
	datasetFee = 700
)

// mlpInputs registers a model (owner) and lists a dataset (owner, with a
// PER_JOB offer) that an mlp job can run on, and returns the workload.
func (s *suite) mlpInputs(owner sdk.AccAddress) types.WorkloadSpec {
	s.t.Helper()
	return s.mlpInputsPriced(owner, sdk.NewCoins(coin(300)), sdk.NewCoins(coin(1000)), datasetFee)
}

// mlpInputsPriced is mlpInputs with the model's fees per job and per 1,000
// rows (nil: free) and the dataset's PER_JOB fee.
func (s *suite) mlpInputsPriced(owner sdk.AccAddress, perJob, per1kRows sdk.Coins, dsFee int64) types.WorkloadSpec {
	s.t.Helper()
	m, err := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper).RegisterModel(s.ta.Ctx, &mrtypes.MsgRegisterModel{
		Owner: owner.String(), Name: "tiny", Version: "v1", Architecture: "mlp-f32",
		Sha256: string(bytes.Repeat([]byte("ab"), 32)), Uri: "https://models.example/tiny.safetensors",
		InputDim: 3, OutputDim: 2, License: "MIT",
		FeePerJob: perJob, FeePer1kRows: per1kRows,
		Shares: []common.Share{{Address: owner.String(), Weight: 1}},
	})
	if err != nil {
		s.t.Fatalf("register model: %v", err)
	}
	d, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).ListDataset(s.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: owner.String(), Name: "rows", Format: "npy-f32", Rows: 40, Cols: 3, RowsPerChunk: 8,
		ContentRoot: bytes.Repeat([]byte{7}, 32), Sha256: string(bytes.Repeat([]byte("cd"), 32)), RowsSha256: string(bytes.Repeat([]byte("cd"), 32)),
		Uri:    "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(coin(dsFee))}},
	})
	if err != nil {
		s.t.Fatalf("list dataset: %v", err)
	}
	// The owner vouches for its model's weights with a bond that covers
	// the dataset fee of every job the test creates on it (model_bond.go).
	s.postModelBond(owner, modelBondStake)
	return types.WorkloadSpec{Kind: workload.KindMLP, Mlp: &types.MlpSpec{ModelId: m.ModelId, DatasetId: d.DatasetId}, ChunkRows: 8}
}

// modelBondStake is the model availability bond mlpInputs posts.
const modelBondStake = 1_000_000_000

// mlpJob creates req's mlp job over the inputs of mlpInputs with the fee caps
// it needs, and returns its id.
func (s *suite) mlpJob(req sdk.AccAddress, w types.WorkloadSpec, maxPrice int64) uint64 {
	s.t.Helper()
	m := s.createMsg(req, maxPrice)
	m.Workload = w
	m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(modelFee)), sdk.NewCoins(coin(datasetFee))
	res, err := s.ms.CreateJob(s.ta.Ctx, m)
	if err != nil {
		s.t.Fatalf("create mlp job: %v", err)
	}
	s.inv()
	return res.JobId
}

// verdicts has validators from, from+1, … of the given powers (out of a
// total of 30) vote v on a job.
func (s *suite) verdicts(id uint64, v types.Verdict, from byte, powers ...int64) {
	s.t.Helper()
	var votes []types.ValidatorVerdicts
	for i, p := range powers {
		votes = append(votes, types.ValidatorVerdicts{ConsAddress: []byte{from + byte(i)}, Power: p,
			Verdicts: []types.JobVerdict{{JobId: id, Verdict: v}}})
	}
	if err := s.applyVerdicts(30, votes); err != nil {
		s.t.Fatal(err)
	}
	s.inv()
}

func collectionsKey(id uint64, provider string) collections.Pair[uint64, string] {
	return collections.Join(id, provider)
}

// marketFee is x/datamarket's cut of a dataset fee at its default params.
func marketFee(amount int64) int64 {
	return amount * int64(dmtypes.DefaultParams().MarketFeeBps) / 10_000
}

// submitted registers a provider, lets it win a job of req and submits a
// 4-chunk result: the job under verification, and its provider.
func (s *suite) submitted(req, prov sdk.AccAddress) uint64 {
	s.t.Helper()
	s.register(prov, verifyBond)
	id := s.create(req, verifyPrice)
	s.win(prov, id, verifyPrice)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		s.t.Fatal(err)
	}
	return id
}

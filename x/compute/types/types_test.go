package types_test

import (
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/aichain/aichain/workload"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
)

func init() {
	cfg := sdk.GetConfig()
	cfg.SetBech32PrefixForAccount("aic", "aicpub")
}

// TestBidCommitmentVector pins the commitment encoding:
// SHA-256(uint64be(7) ‖ "aic1provider" ‖ "1500uaic" ‖ 0x0a0b0c).
func TestBidCommitmentVector(t *testing.T) {
	got := hex.EncodeToString(types.BidCommitment(7, "aic1provider", sdk.NewCoin("uaic", math.NewInt(1500)), []byte{0x0a, 0x0b, 0x0c}))
	const want = "87744cbd44643a124ce69e35adf37f182d1373d6ca514d253784aa7a35e9c3b2" // checked with Python hashlib
	if got != want {
		t.Fatalf("commitment %s, want %s", got, want)
	}
	if hex.EncodeToString(types.BidCommitment(8, "aic1provider", sdk.NewCoin("uaic", math.NewInt(1500)), []byte{0x0a, 0x0b, 0x0c})) == want {
		t.Fatal("the job id does not change the commitment")
	}
}

func TestParamsValidate(t *testing.T) {
	if err := types.DefaultParams().Validate(); err != nil {
		t.Fatalf("default params: %v", err)
	}
	for name, f := range map[string]func(p *types.Params){
		"fee > 100%":       func(p *types.Params) { p.ProtocolFeeBps = 10_001 },
		"no samples":       func(p *types.Params) { p.SamplesPerJob = 0 },
		"min > max commit": func(p *types.Params) { p.MinCommitBlocks = 2_000 },
		"zero bond":        func(p *types.Params) { p.MinProviderBond = sdk.NewCoin("uaic", math.ZeroInt()) },
		"deposit denom":    func(p *types.Params) { p.BidDeposit = sdk.NewCoin("other", math.NewInt(1)) },
		"no close batch":   func(p *types.Params) { p.CloseBatchSize = 0 },
		"grace > window":   func(p *types.Params) { p.VerdictGraceBlocks = p.VerificationBlocks + 1 },
		"zero chunks":      func(p *types.Params) { p.MaxChunkCount = 0 },
		"zero cap":         func(p *types.Params) { p.MaxQueueItemsPerBlock = 0 },
		"slash > 100%":     func(p *types.Params) { p.SlashFractionFraud = 10_001 },
		"no denoms":        func(p *types.Params) { p.AllowedDenoms = nil },
		"bad denom":        func(p *types.Params) { p.AllowedDenoms = []string{"uaic", "1bad"} },
		"duplicate denom":  func(p *types.Params) { p.AllowedDenoms = []string{"uaic", "ibc/AB", "ibc/AB"} },
		"no bond denom":    func(p *types.Params) { p.AllowedDenoms = []string{"ibc/AB"} },
	} {
		p := types.DefaultParams()
		f(&p)
		if err := p.Validate(); !errors.Is(err, types.ErrInvalidParams) {
			t.Errorf("%s: got %v, want ErrInvalidParams", name, err)
		}
	}
}

func TestCollateral(t *testing.T) {
	p := types.DefaultParams() // max(1 AIC, 5 × max_price)
	if c := p.Collateral(sdk.NewCoin("uaic", math.NewInt(100))); !c.IsEqual(p.BidDeposit) {
		t.Fatalf("small job collateral %s, want the bid deposit", c)
	}
	if c := p.Collateral(sdk.NewCoin("uaic", math.NewInt(1_000_000))); !c.Amount.Equal(math.NewInt(5_000_000)) {
		t.Fatalf("collateral %s, want 5 × max_price", c)
	}
}

// TestBidCollateral: a bond-denom job locks Collateral from the bond and
// posts no price collateral; a job in another denom locks bid_deposit from
// the bond and posts collateral_ratio × max_price in its own denom.
func TestBidCollateral(t *testing.T) {
	p := types.DefaultParams()
	p.AllowedDenoms = append(p.AllowedDenoms, "ibc/AB")
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	job := func(maxPrice sdk.Coin) types.Job {
		return types.Job{MaxPrice: maxPrice, CreationFee: p.JobCreationFee}
	}
	lock, price := p.BidCollateral(job(sdk.NewCoin("uaic", math.NewInt(1_000_000))))
	if !lock.Amount.Equal(math.NewInt(5_000_000)) || lock.Denom != "uaic" || !price.IsZero() {
		t.Fatalf("uaic job: lock %s, price collateral %s", lock, price)
	}
	lock, price = p.BidCollateral(job(sdk.NewCoin("ibc/AB", math.NewInt(1_000_000))))
	if !lock.IsEqual(p.BidDeposit) || !price.IsEqual(sdk.NewCoin("ibc/AB", math.NewInt(5_000_000))) {
		t.Fatalf("voucher job: lock %s, price collateral %s", lock, price)
	}
	// A job whose fees in the bond denom are more than half the lock (the
	// compensation is 50 % of it) locks twice those fees: 0.1 AIC creation,
	// 2.56 AIC verification, 0.5 AIC dataset fee.
	big := job(sdk.NewCoin("ibc/AB", math.NewInt(100)))
	big.VerificationFee = sdk.NewCoins(sdk.NewInt64Coin("uaic", 2_560_000))
	big.DatasetFee = sdk.NewCoins(sdk.NewInt64Coin("uaic", 500_000))
	if lock, _ = p.BidCollateral(big); !lock.Amount.Equal(math.NewInt(6_320_000)) {
		t.Fatalf("a job with 3.16 AIC of fees: lock %s, want 6320000uaic", lock)
	}
	// A timeout forfeiting a tenth of the lock must still cover the
	// creation and dataset fees: (0.1 + 0.5) AIC × 2 × 10.
	p.SlashFractionTimeout = 1_000
	if lock, _ = p.BidCollateral(big); !lock.Amount.Equal(math.NewInt(12_000_000)) {
		t.Fatalf("at a 10 %% timeout slash: lock %s, want 12000000uaic", lock)
	}
	// Rounding as the keeper rounds: the least lock whose forfeit compensates.
	p.SlashFractionTimeout, p.RequesterCompensationBps = 10_000, 3_333
	odd := job(sdk.NewCoin("ibc/AB", math.NewInt(100)))
	odd.CreationFee = sdk.NewInt64Coin("uaic", 1_000_001)
	lock, _ = p.BidCollateral(odd)
	comp := func(l math.Int) math.Int { return l.MulRaw(3_333).QuoRaw(10_000) }
	if comp(lock.Amount).LT(math.NewInt(1_000_001)) || !comp(lock.Amount.SubRaw(1)).LT(math.NewInt(1_000_001)) {
		t.Fatalf("lock %s is not the least that compensates 1000001", lock)
	}
	if !p.IsAllowedDenom("ibc/AB") || p.IsAllowedDenom("ibc/CD") {
		t.Fatal("IsAllowedDenom")
	}
}

func TestWorkloadValidate(t *testing.T) {
	ok := types.WorkloadSpec{Kind: workload.KindGemm, Gemm: &types.GemmSpec{M: 10, N: 4, K: 4}, ChunkRows: 4}
	rows, err := ok.Validate()
	if err != nil || rows != 10 {
		t.Fatalf("gemm: rows %d err %v", rows, err)
	}
	if n, err := types.ChunkCountFor(rows, ok.ChunkRows); err != nil || n != 3 {
		t.Fatalf("chunk count %d %v, want ceil(10/4) = 3", n, err)
	}
	bad := []types.WorkloadSpec{
		{Kind: "x", ChunkRows: 1},
		{Kind: workload.KindGemm, ChunkRows: 1},
		{Kind: workload.KindGemm, Gemm: &types.GemmSpec{M: 1 << 20, N: 1 << 20, K: 1}, ChunkRows: 1},
		{Kind: workload.KindGemm, Gemm: &types.GemmSpec{M: 1, N: 1, K: 1}, Mlp: &types.MlpSpec{ModelId: 1, DatasetId: 1}, ChunkRows: 1},
		{Kind: workload.KindMLP, Mlp: &types.MlpSpec{ModelId: 1}, ChunkRows: 1},
		{Kind: workload.KindMLP, Mlp: &types.MlpSpec{ModelId: 1, DatasetId: 2}},
	}
	for i, w := range bad {
		if _, err := w.Validate(); !errors.Is(err, types.ErrInvalidWorkload) {
			t.Errorf("case %d: got %v, want ErrInvalidWorkload", i, err)
		}
	}
}

func TestHardwareMeets(t *testing.T) {
	hw := types.Hardware{GpuModel: "A100", GpuCount: 2, VramGib: 80, Workloads: []string{workload.KindGemm}}
	if !hw.Meets(types.Hardware{GpuCount: 2, VramGib: 40}, workload.KindGemm) {
		t.Fatal("should meet")
	}
	for _, min := range []types.Hardware{{GpuCount: 3}, {VramGib: 81}, {GpuModel: "H100"}, {Workloads: []string{workload.KindMLP}}} {
		if hw.Meets(min, workload.KindGemm) {
			t.Errorf("meets %+v", min)
		}
	}
	if hw.Meets(types.Hardware{}, workload.KindMLP) {
		t.Error("a gemm-only provider meets an mlp job")
	}
}

func FuzzMsgCommitBidValidateBasic(f *testing.F) {
	f.Add("aic1xyz", uint64(1), []byte("0123456789abcdef0123456789abcdef"))
	f.Fuzz(func(t *testing.T, addr string, id uint64, c []byte) {
		m := &types.MsgCommitBid{Provider: addr, JobId: id, Commitment: c}
		if err := m.ValidateBasic(); err == nil && (id == 0 || len(c) != types.CommitmentLen) {
			t.Fatalf("accepted %+v", m)
		}
	})
}

func TestAminoNames(t *testing.T) {
	cdc := codec.NewLegacyAmino()
	types.RegisterLegacyAminoCodec(cdc)
	for name, msg := range map[string]sdk.Msg{
		"aichain/compute/MsgCreateJob":    &types.MsgCreateJob{Requester: "aic1x"},
		"aichain/compute/MsgCommitBid":    &types.MsgCommitBid{Provider: "aic1x"},
		"aichain/compute/MsgUpdateParams": &types.MsgUpdateParams{Authority: "aic1x"},
	} {
		bz, err := cdc.MarshalJSON(msg)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(bz), `"type":"`+name+`"`) {
			t.Fatalf("amino JSON %s lacks type %s", bz, name)
		}
	}
}

// TestDisputeChunkIndices: a dispute names at most MaxDisputeChunksLimit
// chunks statelessly, and at most max_dispute_chunks chunks of the result,
// none twice.
func TestDisputeChunkIndices(t *testing.T) {
	req := sdk.AccAddress(make([]byte, 20)).String()
	many := make([]uint64, types.MaxDisputeChunksLimit+1)
	for i := range many {
		many[i] = uint64(i)
	}
	for name, indices := range map[string][]uint64{"too many": many, "twice": {2, 2}} {
		m := types.MsgDisputeResult{Requester: req, JobId: 1, ChunkIndices: indices}
		if err := m.ValidateBasic(); !errors.Is(err, types.ErrInvalidRequest) {
			t.Fatalf("%s: %v, want ErrInvalidRequest", name, err)
		}
	}
	m := types.MsgDisputeResult{Requester: req, JobId: 1, ChunkIndices: many[:types.MaxDisputeChunksLimit]}
	if err := m.ValidateBasic(); err != nil {
		t.Fatalf("%d distinct chunks: %v", types.MaxDisputeChunksLimit, err)
	}
	p := types.DefaultParams()
	if err := p.ValidateChunkIndices([]uint64{0, 3}, 4); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		indices []uint64
		count   uint64
	}{"beyond the result": {[]uint64{4}, 4}, "above max_dispute_chunks": {many[:p.MaxDisputeChunks+1], 1 << 20}} {
		if err := p.ValidateChunkIndices(c.indices, c.count); !errors.Is(err, types.ErrInvalidRequest) {
			t.Fatalf("%s: %v, want ErrInvalidRequest", name, err)
		}
	}
}

// TestCreateJobRefusesOversizedPrice: a max_price in a voucher of 2^224 or
// more (any chain can mint one and send it over IBC) is refused before any
// state is read: the job's escrow adds its fees to it, and settlement adds
// the payment to the fee statistics, in 256-bit Ints that panic past their
// range. One unit less is a valid price.
func TestCreateJobRefusesOversizedPrice(t *testing.T) {
	limit := new(big.Int).Lsh(big.NewInt(1), common.MaxAmountBits)
	msg := func(amount *big.Int) *types.MsgCreateJob {
		return &types.MsgCreateJob{
			Requester:    sdk.AccAddress(make([]byte, 20)).String(),
			Workload:     types.WorkloadSpec{Kind: workload.KindGemm, Gemm: &types.GemmSpec{M: 8, N: 4, K: 4, Seed: 3}, ChunkRows: 4},
			MaxPrice:     sdk.NewCoin("ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2", math.NewIntFromBigInt(amount)),
			CommitBlocks: 5, RevealBlocks: 5, ExecBlocks: 20,
		}
	}
	if err := msg(new(big.Int).Sub(limit, big.NewInt(1))).ValidateBasic(); err != nil {
		t.Fatalf("a price of 2^%d − 1 refused: %v", common.MaxAmountBits, err)
	}
	if err := msg(limit).ValidateBasic(); !errors.Is(err, types.ErrInvalidPrice) {
		t.Fatalf("a price of 2^%d: got %v, want %v", common.MaxAmountBits, err, types.ErrInvalidPrice)
	}
}

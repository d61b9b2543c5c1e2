package simulation_test

import (
	"math/rand"
	"strings"
	"testing"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/kv"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/compute"
	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/simulation"
	"github.com/aichain/aichain/x/compute/types"
)

type collect struct {
	factories []simsx.SimMsgFactoryX
	weights   []uint32
	total     uint32
}

func (c *collect) Add(w uint32, f simsx.SimMsgFactoryX) {
	c.factories, c.weights, c.total = append(c.factories, f), append(c.weights, w), c.total+w
}

// pick draws a factory by weight, as the simulator does.
func (c *collect) pick(r *rand.Rand) simsx.SimMsgFactoryX {
	n := uint32(r.Int63n(int64(c.total)))
	for i, w := range c.weights {
		if n < w {
			return c.factories[i]
		}
		n -= w
	}
	return c.factories[len(c.factories)-1]
}

func coin(n int64) sdk.Coin { return sdk.NewCoin(types.DefaultBondDenom, math.NewInt(n)) }

// factoryParams: short windows and no sampling floor, so that every Msg
// (disputes included) becomes possible within a few blocks.
func factoryParams() types.Params {
	p := types.DefaultParams()
	p.MinProviderBond, p.BidDeposit, p.DisputeFee = coin(1_000_000), coin(1_000), coin(500)
	p.CollateralRatioBps = 20_000
	p.MaxBidsPerJob = 5
	p.MinCommitBlocks, p.MaxCommitBlocks = 1, 3
	p.MinRevealBlocks, p.MaxRevealBlocks = 1, 3
	p.MaxExecBlocks = 5
	p.SampleRateFloorBps = 0
	p.ChallengeBlocks, p.VerificationBlocks = 5, 2
	// Unbonding completes within the test, so providers are removed while
	// their past commitments stay as bid history, and the export must still
	// validate.
	p.JailBlocks, p.UnbondingBlocks = 3, 10
	return p
}

// TestMsgFactories runs the module's simulation factories against a real app
// over many blocks: every message they produce (and do not skip) must be
// accepted, every Msg type must be produced, the invariants must hold after
// every block, and the state must stay a valid genesis that the store
// decoder can render.
func TestMsgFactories(t *testing.T) {
	ta := apptesting.Setup(t, 8)
	k := ta.ComputeKeeper
	ms := keeper.NewMsgServerImpl(k)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	setParams := func() {
		t.Helper()
		if _, err := ms.UpdateParams(ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: factoryParams()}); err != nil {
			t.Fatal(err)
		}
	}
	setParams()

	am := compute.NewAppModule(k)
	var reg collect
	weights := simsx.WeightSourceFn(func(_ string, d uint32) uint32 { return d })
	am.WeightedOperationsX(weights, &reg)
	am.ProposalMsgsX(weights, &reg)
	if len(reg.factories) != 10 {
		t.Fatalf("%d factories, want 10 (one per Msg)", len(reg.factories))
	}
	accs := make([]simtypes.Account, len(ta.Accounts))
	for i, a := range ta.Accounts {
		accs[i] = simtypes.Account{PrivKey: a.Priv, PubKey: a.Priv.PubKey(), Address: a.Address, AddressBech32: a.String()}
	}
	r := rand.New(rand.NewSource(3))
	delivered := map[string]int{}
	for round := 0; round < 150; round++ {
		testData := simsx.NewChainDataSource(ta.Ctx, r, ta.AccountKeeper, ta.BankKeeper, ta.AccountKeeper.AddressCodec(), accs...)
		for op := 0; op < 12; op++ {
			f := reg.pick(r)
			reporter := simsx.NewBasicSimulationReporter()
			signers, msg := f.Create()(ta.Ctx, testData, reporter)
			if reporter.IsSkipped() {
				continue
			}
			name := sdk.MsgTypeURL(msg)
			short := name[strings.LastIndex(name, ".")+1:]
			if short != "MsgUpdateParams" && len(signers) != 1 {
				t.Fatalf("%s: %d signers", name, len(signers))
			}
			if _, err := ta.MsgServiceRouter().Handler(msg)(ta.Ctx, msg); err != nil {
				t.Fatalf("round %d: %s from the factory refused: %v\n%v", round, name, err, msg)
			}
			if short == "MsgUpdateParams" {
				setParams() // keep the short windows
			}
			delivered[short]++
		}
		ta.NextBlock()
		if err := k.CheckInvariants(ta.Ctx); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	for _, name := range []string{"MsgRegisterProvider", "MsgUpdateProvider", "MsgUnbondProvider", "MsgCreateJob",
		"MsgCancelJob", "MsgCommitBid", "MsgRevealBid", "MsgSubmitResult", "MsgDisputeResult", "MsgUpdateParams"} {
		if delivered[name] == 0 {
			t.Errorf("%s never delivered (%v)", name, delivered)
		}
	}
	t.Logf("delivered: %v", delivered)
	stats, err := k.Stats.Get(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	settled := false
	for _, c := range stats.JobsPerState {
		settled = settled || (c.State == types.JobState_JOB_STATE_SETTLED && c.Count > 0)
	}
	if !settled {
		t.Errorf("no job settled: %s", stats.String())
	}
	gs, err := k.ExportGenesis(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("state after the simulation is not a valid genesis: %v", err)
	}

	// The store decoder renders two job entries.
	sdr := simtypes.StoreDecoderRegistry{}
	am.RegisterStoreDecoder(sdr)
	key := append(append([]byte{}, types.JobsKey...), 0, 0, 0, 0, 0, 0, 0, 1)
	bz, err := gs.Jobs[0].Marshal()
	if err != nil {
		t.Fatal(err)
	}
	out := sdr[types.StoreKey](kv.Pair{Key: key, Value: bz}, kv.Pair{Key: key, Value: bz})
	if !strings.Contains(out, gs.Jobs[0].Requester) {
		t.Fatalf("decoder output lacks the job: %s", out)
	}
}

// TestBidSecret checks that the simulated bid opens its own commitment and
// stays within max_price.
func TestBidSecret(t *testing.T) {
	for _, maxPrice := range []int64{1, 2, 1000, 1 << 40} {
		price, salt := simulation.BidSecret(7, "aic1provider", coin(maxPrice))
		if !price.IsPositive() || price.Amount.GT(math.NewInt(maxPrice)) {
			t.Fatalf("max %d: price %s", maxPrice, price)
		}
		again, salt2 := simulation.BidSecret(7, "aic1provider", coin(maxPrice))
		if !again.Equal(price) || string(salt) != string(salt2) || len(salt) == 0 {
			t.Fatalf("max %d: not deterministic", maxPrice)
		}
	}
	a, _ := simulation.BidSecret(7, "aic1a", coin(1_000_000))
	b, _ := simulation.BidSecret(8, "aic1a", coin(1_000_000))
	c, _ := simulation.BidSecret(7, "aic1b", coin(1_000_000))
	if a.Equal(b) && a.Equal(c) {
		t.Fatal("the price does not depend on the job and provider")
	}
}

// TestGenParamsValid checks that random genesis params always validate.
func TestGenParamsValid(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 1000; i++ {
		p := simulation.GenParams(r)
		if err := p.Validate(); err != nil {
			t.Fatalf("draw %d: %v\n%v", i, err, p)
		}
	}
}

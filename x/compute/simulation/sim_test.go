package simulation_test

import (
	"math/rand"
	"strings"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/kv"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	ibctransfertypes "github.com/cosmos/ibc-go/v10/modules/apps/transfer/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/compute"
	"github.com/aichain/aichain/x/compute/simulation"
	"github.com/aichain/aichain/x/compute/types"
)

func coin(n int64) sdk.Coin { return sdk.NewCoin(types.DefaultBondDenom, math.NewInt(n)) }

// factoryParams: short windows and no sampling floor, so that every Msg
// (disputes included) becomes possible within a few blocks.
func factoryParams() types.Params {
	p := types.DefaultParams()
	p.MinProviderBond, p.BidDeposit, p.DisputeFee = coin(1_000_000), coin(1_000), coin(500)
	p.CollateralRatioBps = 20_000
	p.CloseBatchSize = 2 // closes of more than two commitments span blocks
	p.MinCommitBlocks, p.MaxCommitBlocks = 1, 3
	p.MinRevealBlocks, p.MaxRevealBlocks = 1, 3
	p.MinExecBlocks, p.MaxExecBlocks = 1, 5
	// Terminal jobs are pruned within the run.
	p.RetentionBlocks = 20
	p.SampleRateFloorBps = 0
	p.ChallengeBlocks, p.VerificationBlocks, p.VerdictGraceBlocks = 5, 2, 1
	// Unbonding completes within the test, so providers are removed while
	// their past commitments stay as bid history, and the export must still
	// validate.
	p.JailBlocks, p.UnbondingBlocks = 3, 10
	// Jobs may also be priced in an IBC voucher (issue 19).
	p.AllowedDenoms = []string{types.DefaultBondDenom, simulation.SimIBCDenom}
	return p
}

// fundVouchers mints SimIBCDenom vouchers to every test account through the
// transfer module, as relayed ICS-20 transfers would.
func fundVouchers(t *testing.T, ta *apptesting.TestApp, n int64) {
	t.Helper()
	coins := sdk.NewCoins(sdk.NewCoin(simulation.SimIBCDenom, math.NewInt(n)))
	for _, a := range ta.Accounts {
		if err := ta.BankKeeper.MintCoins(ta.Ctx, ibctransfertypes.ModuleName, coins); err != nil {
			t.Fatal(err)
		}
		if err := ta.BankKeeper.SendCoinsFromModuleToAccount(ta.Ctx, ibctransfertypes.ModuleName, a.Address, coins); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSimIBCDenomIsTheVoucher: SimIBCDenom is the denom ibc-go gives the
// voucher of transfer/channel-0/ustake.
func TestSimIBCDenomIsTheVoucher(t *testing.T) {
	want := ibctransfertypes.NewDenom("ustake", ibctransfertypes.NewHop(ibctransfertypes.PortID, "channel-0")).IBCDenom()
	if simulation.SimIBCDenom != want {
		t.Fatalf("SimIBCDenom %s, ibc-go says %s", simulation.SimIBCDenom, want)
	}
}

// TestMsgFactories runs the module's simulation factories against a real app
// over many blocks: every message they produce (and do not skip) must be
// accepted, every Msg type must be produced, the invariants must hold after
// every block, and the state must stay a valid genesis that the store
// decoder can render.
func TestMsgFactories(t *testing.T) {
	ta := apptesting.SetupSeeded(t, 8, 5)
	fundVouchers(t, ta, 1_000_000_000)
	k := ta.ComputeKeeper
	am := compute.NewAppModule(ta.AppCodec(), k)
	gs := apptesting.RunSimFactories(t, ta, apptesting.SimFactories{
		Module: am, Factories: 14, Seed: 5, Rounds: 200, OpsPerRound: 12, BlockEvery: 1,
		// Keep the short windows.
		SetParams:  &types.MsgUpdateParams{Authority: apptesting.GovAuthority(), Params: factoryParams()},
		Invariants: func() error { return k.CheckInvariants(ta.Ctx) },
		// Not MsgRevealSampleSecret: the simulated blocks carry no vote
		// extensions, so no beacon, and a header-hash draw opens no reveal
		// window (the keeper's and e2e's reveal tests run with beacons).
		MustDeliver: []string{"MsgRegisterProvider", "MsgUpdateProvider", "MsgUnbondProvider", "MsgCreateJob",
			"MsgCancelJob", "MsgCommitBid", "MsgRevealBid", "MsgSubmitResult", "MsgDisputeResult", "MsgAbortJob", "MsgUpdateParams",
			"MsgPostModelBond", "MsgWithdrawModelBond"},
	}, k.ExportGenesis)

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
	// Jobs were priced in the voucher too, and some of them settled (their
	// winners were paid vouchers: the chain's fees_paid, which counts the
	// providers unbonded and removed since, whose own stats the export no
	// longer holds); the invariants held per denom throughout.
	if !stats.FeesPaid.AmountOf(simulation.SimIBCDenom).IsPositive() {
		t.Errorf("no provider was paid the voucher: no voucher job settled (%s)", stats.String())
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

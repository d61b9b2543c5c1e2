package app_test

import (
	"errors"
	"math/rand"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	distr "github.com/cosmos/cosmos-sdk/x/distribution"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	srtypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// distrBeginBlockGas is the gas-metered work of x/distribution's BeginBlocker
// at the current height (on a cache, discarded).
func distrBeginBlockGas(t *testing.T, ta *apptesting.TestApp) uint64 {
	t.Helper()
	ctx, _ := ta.Ctx.CacheContext()
	ctx = ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
	if err := distr.BeginBlocker(ctx, ta.DistrKeeper); err != nil {
		t.Fatal(err)
	}
	return ctx.GasMeter().GasConsumed()
}

// TestAttackJunkDenomsIntoDistribution: x/distribution rewrites the community
// pool and every validator's rewards, as multi-denom balances, in every
// block. A hostile party with 300 junk denoms tries every way in: a
// transaction paying its fee in them (refused in CheckTx, and in a block a
// hostile proposer makes of it), MsgFundCommunityPool and
// MsgDepositValidatorRewardsPool (refused by the Msg service, the path of
// transactions, authz MsgExec, interchain accounts and proposals alike).
// Nothing moves, to the coin, and the next blocks' distribution work is
// exactly that of a chain no one attacked; before the guards, the same
// 300 denoms given to the community pool raised it from 11,277 to 931,977
// gas every block.
func TestAttackJunkDenomsIntoDistribution(t *testing.T) {
	run := func(attack bool) uint64 {
		ta := apptesting.Setup(t, 2)
		mallory := ta.Accounts[1]
		if attack {
			ta.MintTo(mallory.Address, apptesting.JunkDenoms(300, 1))
		}
		ta.NextBlock()
		if attack {
			attackDistribution(t, ta, mallory)
		} else {
			ta.NextBlockWithTxs(nil)
		}
		ta.NextBlock()
		return distrBeginBlockGas(t, ta)
	}
	clean, attacked := run(false), run(true)
	t.Logf("distribution BeginBlocker gas: clean chain %d, after the attacks %d", clean, attacked)
	if clean != attacked {
		t.Fatalf("junk denoms reached x/distribution: its per-block work went from %d to %d gas", clean, attacked)
	}
}

// attackDistribution makes every attempt of TestAttackJunkDenomsIntoDistribution
// from mallory and checks that each is refused with its typed error and that
// no balance moves.
func attackDistribution(t *testing.T, ta *apptesting.TestApp, mallory apptesting.Account) {
	t.Helper()
	before := ta.BankKeeper.GetAllBalances(ta.Ctx, mallory.Address)

	// A fee in 300 junk denoms and enough uaic.
	acc := ta.AccountKeeper.GetAccount(ta.Ctx, mallory.Address)
	send := banktypes.NewMsgSend(mallory.Address, ta.Accounts[0].Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(1)), ta.TxConfig(), []sdk.Msg{send},
		apptesting.JunkDenoms(300, 1).Add(sdk.NewInt64Coin(app.BondDenom, 100_000)), 40_000_000, apptesting.ChainID,
		[]uint64{acc.GetAccountNumber()}, []uint64{acc.GetSequence()}, mallory.Priv)
	if err != nil {
		t.Fatal(err)
	}
	bz, err := ta.TxConfig().TxEncoder()(tx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ta.CheckTx(&abci.RequestCheckTx{Tx: bz, Type: abci.CheckTxType_New})
	if err != nil || res.Code != sdkerrors.ErrInvalidCoins.ABCICode() || res.Codespace != sdkerrors.ErrInvalidCoins.Codespace() {
		t.Fatalf("CheckTx of a fee in junk denoms: %v code %d (%s), want ErrInvalidCoins", err, res.GetCode(), res.GetLog())
	}
	// A hostile proposer puts it in a block anyway.
	results := ta.NextBlockWithTxs([][]byte{bz})
	if r := results[0]; r.Code != sdkerrors.ErrInvalidCoins.ABCICode() || r.Codespace != sdkerrors.ErrInvalidCoins.Codespace() {
		t.Fatalf("a fee in junk denoms in a block: code %d (%s), want ErrInvalidCoins", r.Code, r.Log)
	}

	if got := ta.BankKeeper.GetAllBalances(ta.Ctx, mallory.Address); !got.Equal(before) {
		t.Fatalf("mallory's balance moved in the block: %s → %s", before, got)
	}

	// The funding messages, through the Msg service router.
	pool := ta.BankKeeper.GetAllBalances(ta.Ctx, ta.AccountKeeper.GetModuleAddress(distrtypes.ModuleName))
	vals, err := ta.StakingKeeper.GetAllValidators(ta.Ctx)
	if err != nil || len(vals) == 0 {
		t.Fatalf("validators: %v %d", err, len(vals))
	}
	val := vals[0].OperatorAddress
	for _, msg := range []sdk.Msg{
		&distrtypes.MsgFundCommunityPool{Depositor: mallory.Address.String(), Amount: apptesting.JunkDenoms(300, 1)},
		&distrtypes.MsgDepositValidatorRewardsPool{Depositor: mallory.Address.String(), ValidatorAddress: val, Amount: apptesting.JunkDenoms(300, 1)},
		&distrtypes.MsgFundCommunityPool{Depositor: mallory.Address.String(), Amount: apptesting.JunkDenoms(1, 1).Add(sdk.NewInt64Coin(app.BondDenom, 5))},
	} {
		_, err := ta.MsgServiceRouter().Handler(msg)(ta.Ctx, msg)
		if !errors.Is(err, srtypes.ErrDenomNotRewarded) {
			t.Fatalf("%T of junk: %v, want ErrDenomNotRewarded", msg, err)
		}
	}
	if got := ta.BankKeeper.GetAllBalances(ta.Ctx, mallory.Address); !got.Equal(before) {
		t.Fatalf("mallory's balance moved: %s → %s", before, got)
	}
	if got := ta.BankKeeper.GetAllBalances(ta.Ctx, ta.AccountKeeper.GetModuleAddress(distrtypes.ModuleName)); !got.Equal(pool) {
		t.Fatalf("distribution's balance moved: %s → %s", pool, got)
	}
}

// TestFundCommunityPoolInRewardedDenoms: the guard lets the bond denom and,
// once governance lists it, another denom through, to the coin.
func TestFundCommunityPoolInRewardedDenoms(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	alice := ta.Accounts[0].Address
	voucher := apptesting.JunkDenoms(1, 1)[0]
	ta.MintTo(alice, sdk.NewCoins(voucher))
	fund := func(c sdk.Coin) error {
		msg := &distrtypes.MsgFundCommunityPool{Depositor: alice.String(), Amount: sdk.NewCoins(c)}
		_, err := ta.MsgServiceRouter().Handler(msg)(ta.Ctx, msg)
		return err
	}
	communityPool := func(denom string) math.LegacyDec {
		fp, err := ta.DistrKeeper.FeePool.Get(ta.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		return fp.CommunityPool.AmountOf(denom)
	}
	uaicBefore, aliceBefore := communityPool(app.BondDenom), ta.Balance(alice, app.BondDenom)
	if err := fund(sdk.NewInt64Coin(app.BondDenom, 1_000)); err != nil {
		t.Fatal(err)
	}
	if got := ta.Balance(alice, app.BondDenom); !got.Equal(aliceBefore.SubRaw(1_000)) {
		t.Fatalf("alice %s, want %s − 1000", got, aliceBefore)
	}
	if got, want := communityPool(app.BondDenom), uaicBefore.Add(math.LegacyNewDec(1_000)); !got.Equal(want) {
		t.Fatalf("community pool %s uaic, want %s", got, want)
	}
	if err := fund(voucher); !errors.Is(err, srtypes.ErrDenomNotRewarded) {
		t.Fatalf("unlisted voucher: %v, want ErrDenomNotRewarded", err)
	}
	params, err := ta.StakingRewardsKeeper.GetParams(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	params.RewardDenoms = []string{voucher.Denom}
	if err := ta.StakingRewardsKeeper.UpdateParams(ta.Ctx, ta.StakingRewardsKeeper.GetAuthority(), params); err != nil {
		t.Fatal(err)
	}
	if err := fund(voucher); err != nil {
		t.Fatalf("listed voucher: %v", err)
	}
	if got := communityPool(voucher.Denom); !got.Equal(math.LegacyOneDec()) {
		t.Fatalf("community pool %s of the voucher, want 1", got)
	}
	if got := ta.Balance(alice, voucher.Denom); !got.IsZero() {
		t.Fatalf("alice still holds %s of the voucher", got)
	}
}

// TestAttackJunkDenomGovDeposit: x/gov holds deposits and, when a proposal
// is cancelled, may send part of them to the community pool
// (proposal_cancel_dest): a way for junk denoms into x/distribution's
// per-block work that our guard does not cover. The SDK refuses deposits
// outside min_deposit's denoms; this test keeps that true across SDK
// upgrades. Mallory's junk deposit, initial or later, is refused with
// ErrInvalidDepositDenom, and nothing moves, to the coin.
func TestAttackJunkDenomGovDeposit(t *testing.T) {
	ta := apptesting.Setup(t, 2)
	alice, mallory := ta.Accounts[0].Address, ta.Accounts[1].Address
	ta.MintTo(mallory, apptesting.JunkDenoms(300, 1))
	handle := func(msg sdk.Msg) (*sdk.Result, error) { return ta.MsgServiceRouter().Handler(msg)(ta.Ctx, msg) }
	params, err := ta.GovKeeper.Params.Get(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	// An honest proposal with part of the minimum deposit, in uaic.
	honest, err := govv1.NewMsgSubmitProposal(nil, sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdk.Coins(params.MinDeposit).AmountOf(app.BondDenom).QuoRaw(2))),
		alice.String(), "ipfs://honest", "honest", "a text proposal", false)
	if err != nil {
		t.Fatal(err)
	}
	res, err := handle(honest)
	if err != nil {
		t.Fatal(err)
	}
	var submitted govv1.MsgSubmitProposalResponse
	if err := ta.AppCodec().Unmarshal(res.MsgResponses[0].Value, &submitted); err != nil {
		t.Fatal(err)
	}
	malloryBefore := ta.BankKeeper.GetAllBalances(ta.Ctx, mallory)
	govAddr := ta.AccountKeeper.GetModuleAddress(govtypes.ModuleName)
	govBefore := ta.BankKeeper.GetAllBalances(ta.Ctx, govAddr)
	depositsBefore, err := ta.GovKeeper.GetDeposits(ta.Ctx, submitted.ProposalId)
	if err != nil {
		t.Fatal(err)
	}

	junkProposal, err := govv1.NewMsgSubmitProposal(nil, apptesting.JunkDenoms(300, 1).Add(sdk.NewInt64Coin(app.BondDenom, 1)),
		mallory.String(), "ipfs://junk", "junk", "a text proposal", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []sdk.Msg{
		junkProposal,
		govv1.NewMsgDeposit(mallory, submitted.ProposalId, apptesting.JunkDenoms(300, 1)),
		govv1.NewMsgDeposit(mallory, submitted.ProposalId, apptesting.JunkDenoms(1, 1).Add(sdk.NewInt64Coin(app.BondDenom, 1))),
	} {
		if _, err := handle(msg); !errors.Is(err, govtypes.ErrInvalidDepositDenom) {
			t.Fatalf("%T with junk: %v, want ErrInvalidDepositDenom", msg, err)
		}
	}
	if got := ta.BankKeeper.GetAllBalances(ta.Ctx, mallory); !got.Equal(malloryBefore) {
		t.Fatalf("mallory's balance moved: %s → %s", malloryBefore, got)
	}
	if got := ta.BankKeeper.GetAllBalances(ta.Ctx, govAddr); !got.Equal(govBefore) {
		t.Fatalf("gov's balance moved: %s → %s", govBefore, got)
	}
	deposits, err := ta.GovKeeper.GetDeposits(ta.Ctx, submitted.ProposalId)
	if err != nil {
		t.Fatal(err)
	}
	if len(deposits) != len(depositsBefore) {
		t.Fatalf("deposits on the honest proposal: %d → %d", len(depositsBefore), len(deposits))
	}
}

package app_test

import (
	"fmt"
	"math/rand"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// TestAttackPrecheckCreditFromFailedCheckTx: sigPrecheck promises that what
// the node's tx service verifies for nothing is "at most one transaction per
// signer between two of its transactions that paid", because it prechecks
// only signers "whose transaction CheckTx passed". But memoSigVerifyDecorator
// tells the precheck (sigPrecheck.learn) as soon as the signature check
// passes, before the rest of the ante chain: a transaction whose gas limit
// runs out in IncrementSequenceDecorator (or that the redundant-relay
// decorator refuses) fails CheckTx — its fee and sequence rolled back, nothing
// enters the mempool — yet hands its signer a precheck at the next sequence.
// Mallory repeats this for ever from one account without paying a coin or
// advancing her sequence: every round the node verifies her next-sequence
// broadcast outside the lock for nothing, on top of the failed CheckTx.
func TestAttackPrecheckCreditFromFailedCheckTx(t *testing.T) {
	node := apptesting.Setup(t, 3)
	twin := node.Twin(t)
	cfg := node.TxConfig()
	send := txService(t, node)
	mallory, alice := node.Accounts[1], node.Accounts[0]
	acc := node.AccountKeeper.GetAccount(node.Ctx, mallory.Address)
	fee := sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 2_000))
	// Every transaction gets the same (random) memo, so that those of one
	// sequence and amount width have one size, and so one ante gas.
	sign := func(seq, gas uint64, amount int64) []byte {
		t.Helper()
		rng := rand.New(rand.NewSource(9))
		msg := banktypes.NewMsgSend(mallory.Address, alice.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, amount)))
		tx, err := simtestutil.GenSignedMockTx(rng, cfg, []sdk.Msg{msg}, fee, gas, apptesting.ChainID,
			[]uint64{acc.GetAccountNumber()}, []uint64{seq}, mallory.Priv)
		if err != nil {
			t.Fatal(err)
		}
		bz, err := cfg.TxEncoder()(tx)
		if err != nil {
			t.Fatal(err)
		}
		return bz
	}

	// The ante chain's gas for mallory's send, measured on another node.
	probe, err := twin.CheckTx(&abci.RequestCheckTx{Tx: sign(0, 200_000, 100), Type: abci.CheckTxType_New})
	if err != nil || probe.Code != 0 {
		t.Fatalf("probe CheckTx: %v %+v", err, probe)
	}
	anteGas := uint64(probe.GasUsed)

	balanceBefore := node.BankKeeper.GetAllBalances(node.Ctx, mallory.Address)
	aliceBefore := node.Balance(alice.Address, app.BondDenom)
	const rounds = 8
	freeVerifications := 0
	for i := 0; i < rounds; i++ {
		// A send at her real sequence (the probe's size), one unit of gas
		// short: the signature verifies, then IncrementSequenceDecorator runs
		// out of gas.
		short := sign(0, anteGas-1, int64(100+i))
		res, err := node.CheckTx(&abci.RequestCheckTx{Tx: short, Type: abci.CheckTxType_New})
		if err != nil {
			t.Fatal(err)
		}
		if res.Code != sdkerrors.ErrOutOfGas.ABCICode() {
			t.Fatalf("round %d: CheckTx of the short tx: code %d (%s), want out of gas", i, res.Code, res.Log)
		}
		memo := node.SigMemoLen()
		// Her "next" transaction, broadcast through the tx service: CheckTx
		// refuses it at once (wrong sequence), but the precheck verifies it.
		if code := send(sign(1, 200_000, int64(1_000+i))); code != sdkerrors.ErrWrongSequence.ABCICode() {
			t.Fatalf("round %d: broadcast at sequence 1: code %d, want wrong sequence", i, code)
		}
		freeVerifications += node.SigMemoLen() - memo
	}

	// Nothing paid, nothing moved, the sequence never advanced.
	if got := node.BankKeeper.GetAllBalances(node.Ctx, mallory.Address); !got.Equal(balanceBefore) {
		t.Fatalf("mallory's balance moved: %s → %s", balanceBefore, got)
	}
	if got := node.Balance(alice.Address, app.BondDenom); !got.Equal(aliceBefore) {
		t.Fatalf("alice's balance moved: %s → %s", aliceBefore, got)
	}
	node.NextBlock()
	if got := node.BankKeeper.GetAllBalances(node.Ctx, mallory.Address); !got.Equal(balanceBefore) {
		t.Fatalf("mallory's balance moved after the block: %s → %s", balanceBefore, got)
	}
	if seq := node.AccountKeeper.GetAccount(node.Ctx, mallory.Address).GetSequence(); seq != 0 {
		t.Fatalf("mallory's sequence %d, want 0", seq)
	}
	if freeVerifications != 0 {
		t.Fatal(fmt.Sprintf("the tx service verified %d of mallory's signatures for nothing in %d rounds, "+
			"though no transaction of hers ever passed CheckTx or paid a fee (she held %s throughout)",
			freeVerifications, rounds, balanceBefore))
	}
}

package app_test

import (
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	srtypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// TestProposalReadsCheckedTxs: a proposal decodes none of the transactions
// this node's CheckTx admitted, and each one it has not (another node's
// mempool can hand a proposer transactions it never checked); a
// transaction a block executed, or ReCheck refused, is decoded again.
func TestProposalReadsCheckedTxs(t *testing.T) {
	ta := apptesting.Setup(t, 2)
	txs := sends(t, ta, 6)
	for _, bz := range txs[:4] {
		if err := checkTx(ta, bz); err != nil {
			t.Fatal(err)
		}
	}
	if n := ta.CheckedTxs(); n != 4 {
		t.Fatalf("%d remembered after 4 admitted", n)
	}
	before := ta.ProposalDecodes()
	if got := propose(t, ta, txs); len(got) != 6 {
		t.Fatalf("proposal of %d txs, want 6", len(got))
	}
	if d := ta.ProposalDecodes() - before; d != 2 {
		t.Fatalf("the proposal decoded %d txs, want the 2 not checked", d)
	}

	// A block executes the first two: they are forgotten.
	for i, r := range ta.NextBlockWithTxs(txs[:2]) {
		if r.Code != 0 {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	if n := ta.CheckedTxs(); n != 2 {
		t.Fatalf("%d remembered after a block executed 2 of 4", n)
	}
	// ReCheck refuses the third (a conflicting tx took its sequence): forgotten.
	conflict := ta.SignTx(ta.Accounts[0], 2, 150_000, oneSend(ta))
	for i, r := range ta.NextBlockWithTxs([][]byte{conflict}) {
		if r.Code != 0 {
			t.Fatalf("conflict %d: %s", i, r.Log)
		}
	}
	if res, err := ta.CheckTx(&abci.RequestCheckTx{Tx: txs[2], Type: abci.CheckTxType_Recheck}); err != nil || res.Code == 0 {
		t.Fatalf("ReCheck of a tx whose sequence is spent: %v %v", res, err)
	}
	if n := ta.CheckedTxs(); n != 1 {
		t.Fatalf("%d remembered after ReCheck refused one of 2", n)
	}
	before = ta.ProposalDecodes()
	propose(t, ta, txs[:4])
	if d := ta.ProposalDecodes() - before; d != 3 {
		t.Fatalf("the proposal decoded %d txs, want the 3 executed or refused", d)
	}
}

// TestAttackCheckedTxsRefusedNotRemembered: transactions CheckTx refuses
// (free to send: here, sequences not yet reached) take no room among the
// remembered ones, so a flood of them cannot push out the mempool's: the
// honest sender's transaction, checked before the flood, is still proposed
// without a decode, and the flood cost its sender nothing and bought it
// nothing (its balance to the coin, no tx of its own remembered).
func TestAttackCheckedTxsRefusedNotRemembered(t *testing.T) {
	ta := apptesting.Setup(t, 2)
	attacker, honest := ta.Accounts[0], ta.Accounts[1]
	honestTx := ta.SignTx(honest, 0, 200_000, banktypes.NewMsgSend(honest.Address, attacker.Address,
		sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1_000))))
	if err := checkTx(ta, honestTx); err != nil {
		t.Fatal(err)
	}
	before := ta.Balance(attacker.Address, app.BondDenom)
	for seq := uint64(5); seq < 25; seq++ {
		if checkTx(ta, ta.SignTx(attacker, seq, 200_000, oneSend(ta))) == nil {
			t.Fatalf("CheckTx admitted sequence %d", seq)
		}
	}
	if n := ta.CheckedTxs(); n != 1 {
		t.Fatalf("%d txs remembered after the honest one and 20 refused", n)
	}
	decodes := ta.ProposalDecodes()
	if got := propose(t, ta, [][]byte{honestTx}); len(got) != 1 || ta.ProposalDecodes() != decodes {
		t.Fatalf("the honest tx: proposed %d, decoded %d", len(got), ta.ProposalDecodes()-decodes)
	}
	if after := ta.Balance(attacker.Address, app.BondDenom); !after.Equal(before) {
		t.Fatalf("the attacker's balance moved: %s → %s", before, after)
	}
}

// TestProposalSameWithCheckedTxs: a proposal holds the same transactions
// whether it read them from CheckTx or decoded them, with a time budget
// that binds and a kind the node has not measured (the budget counts each
// tx by its gas and kind).
func TestProposalSameWithCheckedTxs(t *testing.T) {
	ta := apptesting.SetupWithOptions(t, 2, map[string]any{"proposer.max-exec-time": "1ms"})
	for i, r := range ta.NextBlockWithTxs(sends(t, ta, 20)) {
		if r.Code != 0 {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	if _, ok := ta.PaceOf(oneSend(ta)); !ok {
		t.Fatal("no pace after a block of sends")
	}
	var txs [][]byte
	owner := ta.Accounts[1]
	for i := 0; i < 30; i++ {
		txs = append(txs, ta.SignTx(ta.Accounts[0], uint64(20+i), 60_000+uint64(i)*1_000, oneSend(ta)))
		txs = append(txs, ta.SignTx(owner, uint64(i), 300_000, &srtypes.MsgLock{
			Owner: owner.Address.String(), Amount: sdk.NewInt64Coin(app.BondDenom, 1_000), Duration: 7 * 24 * time.Hour,
		}))
	}
	decoded := propose(t, ta, txs)
	if len(decoded) == 0 || len(decoded) == len(txs) {
		t.Fatalf("the budget held %d of %d txs: it must bind", len(decoded), len(txs))
	}
	for i, bz := range txs {
		if err := checkTx(ta, bz); err != nil {
			t.Fatalf("tx %d: %v", i, err)
		}
	}
	before := ta.ProposalDecodes()
	read := propose(t, ta, txs)
	if d := ta.ProposalDecodes() - before; d != 0 {
		t.Fatalf("%d decoded after CheckTx admitted every tx", d)
	}
	if len(read) != len(decoded) {
		t.Fatalf("read from CheckTx, the proposal holds %d txs; decoded, %d", len(read), len(decoded))
	}
	for i := range read {
		if string(read[i]) != string(decoded[i]) {
			t.Fatalf("proposals differ at tx %d", i)
		}
	}
}

package app_test

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/telemetry"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	srtypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// sends signs n bank sends of 1,000 uaic from ta's first account to its
// second, at sequences 0..n-1, with 200,000 gas each.
func sends(t testing.TB, ta *apptesting.TestApp, n int) [][]byte { return sendsGas(t, ta, n, 200_000) }

// sendsGas is sends with gas limit gas.
func sendsGas(t testing.TB, ta *apptesting.TestApp, n int, gas uint64) [][]byte {
	t.Helper()
	txs := make([][]byte, n)
	for i := range txs {
		txs[i] = ta.SignTx(ta.Accounts[0], uint64(i), gas, oneSend(ta))
	}
	return txs
}

// oneSend is a bank send of 1,000 uaic from ta's first account to its second.
func oneSend(ta *apptesting.TestApp) sdk.Msg {
	return banktypes.NewMsgSend(ta.Accounts[0].Address, ta.Accounts[1].Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1_000)))
}

// propose is the transactions of txs ta's validator puts in the block it
// proposes at the current height.
func propose(t testing.TB, ta *apptesting.TestApp, txs [][]byte) [][]byte {
	t.Helper()
	res, err := ta.PrepareProposal(&abci.RequestPrepareProposal{
		Height: ta.Ctx.BlockHeight(), Time: ta.Ctx.BlockTime(), MaxTxBytes: 1 << 20, Txs: txs,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Txs
}

// With [proposer] max-exec-time, a validator's proposals hold the gas its
// node executed in that time at its measured pace: with a time no block
// fits in, one transaction (the first always fits); before the node has
// executed a block of transactions, all of them. The budget is the
// proposer's own policy: another validator accepts a block above it.
func TestProposalsFitMaxExecTime(t *testing.T) {
	ta := apptesting.SetupWithOptions(t, 2, map[string]any{"proposer.max-exec-time": "1ns"})
	txs := sends(t, ta, 30)
	if got := len(propose(t, ta, txs)); got != 30 {
		t.Fatalf("proposal holds %d of 30 txs before the node measured its pace, want all", got)
	}
	for i, r := range ta.NextBlockWithTxs(txs[:5]) {
		if r.Code != 0 {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	if got := len(propose(t, ta, txs[5:])); got != 1 {
		t.Fatalf("proposal holds %d txs with max-exec-time 1ns, want the first alone", got)
	}
	res, err := ta.ProcessProposal(&abci.RequestProcessProposal{
		Height: ta.Ctx.BlockHeight(), Time: ta.Ctx.BlockTime(), Txs: txs[5:],
		Hash: []byte("block-hash-for-tests-0000000000000000"),
	})
	if err != nil || res.Status != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("a block above this validator's budget: %v, %v; want ACCEPT", res, err)
	}

	// Without max-exec-time (an app.toml from before it) there is no such
	// budget.
	plain := apptesting.Setup(t, 2)
	txs = sends(t, plain, 30)
	plain.NextBlockWithTxs(txs[:5])
	if got := len(propose(t, plain, txs[5:])); got != 25 {
		t.Fatalf("proposal holds %d of 25 txs without max-exec-time, want all", got)
	}
}

// A max-exec-time that is not a duration stops the node at start, naming
// the setting, instead of running without the budget the operator meant.
func TestMaxExecTimeMustBeADuration(t *testing.T) {
	for _, bad := range []any{"fast", "-1s"} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("max-exec-time %q: the app started", bad)
				} else if _, ok := r.(error); !ok {
					t.Errorf("max-exec-time %q: panicked with %v, want an error", bad, r)
				}
			}()
			apptesting.SetupWithOptions(t, 1, map[string]any{"proposer.max-exec-time": bad})
		}()
	}
}

// The node times each kind of transaction in the blocks it executes
// (FinalizeBlock through the real ante handler): after a block of bank
// sends it has a pace for sends and none for locks; after a block holding
// a lock, one for locks too, and the sends' is kept.
func TestNodeTimesEachKind(t *testing.T) {
	ta := apptesting.SetupWithOptions(t, 2, map[string]any{"proposer.max-exec-time": "1s"})
	if _, ok := ta.PaceOf(&banktypes.MsgSend{}); ok {
		t.Fatal("a pace before any block")
	}
	for i, r := range ta.NextBlockWithTxs(sends(t, ta, 5)) {
		if r.Code != 0 {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	send, ok := ta.PaceOf(&banktypes.MsgSend{})
	if !ok || send <= 0 {
		t.Fatalf("no pace for bank sends after a block of them: %v %v", send, ok)
	}
	if _, ok := ta.PaceOf(&srtypes.MsgLock{}); ok {
		t.Fatal("a pace for locks before any lock ran")
	}
	owner := ta.Accounts[1]
	lock := ta.SignTx(owner, 0, 300_000, &srtypes.MsgLock{
		Owner: owner.Address.String(), Amount: sdk.NewInt64Coin(app.BondDenom, 1_000_000), Duration: 7 * 24 * time.Hour,
	})
	for i, r := range ta.NextBlockWithTxs([][]byte{lock}) {
		if r.Code != 0 {
			t.Fatalf("lock tx %d: %s", i, r.Log)
		}
	}
	if ns, ok := ta.PaceOf(&srtypes.MsgLock{}); !ok || ns <= 0 {
		t.Fatalf("no pace for locks after a block with one: %v %v", ns, ok)
	}
	if ns, ok := ta.PaceOf(&banktypes.MsgSend{}); !ok || ns != send {
		t.Fatalf("the sends' pace moved (%v → %v) in a block without sends", send, ns)
	}
}

// A proposer (or a flood that reached one) puts in a block transactions
// that fail in their ante handler, free to their senders (a stale
// sequence: no fee is taken), each asking for much gas: the node's pace
// for the kind must not fall, or its own proposals would overrun
// max-exec-time by as much.
func TestAttackPaceStaleSequenceFlood(t *testing.T) {
	ta := apptesting.SetupWithOptions(t, 2, map[string]any{"proposer.max-exec-time": "1s"})
	good := sends(t, ta, 6)
	for i, r := range ta.NextBlockWithTxs(good[:5]) {
		if r.Code != 0 {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	before, ok := ta.PaceOf(&banktypes.MsgSend{})
	if !ok {
		t.Fatal("no pace after a block of sends")
	}
	from, to := ta.Accounts[0], ta.Accounts[1]
	block := [][]byte{good[5]}
	for range 40 { // sequence 0 again: refused by the ante handler
		block = append(block, ta.SignTx(from, 0, 2_000_000,
			banktypes.NewMsgSend(from.Address, to.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))))
	}
	balance := ta.BankKeeper.GetBalance(ta.Ctx, from.Address, app.BondDenom)
	res := ta.NextBlockWithTxs(block)
	if res[0].Code != 0 {
		t.Fatalf("the good send failed: %s", res[0].Log)
	}
	for i, r := range res[1:] {
		if r.Code == 0 || r.GasWanted != 2_000_000 {
			t.Fatalf("stale tx %d: code %d, gas wanted %d; want refused, asking 2,000,000", i, r.Code, r.GasWanted)
		}
	}
	if got := ta.BankKeeper.GetBalance(ta.Ctx, from.Address, app.BondDenom); !got.Equal(balance.SubAmount(sdkmath.NewInt(1_000))) {
		t.Fatalf("sender's balance %s, want %s less the good send's 1,000 only (the refused txs are free)", got, balance)
	}
	if after, _ := ta.PaceOf(&banktypes.MsgSend{}); after < before {
		t.Fatalf("80,000,000 gas of refused txs lowered the sends' pace: %v → %v ns/gas", before, after)
	}
}

// TestPaceGaugesEachKind: with telemetry on, the node exports each kind's
// pace as aichain_proposer_exec_ns_per_gas_by_kind, labelled with its
// message's type URL, equal to the pace its proposals use; a kind keeps its
// gauge through blocks without it.
func TestPaceGaugesEachKind(t *testing.T) {
	m, err := telemetry.New(telemetry.Config{Enabled: true, PrometheusRetentionTime: 60})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = telemetry.New(telemetry.Config{Enabled: false}) })
	ta := apptesting.SetupWithOptions(t, 2, map[string]any{"proposer.max-exec-time": "1s"})
	for i, r := range ta.NextBlockWithTxs(sends(t, ta, 5)) {
		if r.Code != 0 {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	owner := ta.Accounts[1]
	lock := ta.SignTx(owner, 0, 300_000, &srtypes.MsgLock{
		Owner: owner.Address.String(), Amount: sdk.NewInt64Coin(app.BondDenom, 1_000_000), Duration: 7 * 24 * time.Hour,
	})
	for i, r := range ta.NextBlockWithTxs([][]byte{lock}) {
		if r.Code != 0 {
			t.Fatalf("lock tx %d: %s", i, r.Log)
		}
	}
	res, err := m.Gather(telemetry.FormatPrometheus)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []sdk.Msg{&banktypes.MsgSend{}, &srtypes.MsgLock{}} {
		want, ok := ta.PaceOf(msg)
		if !ok {
			t.Fatalf("no pace for %s", sdk.MsgTypeURL(msg))
		}
		re := regexp.MustCompile(`(?m)^aichain_proposer_exec_ns_per_gas_by_kind\{msg="` +
			regexp.QuoteMeta(sdk.MsgTypeURL(msg)) + `"\} (\S+)$`)
		got := re.FindSubmatch(res.Metrics)
		if got == nil {
			t.Fatalf("no gauge of %s's pace in:\n%s", sdk.MsgTypeURL(msg), res.Metrics)
		}
		v, err := strconv.ParseFloat(string(got[1]), 32)
		if err != nil || float32(v) != float32(want) {
			t.Fatalf("%s's gauge %s, want its pace %v (%v)", sdk.MsgTypeURL(msg), got[1], float32(want), err)
		}
	}
}

package app

import (
	"context"
	"errors"
	"math/rand"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	txsigning "cosmossdk.io/x/tx/signing"
	"cosmossdk.io/x/tx/signing/direct"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// TestAttackPrecheckForgedBroadcastBurnsVictimsSlotApp: Mallory knows
// Alice's next sequence (it is public: her last transaction in the mempool
// or in a block). Before Alice's broadcast reaches the node, Mallory
// broadcasts over the same gRPC tx service (from her own connection) a
// transaction in Alice's name at that sequence with a garbage signature.
// sigPrecheck.claim marks Alice's (signer, sequence) as tried before
// verifying, so Mallory's forgery (which fails, and pays no fee: CheckTx
// refuses it) spends Alice's one precheck; Alice's genuine transaction at
// that sequence, from her own connection, is then not prechecked, and its
// signature is verified under the app's lock in CheckTx (196 of CheckTx's
// 258 µs, sigprecheck.go). One free broadcast per victim and sequence
// cancels the optimisation for every signer in the book (16,384), for
// nothing.
func TestAttackPrecheckForgedBroadcastBurnsVictimsSlotApp(t *testing.T) {
	f := newMemoFixture(t, 16)
	f.checkTxMode() // Alice's tx at sequence 3 passed CheckTx: her next is 4

	honest := f.tx("memo-1", 4, 1)
	forgery := f.forged(f.tx("memo-1", 4, 2)) // Mallory: Alice's name, sequence 4, bad signature

	inner := &slowBroadcast{release: make(chan struct{})}
	close(inner.release) // the inner service answers at once
	svc := newLimitedTxService(inner, broadcastSlots, f.d.pre)
	from := func(ip string) context.Context {
		return peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}})
	}
	broadcast := func(ctx context.Context, tx sdk.Tx) {
		if _, err := svc.BroadcastTx(ctx, &txtypes.BroadcastTxRequest{TxBytes: f.bytes(tx), Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC}); err != nil {
			t.Fatal(err)
		}
	}

	before := f.memoLen()
	broadcast(from("203.0.113.66"), forgery) // Mallory
	if f.memoLen() != before || f.inMemo(forgery) {
		t.Fatal("the forgery entered the memo")
	}
	if ok, _ := f.check(forgery); ok {
		t.Fatal("CheckTx passed the forgery")
	}
	broadcast(from("198.51.100.7"), honest) // Alice, her genuine next transaction
	if !f.inMemo(honest) {
		t.Fatalf("Alice's valid transaction at her next sequence was not prechecked after Mallory's forged broadcast "+
			"in her name (memo %d entries): a free forgery took her precheck", f.memoLen())
	}
}

// cometMaxTxBytes is CometBFT's default mempool max_tx_bytes (1 MiB, as
// in build/bench/chain/node0/config/config.toml): the node refuses a larger
// transaction before the app's CheckTx sees it.
const cometMaxTxBytes = 1 << 20

// TestAttackPrecheckDecodesOversizedBroadcastApp: anyone, with no account,
// sends the node's gRPC tx service (max-recv-msg-size 10 MiB) an 8 MB
// transaction of 60,000 bank sends. CometBFT refuses it at once (it is over
// max_tx_bytes), but limitedTxService first runs sigPrecheck.run on it in
// one of the two broadcast slots: a full decode and GetSigners of the whole
// transaction (~180 ms of CPU here), for a transaction no mempool will ever
// hold. Two clients keep both slots (and, on a 2-core validator, both
// cores) busy for free; every honest broadcast waits behind them.
func TestAttackPrecheckDecodesOversizedBroadcastApp(t *testing.T) {
	f := newMemoFixture(t, 16)
	var msgs []sdk.Msg
	for range 60_000 {
		msgs = append(msgs, banktypes.NewMsgSend(f.addr, f.addr, sdk.NewCoins(sdk.NewInt64Coin("uaic", 1))))
	}
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(1)), f.enc.TxConfig, msgs, nil, 100_000,
		"memo-1", []uint64{7}, []uint64{3}, f.priv)
	if err != nil {
		t.Fatal(err)
	}
	bz := f.bytes(tx)
	if len(bz) <= cometMaxTxBytes || len(bz) > 10<<20 {
		t.Fatalf("the attack's tx is %d bytes, want over max_tx_bytes and within the gRPC limit", len(bz))
	}
	var decoded, decodedBytes int
	decode := f.enc.TxConfig.TxDecoder()
	pre := newSigPrecheck(f.d.pre.memo, func(b []byte) (sdk.Tx, error) {
		decoded++
		decodedBytes += len(b)
		return decode(b)
	}, f.enc.TxConfig.SignModeHandler())
	inner := &slowBroadcast{release: make(chan struct{})}
	close(inner.release) // CometBFT answers at once: tx too large
	svc := newLimitedTxService(inner, broadcastSlots, pre)
	start := time.Now()
	_, err = svc.BroadcastTx(context.Background(), &txtypes.BroadcastTxRequest{TxBytes: bz, Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC})
	held := time.Since(start)
	if decoded != 0 {
		t.Fatalf("a %d-byte broadcast (over max_tx_bytes %d, refused by CometBFT) was decoded by the precheck "+
			"(%d bytes), holding a broadcast slot for %s", len(bz), cometMaxTxBytes, decodedBytes, held)
	}
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("a %d-byte broadcast over max_tx_bytes: %v, want InvalidArgument", len(bz), err)
	}
	// A simulation of it is refused the same way, before the SDK decodes it.
	sim := &slowSimulate{release: make(chan struct{})}
	close(sim.release)
	if _, err := newLimitedTxService(sim, broadcastSlots, pre).Simulate(context.Background(), &txtypes.SimulateRequest{TxBytes: bz}); status.Code(err) != codes.InvalidArgument || sim.calls.Load() != 0 {
		t.Fatalf("a %d-byte simulation over max_tx_bytes: %v (%d run), want InvalidArgument and none run", len(bz), err, sim.calls.Load())
	}
}

// slowSimulate is a tx service whose Simulate holds until release
// is closed, counting the calls inside it at once.
type slowSimulate struct {
	txtypes.UnimplementedServiceServer
	release      chan struct{}
	inside, peak atomic.Int32
	calls        atomic.Int32
}

func (s *slowSimulate) Simulate(context.Context, *txtypes.SimulateRequest) (*txtypes.SimulateResponse, error) {
	s.calls.Add(1)
	n := s.inside.Add(1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	<-s.release
	s.inside.Add(-1)
	return &txtypes.SimulateResponse{}, nil
}

// TestAttackSimulateFloodUnboundedApp: the node's gRPC tx service bounds
// BroadcastTx to broadcastSlots calls at once because every call in flight
// is a goroutine competing with consensus for a core (broadcast_limit.go:
// with 8 slots, block intervals stretched). Simulate, on the same port and
// open to the same clients, runs a whole transaction (ante and every
// message, with an infinite gas meter: SetUpContextDecorator meters nothing
// when simulating) on the check state, and has no such bound: a client
// opening many Simulate calls of heavy transactions (an 8 MB transaction of
// 60,000 messages, free: no fee, no signature needed) gets as many
// goroutines running as it opens calls.
func TestAttackSimulateFloodUnboundedApp(t *testing.T) {
	inner := &slowSimulate{release: make(chan struct{})}
	svc := newLimitedTxService(inner, broadcastSlots, nil)
	const flood = 5 * broadcastSlots
	var wg sync.WaitGroup
	for i := range flood {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.Simulate(peerCtx(i), &txtypes.SimulateRequest{}); err != nil {
				t.Error(err)
			}
		}()
	}
	for inner.inside.Load() < simulateSlots {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // room for any call past the limit to get in
	got := inner.inside.Load()
	close(inner.release)
	wg.Wait()
	if got > simulateSlots {
		t.Fatalf("%d of %d Simulate calls opened ran at once through the node's tx service, at most %d allowed (BroadcastTx's bound is %d)",
			got, flood, simulateSlots, broadcastSlots)
	}
}

// TestAttackSimulateFloodBlocksBroadcastsApp: simulations are free (no
// fee, no valid signature). Bounded in the broadcasts' own pool, a client
// holding every slot with slow simulations would keep every other client's
// transactions from being broadcast through the node; they have a pool of
// their own, and a broadcast goes through while the flood waits.
func TestAttackSimulateFloodBlocksBroadcastsApp(t *testing.T) {
	inner := &slowSimulate{release: make(chan struct{})}
	svc := newLimitedTxService(inner, broadcastSlots, nil)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(inner.release)
	for i := range 4 * broadcastSlots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = svc.Simulate(peerCtx(i), &txtypes.SimulateRequest{})
		}()
	}
	for inner.inside.Load() < simulateSlots {
		time.Sleep(time.Millisecond)
	}
	// The inner service has no BroadcastTx: a call that got a slot is
	// answered Unimplemented; one still waiting for a slot when its context
	// ends, DeadlineExceeded.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := svc.BroadcastTx(ctx, &txtypes.BroadcastTxRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("a broadcast during a flood of simulations: %v, want it run (Unimplemented by the test's service)", err)
	}
}

// countingDirect is SIGN_MODE_DIRECT counting the sign bytes it
// builds.
type countingDirect struct {
	direct.SignModeHandler
	built *int
}

func (h countingDirect) GetSignBytes(ctx context.Context, d txsigning.SignerData, tx txsigning.TxData) ([]byte, error) {
	*h.built++
	return h.SignModeHandler.GetSignBytes(ctx, d, tx)
}

// TestAttackMemoKeysBeforeSequenceCheckApp: memoSigVerifyDecorator builds
// the memo key of every signature of a transaction (d.keys: the sign bytes
// of each signer, and a SHA-256 over them) before the SDK's decorator has
// checked a single sequence, and without charging gas (an infinite meter).
// Mallory sends CheckTx a transaction of 7 signers (TxSigLimit) at a stale
// sequence: the SDK refuses it on the first signer's sequence without
// building any sign bytes, and a refused CheckTx pays no fee; this node
// first builds all 7, and with a valid sequence and a bad first signature
// 7 + 1 where the SDK builds 1. In SIGN_MODE_LEGACY_AMINO_JSON each is the
// JSON of the whole transaction (~38 ms for 0.94 MB). On the real app
// (apptesting.Setup, 7 accounts; best of 3, measured while writing this
// test) the CheckTx of a 0.94 MB transaction of 7,000 bank sends (under
// CometBFT's max_tx_bytes), all refused: 7 signers, amino, stale sequence
// 275 ms, bad signature 303 ms; the same in DIRECT 23-27 ms; 1 signer,
// amino, stale sequence 56 ms (the most a refused transaction costs
// without the memo is one sign-bytes build: ~56 ms). So ~5x the free
// CheckTx work per transaction, under the app's lock that FinalizeBlock
// and Commit wait for; repeatable for free (CometBFT drops a refused
// transaction from its cache), over RPC or a peer's mempool gossip. The
// same runs in FinalizeBlock, where a proposer may fill a block with such
// transactions (each refused, no fee) and make every validator execute
// ~5x longer. This test counts the sign bytes built (DIRECT, to count them
// exactly).
func TestAttackMemoKeysBeforeSequenceCheckApp(t *testing.T) {
	f := newMemoFixture(t, 16)
	built := 0
	hm := txsigning.NewHandlerMap(countingDirect{built: &built})
	d := memoSigVerifyDecorator{verify: ante.NewSigVerificationDecorator(f.ak, hm), ak: f.ak, handler: hm, memo: newSigMemo(16)}
	var (
		privs   []cryptotypes.PrivKey
		accNums []uint64
		seqs    []uint64
		msgs    []sdk.Msg
	)
	for i := range 7 {
		p := secp256k1.GenPrivKey()
		a := sdk.AccAddress(p.PubKey().Address())
		f.ak.accs[string(a)] = authtypes.NewBaseAccount(a, p.PubKey(), uint64(10+i), 3)         // next sequence 3
		privs, accNums, seqs = append(privs, p), append(accNums, uint64(10+i)), append(seqs, 9) // stale: 9
		msgs = append(msgs, banktypes.NewMsgSend(a, a, sdk.NewCoins(sdk.NewInt64Coin("uaic", 1))))
	}
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(1)), f.enc.TxConfig, msgs, nil, 1_000_000,
		"memo-1", accNums, seqs, privs...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := f.ctx.WithIsCheckTx(true)
	if _, err := d.verify.AnteHandle(ctx, tx, false, func(c sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return c, nil }); !errors.Is(err, sdkerrors.ErrWrongSequence) {
		t.Fatalf("the SDK's decorator alone: %v, want ErrWrongSequence", err)
	}
	sdkBuilt := built
	built = 0
	if _, err := d.AnteHandle(ctx, tx, false, func(c sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return c, nil }); !errors.Is(err, sdkerrors.ErrWrongSequence) {
		t.Fatalf("the memo decorator: %v, want ErrWrongSequence", err)
	}
	if built > sdkBuilt {
		t.Fatalf("CheckTx of a transaction refused on its stale sequence built %d sign bytes (the SDK's decorator alone: %d), "+
			"for no fee and no gas", built, sdkBuilt)
	}
	// At the sequences the accounts expect, with the first signature bad, the
	// memo builds one key (not in the memo), then the SDK's decorator stops
	// at that signature: one sign bytes more than the SDK alone, not 7.
	for i := range privs {
		if err := f.ak.accs[string(sdk.AccAddress(privs[i].PubKey().Address()))].SetSequence(9); err != nil {
			t.Fatal(err)
		}
	}
	forged := f.forged(tx)
	built = 0
	if _, err := d.verify.AnteHandle(ctx, forged, false, func(c sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return c, nil }); !errors.Is(err, sdkerrors.ErrUnauthorized) {
		t.Fatalf("the SDK's decorator alone, first signature forged: %v, want ErrUnauthorized", err)
	}
	sdkBuilt, built = built, 0
	if _, err := d.AnteHandle(ctx, forged, false, func(c sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return c, nil }); !errors.Is(err, sdkerrors.ErrUnauthorized) {
		t.Fatalf("the memo decorator, first signature forged: %v, want ErrUnauthorized", err)
	}
	if built > sdkBuilt+1 {
		t.Fatalf("CheckTx of a transaction with its first signature forged built %d sign bytes (the SDK's decorator alone: %d)", built, sdkBuilt)
	}
}

// TestAttackPrecheckForgeryFloodBoundedApp: Mallory broadcasts forgery after
// forgery in Alice's name at her next sequence. The precheck verifies at
// most precheckTries of them (each also verified by CheckTx under the lock,
// for no fee, as any forgery at the right sequence is); past them a
// transaction at that sequence goes the usual way.
func TestAttackPrecheckForgeryFloodBoundedApp(t *testing.T) {
	f := newMemoFixture(t, 16)
	f.checkTxMode()
	built := 0
	hm := txsigning.NewHandlerMap(countingDirect{built: &built})
	pre := newSigPrecheck(f.d.pre.memo, f.enc.TxConfig.TxDecoder(), hm)
	pre.learn("memo-1", fixtureGate, []signerState{{addr: string(f.addr), accNum: 7, pk: f.priv.PubKey(), seq: 4}})
	for i := range 10 * precheckTries {
		pre.run(f.bytes(f.forged(f.tx("memo-1", 4, int64(i+2)))))
	}
	if built != precheckTries {
		t.Fatalf("a flood of %d forgeries at one signer's sequence was prechecked %d times, want %d", 10*precheckTries, built, precheckTries)
	}
	honest := f.tx("memo-1", 4, 1)
	pre.run(f.bytes(honest))
	if f.inMemo(honest) || built != precheckTries {
		t.Fatalf("a precheck past %d tries at one sequence (%d sign bytes built)", precheckTries, built)
	}
	// Alice's next transaction that passes resets the count.
	pre.learn("memo-1", fixtureGate, []signerState{{addr: string(f.addr), accNum: 7, pk: f.priv.PubKey(), seq: 5}})
	f.passed(5)
	next := f.tx("memo-1", 5, 1)
	pre.run(f.bytes(next))
	if !f.inMemo(next) {
		t.Fatal("the sequence after a passed transaction was not prechecked")
	}
}

// MaxSimulateGas is the most gas a simulation may use.
const MaxSimulateGas = maxSimulateGas

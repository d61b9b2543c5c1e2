package app_test

import (
	"context"
	"math"
	"math/rand"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// TestAttackSimulateQueueStarvesHonestSenders: Simulate ran in a pool of 1
// (simulateSlots) whose waiters were served in arrival order (a channel
// send), with no bound on the waiters, no per-client share and no bound on
// how long one may wait but the caller's own deadline. A simulation is free
// (no fee, no valid signature), and the gas cap lets each run ~100,000,000
// gas. Mallory keeps K heavy simulations open (a ~1 MiB transaction of
// 6,500 sends, refused out of gas at the cap), simulatePerPeer per
// connection: in arrival order every other client's simulation waited
// behind all K, each ~c of CPU. Wallets (cosmjs "auto" gas) and the
// provider agent simulate before every send (provider/batch.go: send calls
// chainclient.Simulate, then Send): with the node's simulations starved,
// they could not send at all, so the separate pool that was to keep
// broadcasts flowing (TestAttackSimulateFloodBlocksBroadcastsApp) did not,
// for them; a provider whose node is starved misses its commit and reveal
// windows. The waiters are now served smallest transaction first: the
// honest simulation of one send waits for at most the heavy calls already
// running, while the flood waits.
func TestAttackSimulateQueueStarvesHonestSenders(t *testing.T) {
	ta := apptesting.Setup(t, 2)
	addr := serveNodeGRPC(t, ta)
	// Each client dials from a loopback address of its own (127.0.0.host):
	// the node counts simulations by the caller's IP address.
	dial := func(host int) txtypes.ServiceClient {
		return txtypes.NewServiceClient(dialNodeGRPC(t, ta, addr, net.IPv4(127, 0, byte(host>>8), byte(host))))
	}
	malloryConn, honestConn := dial(2), dial(3) // one peer address each

	// Mallory's heavy simulation: 6,500 self-sends, ~1 MiB (under
	// max_tx_bytes), run until the 100,000,000-gas cap.
	mallory, honest := ta.Accounts[0], ta.Accounts[1]
	msgs := make([]sdk.Msg, 6_500)
	for i := range msgs {
		msgs[i] = banktypes.NewMsgSend(mallory.Address, mallory.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	}
	heavy := ta.SignTx(mallory, ta.AccountKeeper.GetAccount(ta.Ctx, mallory.Address).GetSequence(), 1, msgs...)
	start := time.Now()
	_, _ = malloryConn.Simulate(context.Background(), &txtypes.SimulateRequest{TxBytes: heavy})
	c := time.Since(start)

	// Alice's (or a provider agent's) simulation of one send.
	acc := ta.AccountKeeper.GetAccount(ta.Ctx, honest.Address)
	one := banktypes.NewMsgSend(honest.Address, mallory.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 5)))
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(3)), ta.TxConfig(), []sdk.Msg{one}, sdk.Coins{}, 0,
		apptesting.ChainID, []uint64{acc.GetAccountNumber()}, []uint64{acc.GetSequence()}, honest.Priv)
	if err != nil {
		t.Fatal(err)
	}
	small, err := ta.TxConfig().TxEncoder()(tx)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := honestConn.Simulate(context.Background(), &txtypes.SimulateRequest{TxBytes: small}); err != nil {
		t.Fatalf("the honest simulation alone: %v", err)
	}
	alone := time.Since(start)

	// The honest client waits 5 s, 100s of blocks' worth of its own work.
	// Mallory opens her calls from as many addresses as the node lets her
	// keep them open (a host of her own per SimulatePerPeer calls).
	const patience = 5 * time.Second
	k := int(math.Ceil(3*patience.Seconds()/c.Seconds())) + 2
	conns := make([]txtypes.ServiceClient, (k+app.SimulatePerPeer-1)/app.SimulatePerPeer)
	for i := range conns {
		conns[i] = dial(16 + i)
	}
	attack, stop := context.WithCancel(context.Background())
	var (
		wg       sync.WaitGroup
		finished atomic.Int32 // Mallory's calls that ran
	)
	for i := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := conns[i/app.SimulatePerPeer].Simulate(attack, &txtypes.SimulateRequest{TxBytes: heavy})
			if status.Code(err) != codes.ResourceExhausted { // refused at once past the queue's bound: never ran
				finished.Add(1)
			}
		}()
	}
	defer func() { stop(); wg.Wait() }()
	time.Sleep(300 * time.Millisecond) // Mallory's calls are queued first

	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	before := finished.Load()
	start = time.Now()
	_, err = honestConn.Simulate(ctx, &txtypes.SimulateRequest{TxBytes: small})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("one client holding %d heavy simulations open (each %s of the node's time, %d bytes, free) kept another "+
			"client's simulation of one send (%s alone) from running for %s: %v; wallets and the provider agent "+
			"simulate before every send, so they could not send through this node",
			k, c.Round(time.Millisecond), len(heavy), alone.Round(time.Millisecond), took.Round(time.Millisecond), err)
	}
	// How many heavy ones finished meanwhile is not asserted: the other
	// slot keeps running them while the honest one runs, as many as fit in
	// its time on a loaded machine; the order itself is asserted with a
	// stepped service in TestSimulateSmallestFirst.
	t.Logf("%d heavy simulations of %s each open; the honest one took %s (%s alone), %d heavy ones finished meanwhile",
		k, c.Round(time.Millisecond), took.Round(time.Millisecond), alone.Round(time.Millisecond), finished.Load()-before)
}

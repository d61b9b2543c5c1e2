package app_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	abciclient "github.com/cometbft/cometbft/abci/client"
	abci "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtsync "github.com/cometbft/cometbft/libs/sync"
	"github.com/cometbft/cometbft/mempool"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/rpc/core"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/server"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// A flood fills a node's mempool while honest senders broadcast among it,
// many at once, as through the node's RPC and gRPC and its peers. Every
// transaction the node answers with code 0 must be in its mempool, and
// commit: CometBFT's mempool checks for room again after the app admitted
// a transaction, and dropped one a concurrent check had filled the room
// of while its sender was told it was accepted (cometbft/cometbft#1516):
// the sender's coins never moved and its next transactions failed on their
// sequence. The node's real mempool (CometBFT's CListMempool, through the
// local ABCI client as a node runs it) checks each round's transactions
// from several goroutines; each block commits half of what it holds and
// the rest is rechecked, so later rounds start from a mempool that is not
// empty. The sink's balance moves by every accepted transfer, to the coin.
// Without mempoolRoom this fails: more transactions are answered code 0
// than the mempool holds.
func TestAttackFullMempoolDropsNoAcceptedTx(t *testing.T) {
	const size, perRound, rounds, workers = 24, 60, 4, 8
	node := apptesting.SetupWithOptions(t, perRound*rounds+1, map[string]any{"mempool.size": size})
	sink := node.Accounts[perRound*rounds]
	before := node.Balance(sink.Address, app.BondDenom)

	cfg := cmtcfg.DefaultMempoolConfig()
	cfg.Size = size
	conn := proxy.NewAppConnMempool(abciclient.NewLocalClient(new(cmtsync.Mutex), server.NewCometABCIWrapper(node.App)), proxy.NopMetrics())
	mem := mempool.NewCListMempool(cfg, conn, node.LastBlockHeight())
	env := &core.Environment{Mempool: mem}
	node.SetMempoolReader(func(context.Context) (*coretypes.ResultUnconfirmedTxs, error) { return env.NumUnconfirmedTxs(nil) })

	const amount = 7
	accepted := 0
	for round := range rounds {
		txs := make([][]byte, perRound)
		for i := range txs {
			from := node.Accounts[round*perRound+i]
			txs[i] = node.SignTx(from, 0, 200_000,
				banktypes.NewMsgSend(from.Address, sink.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, amount))))
		}
		ok := checkAtOnce(t, mem, txs, workers)
		held := map[string]bool{}
		for _, tx := range mem.ReapMaxTxs(-1) {
			held[string(tx)] = true
		}
		for _, i := range ok {
			if !held[string(txs[i])] {
				t.Errorf("round %d: transaction %d was answered code 0 but is not in the mempool", round, i)
			}
		}
		if mem.Size() != size {
			t.Errorf("round %d: the mempool holds %d transactions, want it full (%d)", round, mem.Size(), size)
		}
		accepted += len(ok)
		// A block commits the older half of what the mempool holds; the rest
		// is rechecked and waits.
		commitBlock(t, node, mem, mem.ReapMaxTxs(size/2))
	}
	commitBlock(t, node, mem, mem.ReapMaxTxs(-1))
	if mem.Size() != 0 {
		t.Fatalf("%d transactions are left in the mempool", mem.Size())
	}
	got := node.Balance(sink.Address, app.BondDenom).Sub(before)
	if want := int64(accepted * amount); !got.Equal(sdkmath.NewInt(want)) {
		t.Errorf("the sink received %s, want %d: every transfer answered code 0 (%d) moves its coins", got, want, accepted)
	}
}

// checkAtOnce hands txs to mem's CheckTx from workers goroutines at once,
// as a node's RPC, gRPC and peers do, and returns the indexes of those
// answered code 0. Every other must be refused as the mempool being full.
func checkAtOnce(t *testing.T, mem *mempool.CListMempool, txs [][]byte, workers int) []int {
	t.Helper()
	codes := make([]uint32, len(txs))
	answered := make([]bool, len(txs))
	var next atomic.Int32
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(txs); i = int(next.Add(1) - 1) {
				err := mem.CheckTx(txs[i], func(res *abci.ResponseCheckTx) {
					codes[i], answered[i] = res.Code, true
					if res.Code != abci.CodeTypeOK &&
						(res.Codespace != sdkerrors.ErrMempoolIsFull.Codespace() || res.Code != sdkerrors.ErrMempoolIsFull.ABCICode()) {
						t.Errorf("transaction %d: refused with %s %d, want the mempool full: %s", i, res.Codespace, res.Code, res.Log)
					}
				}, mempool.TxInfo{})
				var full mempool.ErrMempoolIsFull
				if err != nil && !errors.As(err, &full) {
					t.Errorf("transaction %d: %v, want the mempool full", i, err)
				}
			}
		}()
	}
	wg.Wait()
	var ok []int
	for i := range txs {
		if answered[i] && codes[i] == abci.CodeTypeOK {
			ok = append(ok, i)
		}
	}
	return ok
}

// commitBlock finalizes and commits a block of txs, all of which must
// succeed, and updates mem as a node does after a commit (removing them
// and rechecking the rest under its lock).
func commitBlock(t *testing.T, node *apptesting.TestApp, mem *mempool.CListMempool, txs cmttypes.Txs) {
	t.Helper()
	block := make([][]byte, len(txs))
	for i, tx := range txs {
		block[i] = tx
	}
	res := node.NextBlockWithTxs(block)
	for i, r := range res {
		if r.Code != abci.CodeTypeOK {
			t.Fatalf("transaction %d failed in the block: %d %s", i, r.Code, r.Log)
		}
	}
	mem.Lock()
	defer mem.Unlock()
	if err := mem.Update(node.LastBlockHeight(), txs, res, nil, nil); err != nil {
		t.Fatal(err)
	}
}

package app

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/cometbft/cometbft/rpc/client/local"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/spf13/cast"

	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/client"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// mempoolRoom keeps CheckTx from admitting a transaction that CometBFT's
// mempool would then drop while its sender is told it was accepted.
//
// CometBFT's mempool (CListMempool, v0.38) checks that it is not full
// before it asks the app's CheckTx, and again after the app admitted the
// transaction. In between, other transactions that passed the first check
// while this one waited for the app's lock are added; one the second check
// finds no room for is dropped silently, but broadcast_tx_sync (and the
// SDK's BroadcastTx over gRPC and REST) still answers the app's code 0
// (cometbft/cometbft#1516). Its sender holds a hash that never commits,
// and its next transactions fail on their sequence: under a load run, one
// account's last 73 commit bids were refused so (docs/bench-chain.md).
//
// The room counts the mempool as that second check will see it. When a
// block is committed it reads the mempool's size and bytes afresh, at the
// first new transaction after the commit, and adds every transaction the
// app admits from then on; a transaction that would take the count past
// config.toml's [mempool] size or max_txs_bytes is refused with
// ErrMempoolIsFull (code 20, what CometBFT's first check answers). Why the
// count is never less than the mempool:
//   - a transaction is added to the mempool only within the CometBFT
//     CheckTx call whose app check admitted it (the local client answers
//     at once, and the call holds the mempool's read lock until it has
//     added it or not);
//   - the commit takes the mempool's write lock, so no such call spans it,
//     and removals (the block's transactions, the rechecks) happen under
//     that lock, before the size is read afresh.
//
// So when an admitted transaction meets the second check, the mempool
// holds at most the count less that transaction, and the count is within
// the limits: it is added. Where CometBFT drops an admitted transaction
// for another reason (a duplicate, a gas limit over the block's), the
// count is above the mempool until the next block reads it afresh, which
// refuses early, never drops. The room works only with an in-process node
// (the SDK's start with CometBFT, whose client is *local.Local): the app
// served over a socket has no such lock order, and reading the mempool
// over HTTP from CheckTx would cost a round trip. The SDK hands the app
// the node's client (RegisterTxService) only where the node serves gRPC or
// REST (app.toml [grpc] or [api] enable; make localnet and the defaults
// have both): a node with neither, or without a client, admits as before.
type mempoolRoom struct {
	size     int   // [mempool] size
	maxBytes int64 // [mempool] max_txs_bytes
	read     atomic.Pointer[mempoolReader]

	mu    sync.Mutex
	stale bool  // a block was committed since txs and bytes were read
	txs   int   // the mempool's transactions when read, plus those admitted since
	bytes int64 // the same, in bytes
}

// mempoolReader reads the node's mempool: CometBFT's num_unconfirmed_txs.
type mempoolReader func(context.Context) (*coretypes.ResultUnconfirmedTxs, error)

// CometBFT's defaults for [mempool] size and max_txs_bytes.
const (
	defaultMempoolSize     = 5000
	defaultMempoolMaxBytes = 1 << 30
)

// newMempoolRoom reads [mempool] size and max_txs_bytes as the node does
// (the SDK's start command merges config.toml into the app options).
func newMempoolRoom(opts servertypes.AppOptions) *mempoolRoom {
	r := &mempoolRoom{size: defaultMempoolSize, maxBytes: defaultMempoolMaxBytes, stale: true}
	if opts != nil {
		if n := cast.ToInt(opts.Get("mempool.size")); n > 0 {
			r.size = n
		}
		if n := cast.ToInt64(opts.Get("mempool.max_txs_bytes")); n > 0 {
			r.maxBytes = n
		}
	}
	return r
}

// watch makes the room read the mempool of the node clientCtx's client
// runs in this process; another client leaves the room as it is.
func (r *mempoolRoom) watch(clientCtx client.Context) {
	if c, ok := clientCtx.Client.(*local.Local); ok {
		r.setReader(c.NumUnconfirmedTxs)
	}
}

func (r *mempoolRoom) setReader(read mempoolReader) { r.read.Store(&read) }

// committed is called when a block is committed: the mempool is read
// afresh at the next new transaction.
func (r *mempoolRoom) committed() {
	r.mu.Lock()
	r.stale = true
	r.mu.Unlock()
}

// admit says whether a new transaction of n bytes has room; where it has,
// the transaction is counted only when the app admits it (took).
func (r *mempoolRoom) admit(n int) error {
	read := r.read.Load()
	if read == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stale {
		res, err := (*read)(context.Background())
		if err != nil || res == nil {
			return nil // unread: admit as CometBFT would, and read at the next
		}
		r.txs, r.bytes, r.stale = res.Total, res.TotalBytes, false
	}
	if r.txs >= r.size || r.bytes+int64(n) > r.maxBytes {
		return errorsmod.Wrapf(sdkerrors.ErrMempoolIsFull,
			"the node's mempool holds or has admitted %d of %d transactions, %d of %d bytes",
			r.txs, r.size, r.bytes, r.maxBytes)
	}
	return nil
}

// took counts a new transaction of n bytes the app admitted.
func (r *mempoolRoom) took(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stale { // read, so a reader is set
		r.txs++
		r.bytes += int64(n)
	}
}

package app

import (
	"context"
	"reflect"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	"cosmossdk.io/log"
	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// PaceOf is the pace (ns per unit of gas limit) the node measured for
// transactions whose first message is of msg's type, and whether it has
// measured one.
func (app *App) PaceOf(msg sdk.Msg) (float64, bool) {
	ps, ok := app.pace.snapshot()
	if !ok {
		return 0, false
	}
	ns, ok := ps.kinds[reflect.TypeOf(msg)]
	return ns, ok
}

// ProposalDecodes is how many candidate transactions the node's proposals
// decoded (those CheckTx had not admitted, or had forgotten).
func (app *App) ProposalDecodes() int64 { return app.proposalTxs.decoded.Load() }

// CheckedTxs is how many transactions the node remembers from CheckTx.
func (app *App) CheckedTxs() int {
	n, _ := app.proposalTxs.checked.size()
	return n
}

// SetBlockLogger makes the node's line per block (blockLog) go to l.
func (app *App) SetBlockLogger(l log.Logger) { app.blocks.logger = l }

// BroadcastSlots is how many broadcasts the node's gRPC tx service checks
// at once.
const BroadcastSlots = broadcastSlots

// KVStoreKeys is the app's KV store keys, for a test that listens to what
// a block writes.
func (app *App) KVStoreKeys() []storetypes.StoreKey {
	out := make([]storetypes.StoreKey, 0, len(app.keys))
	for _, k := range app.keys {
		out = append(out, k)
	}
	return out
}

// SetMempoolReader makes CheckTx read the node's mempool with read, as
// RegisterTxService does with an in-process node's client (mempoolRoom).
func (app *App) SetMempoolReader(read func(context.Context) (*coretypes.ResultUnconfirmedTxs, error)) {
	app.room.setReader(read)
}

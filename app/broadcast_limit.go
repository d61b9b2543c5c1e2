package app

import (
	"context"

	"google.golang.org/grpc/status"

	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
)

// broadcastSlots is how many BroadcastTx calls of the node's gRPC tx
// service (and of its REST gateway) may be checking their transaction at
// once.
const broadcastSlots = 8

// limitedTxService is the SDK's tx service with BroadcastTx calls past
// broadcastSlots waiting for a slot. CheckTx and the consensus steps
// (proposal, vote extensions, FinalizeBlock, Commit) take one lock on the
// app, and Go hands a contended lock over in arrival order: with hundreds
// of clients broadcasting at once, every consensus step of every height
// queued behind all their CheckTx calls, and blocks came late (a client
// flooding a validator's gRPC port could slow its consensus at will). A
// call waiting for a slot holds no lock, and gives up when its context
// ends. Holding a slot, a call first verifies its transaction's
// signatures outside the app's lock where pre allows (sigPrecheck; pre may
// be nil). The other methods are the SDK's, unchanged.
type limitedTxService struct {
	txtypes.ServiceServer
	slots chan struct{}
	pre   *sigPrecheck
}

func newLimitedTxService(inner txtypes.ServiceServer, slots int, pre *sigPrecheck) limitedTxService {
	return limitedTxService{ServiceServer: inner, slots: make(chan struct{}, slots), pre: pre}
}

func (s limitedTxService) BroadcastTx(ctx context.Context, req *txtypes.BroadcastTxRequest) (*txtypes.BroadcastTxResponse, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	defer func() { <-s.slots }()
	s.pre.run(req.GetTxBytes())
	return s.ServiceServer.BroadcastTx(ctx, req)
}

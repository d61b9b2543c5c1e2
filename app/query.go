package app

import (
	"context"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/grpc/status"

	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/baseapp"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// Query is BaseApp's ABCI Query with the node's query bounds. Under
// CometBFT's local client (the SDK's start command) every ABCI Query holds
// the one lock that CheckTx, FinalizeBlock and Commit need, and anyone who
// reaches the node's RPC sends abci_query for free, so:
//   - "/app/simulate" is refused (ErrInvalidRequest), as BaseApp refuses a
//     broadcast: it ran any transaction to the simulation gas cap under the
//     lock, through none of the tx service's bounds
//     (TestAttackAbciQuerySimulatesUnbounded). Clients simulate through the
//     tx service (cosmos.tx.v1beta1.Service/Simulate): over gRPC, or, as the
//     CLI does without --grpc-addr, over ABCI Query, where
//     limitedTxService.Simulate holds it to abciSimulateMaxBytes and a free
//     slot;
//   - the tx service's GetTxsEvent is refused (ErrInvalidRequest): it asks
//     the node's tx indexer, whose search loads every matching transaction
//     ever indexed before it pages, through the in-process client with no
//     deadline, and here it did so under the lock
//     (TestAttackAbciQuerySearchesEveryTxUnderTheLock). Clients search with
//     CometBFT's tx_search or over the gRPC server, outside the lock;
//   - a store query other than "/store/<store>/key" is refused: "subspace"
//     walks and returns every key under the prefix the client gives, a whole
//     collection for a one-byte prefix (TestAttackAbciQueryStoreSubspaceReadsWholeStore);
//     "key" (one key, with its proof: relayers and light clients) is kept;
//   - a query service's request with pagination is bounded as on the gRPC
//     server (boundRequestPage, pagelimit.Bound): the router calls the
//     services without the gRPC server's handlers
//     (TestAttackSDKListQueryTakesAnyLimit).
func (app *App) Query(ctx context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	if err := refusedQueryPath(req.Path); err != nil {
		return sdkerrors.QueryResult(err, false), nil
	}
	if app.GRPCQueryRouter().Route(req.Path) != nil {
		data, err := boundQueryData(req.Path, req.Data)
		if err != nil {
			return sdkerrors.QueryResult(errorsmod.Wrap(sdkerrors.ErrInvalidRequest, status.Convert(err).Message()), false), nil
		}
		if data != nil {
			bounded := *req
			bounded.Data = data
			req = &bounded
		}
	}
	return app.BaseApp.Query(ctx, req)
}

// txSearchPath is the tx service's search by events (a gRPC route: the
// router matches it exactly).
const txSearchPath = "/cosmos.tx.v1beta1.Service/GetTxsEvent"

// refusedQueryPath is the error a path of ABCI Query that the node does not
// serve gets (ErrInvalidRequest), or nil. The path is split as BaseApp
// splits it, so that no other spelling reaches the same handler (a gRPC
// route's first part is its service's name, neither "app" nor "store").
func refusedQueryPath(path string) error {
	if path == txSearchPath {
		return errorsmod.Wrap(sdkerrors.ErrInvalidRequest,
			"this node does not search transactions through abci_query: use CometBFT's tx_search, or GetTxsEvent over gRPC")
	}
	parts := baseapp.SplitABCIQueryPath(path)
	if len(parts) == 0 {
		return nil // BaseApp's own "no query path"
	}
	switch {
	case parts[0] == baseapp.QueryPathApp && len(parts) >= 2 && parts[1] == "simulate":
		return errorsmod.Wrap(sdkerrors.ErrInvalidRequest,
			"this node does not simulate through abci_query /app/simulate: use the tx service, cosmos.tx.v1beta1.Service/Simulate (gRPC)")
	case parts[0] == baseapp.QueryPathStore && (len(parts) < 3 || strings.Join(parts[2:], "/") != "key"):
		return errorsmod.Wrapf(sdkerrors.ErrInvalidRequest,
			"this node answers only /store/<store>/key store queries, not %q: list a collection with its module's paginated query", path)
	}
	return nil
}

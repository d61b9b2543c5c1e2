package app_test

import (
	"context"
	"net"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"google.golang.org/grpc"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"

	"github.com/aichain/aichain/app/apptesting"
)

// txSearchSpy is the node's CometBFT client as the tx service holds it,
// counting the tx index searches it is asked for (any other call panics).
type txSearchSpy struct {
	client.CometRPC
	searches []string
}

func (s *txSearchSpy) TxSearch(_ context.Context, query string, _ bool, _, _ *int, _ string) (*coretypes.ResultTxSearch, error) {
	s.searches = append(s.searches, query)
	return &coretypes.ResultTxSearch{}, nil
}

// TestAttackAbciQuerySearchesEveryTxUnderTheLock: the tx service is
// registered on the app's query router, so ABCI Query serves its
// GetTxsEvent too: any client of the node's CometBFT RPC sends abci_query
// with path "/cosmos.tx.v1beta1.Service/GetTxsEvent" and the query
// "tx.height>0", for free. The service asks the node's tx indexer
// (TxSearch through the in-process client, with context.Background(): no
// deadline, no cancel), whose kv search collects the hash of every
// transaction that matches and loads each one (TxIndex.Search, before any
// page is cut): every transaction the chain ever indexed, per request. And
// it does so inside ABCI Query, which under CometBFT's local client (the
// SDK's start command) holds the one lock that CheckTx, FinalizeBlock and
// Commit need: a stream of such queries stalls the node's mempool and its
// blocks. The node's own tx_search RPC and the gRPC server serve the
// search outside that lock (the RPC's with the request's context), so ABCI
// Query has no reason to.
func TestAttackAbciQuerySearchesEveryTxUnderTheLock(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	spy := &txSearchSpy{}
	reg := ta.InterfaceRegistry()
	ta.RegisterTxService(client.Context{}.WithClient(spy).WithInterfaceRegistry(reg).WithTxConfig(ta.TxConfig()).
		WithCodec(ta.AppCodec()))
	req := &txtypes.GetTxsEventRequest{Query: "tx.height>0", Limit: 1}
	bz, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	res, err := ta.App.Query(context.Background(), &abci.RequestQuery{Path: "/cosmos.tx.v1beta1.Service/GetTxsEvent", Data: bz})
	if len(spy.searches) != 0 {
		t.Fatalf("abci_query GetTxsEvent ran the tx index search %q inside ABCI Query (under the lock CheckTx and "+
			"FinalizeBlock need; code %d): the search loads every matching transaction ever indexed", spy.searches, res.Code)
	}
	if err != nil || res.Code != sdkerrors.ErrInvalidRequest.ABCICode() || res.Codespace != sdkerrors.ErrInvalidRequest.Codespace() {
		t.Fatalf("abci_query GetTxsEvent: %v %d/%s %s; want ErrInvalidRequest", err, res.Code, res.Codespace, res.Log)
	}

	// The gRPC server (outside the lock) still serves it.
	srv := grpc.NewServer(grpc.ForceServerCodec(codec.NewProtoCodec(reg).GRPCCodec()))
	ta.RegisterGRPCServerWithSkipCheckHeader(srv, false)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn := dialNodeGRPC(t, ta, lis.Addr().String(), nil)
	if _, err := txtypes.NewServiceClient(conn).GetTxsEvent(context.Background(), req); err != nil || len(spy.searches) != 1 {
		t.Fatalf("GetTxsEvent over gRPC: %v, %d searches; want the search served", err, len(spy.searches))
	}
}

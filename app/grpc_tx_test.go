package app_test

import (
	"context"
	"math/rand"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// The node's gRPC server, as the SDK's server builds it, serves the tx
// service's Simulate (and BroadcastTx) without the SDK's per-call query
// context (the answer carries no block-height header), and every other
// method and service with it (GetBlockWithTxs reads its height).
func TestTxServiceServedWithoutQueryContext(t *testing.T) {
	ta := apptesting.Setup(t, 2)
	conn := dialNodeGRPC(t, ta, serveNodeGRPC(t, ta), nil)

	from, to := ta.Accounts[0], ta.Accounts[1]
	acc := ta.AccountKeeper.GetAccount(ta.Ctx, from.Address)
	msg := banktypes.NewMsgSend(from.Address, to.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 5)))
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(3)), ta.TxConfig(), []sdk.Msg{msg}, sdk.Coins{}, 200_000,
		apptesting.ChainID, []uint64{acc.GetAccountNumber()}, []uint64{acc.GetSequence()}, from.Priv)
	if err != nil {
		t.Fatal(err)
	}
	bz, err := ta.TxConfig().TxEncoder()(tx)
	if err != nil {
		t.Fatal(err)
	}
	var txHeader, bankHeader metadata.MD
	sim, err := txtypes.NewServiceClient(conn).Simulate(context.Background(), &txtypes.SimulateRequest{TxBytes: bz}, grpc.Header(&txHeader))
	if err != nil {
		t.Fatalf("simulate over gRPC: %v", err)
	}
	if sim.GasInfo.GasUsed == 0 {
		t.Fatal("simulation used no gas")
	}
	if got := txHeader.Get(grpctypes.GRPCBlockHeightHeader); len(got) != 0 {
		t.Fatalf("Simulate went through the SDK's query context (height header %v)", got)
	}
	var decodeHeader metadata.MD
	if _, err := txtypes.NewServiceClient(conn).TxDecode(context.Background(), &txtypes.TxDecodeRequest{TxBytes: bz}, grpc.Header(&decodeHeader)); err != nil {
		t.Fatalf("decode over gRPC: %v", err)
	}
	if got := decodeHeader.Get(grpctypes.GRPCBlockHeightHeader); len(got) != 1 {
		t.Fatalf("the tx service's other methods keep the SDK's query context (height header %v)", got)
	}
	bal, err := banktypes.NewQueryClient(conn).Balance(context.Background(),
		&banktypes.QueryBalanceRequest{Address: from.Address.String(), Denom: app.BondDenom}, grpc.Header(&bankHeader))
	if err != nil {
		t.Fatalf("bank query over gRPC: %v", err)
	}
	if !bal.Balance.Amount.Equal(apptesting.DefaultBalance) {
		t.Fatalf("balance %s, want %s", bal.Balance, apptesting.DefaultBalance)
	}
	if got := bankHeader.Get(grpctypes.GRPCBlockHeightHeader); len(got) != 1 {
		t.Fatalf("queries must keep the SDK's query context (height header %v)", got)
	}
}

// serveNodeGRPC serves ta's gRPC services (the tx service registered as the
// node registers it) on a free loopback port, stopped with the test, and
// returns its address.
func serveNodeGRPC(t *testing.T, ta *apptesting.TestApp) string {
	t.Helper()
	reg := ta.InterfaceRegistry()
	ta.RegisterTxService(client.Context{}.WithInterfaceRegistry(reg).WithTxConfig(ta.TxConfig()).WithCodec(ta.AppCodec()))
	srv := grpc.NewServer(grpc.ForceServerCodec(codec.NewProtoCodec(reg).GRPCCodec()))
	ta.RegisterGRPCServerWithSkipCheckHeader(srv, false)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// dialNodeGRPC connects to addr (serveNodeGRPC), from the local address
// from when set (a loopback address of the client's own), closed with the
// test.
func dialNodeGRPC(t *testing.T, ta *apptesting.TestApp, addr string, from net.IP) *grpc.ClientConn {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(codec.NewProtoCodec(ta.InterfaceRegistry()).GRPCCodec()))}
	if from != nil {
		opts = append(opts, grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return (&net.Dialer{LocalAddr: &net.TCPAddr{IP: from}}).DialContext(ctx, "tcp", addr)
		}))
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

package app

import (
	"context"

	gogogrpc "github.com/cosmos/gogoproto/grpc"
	grpcrecovery "github.com/grpc-ecosystem/go-grpc-middleware/recovery"
	"google.golang.org/grpc"

	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
)

// RegisterGRPCServerWithSkipCheckHeader registers the app's gRPC services on
// server as the SDK does, except that the tx service's BroadcastTx and
// Simulate skip the SDK's per-call query context. The SDK builds that
// context for every call of every service: it recomputes the app hash to
// learn the latest version and opens a cache of every store at it, 15–20 %
// of the node's CPU under broadcast load, growing with the state. Those
// two methods never read it (a broadcast goes to CometBFT through the
// client context, a simulation runs on the app's own check state), so
// they keep only the SDK's panic recovery. Every other method, the tx
// service's look-ups included (GetBlockWithTxs reads the context's
// height), is the SDK's. Every method's request has its page bounded by
// the node's one page rule (pageBoundServer, pagelimit.Bound), as ABCI
// Query's are (App.Query).
func (app *App) RegisterGRPCServerWithSkipCheckHeader(server gogogrpc.Server, skipCheckHeader bool) {
	app.BaseApp.RegisterGRPCServerWithSkipCheckHeader(
		lightTxMethods{Server: pageBoundServer{server}, plain: txServiceDesc()}, skipCheckHeader)
}

// RegisterGRPCServer is RegisterGRPCServerWithSkipCheckHeader, checking
// the header.
func (app *App) RegisterGRPCServer(server gogogrpc.Server) {
	app.RegisterGRPCServerWithSkipCheckHeader(server, false)
}

// lightMethods are the tx service's methods served without the query
// context.
var lightMethods = map[string]bool{"BroadcastTx": true, "Simulate": true}

// lightTxMethods is a gRPC server that registers the tx service with its
// lightMethods taken from plain (the generated description) with panic
// recovery only, and everything else as given.
type lightTxMethods struct {
	gogogrpc.Server
	plain *grpc.ServiceDesc
}

func (s lightTxMethods) RegisterService(sd *grpc.ServiceDesc, impl any) {
	if sd.ServiceName != s.plain.ServiceName {
		s.Server.RegisterService(sd, impl)
		return
	}
	out := *sd
	out.Methods = append([]grpc.MethodDesc(nil), sd.Methods...)
	for i, m := range out.Methods {
		if !lightMethods[m.MethodName] {
			continue
		}
		for _, p := range s.plain.Methods {
			if p.MethodName == m.MethodName {
				out.Methods[i] = withRecovery(p)
			}
		}
	}
	s.Server.RegisterService(&out, impl)
}

// descCapture records the service description a generated Register
// function passes.
type descCapture struct{ sd *grpc.ServiceDesc }

func (c *descCapture) RegisterService(sd *grpc.ServiceDesc, _ any) { c.sd = sd }

// txServiceDesc is the generated description of the tx service.
func txServiceDesc() *grpc.ServiceDesc {
	var c descCapture
	txtypes.RegisterServiceServer(&c, nil)
	return c.sd
}

// withRecovery is m with a panic turned into an Internal error, as the
// SDK's own registration does.
func withRecovery(m grpc.MethodDesc) grpc.MethodDesc {
	h := m.Handler
	return grpc.MethodDesc{
		MethodName: m.MethodName,
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			return h(srv, ctx, dec, grpcrecovery.UnaryServerInterceptor())
		},
	}
}

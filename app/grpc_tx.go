package app

import (
	"context"

	gogogrpc "github.com/cosmos/gogoproto/grpc"
	grpcrecovery "github.com/grpc-ecosystem/go-grpc-middleware/recovery"
	"google.golang.org/grpc"

	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
)

// RegisterGRPCServerWithSkipCheckHeader registers the app's gRPC services on
// server as the SDK does, but the tx service (broadcast, simulate, tx
// look-ups) without the SDK's per-call query context. The SDK builds that
// context for every call of every service: it recomputes the app hash to
// learn the latest version and opens a cache of every store at it, 15–20 %
// of the node's CPU under broadcast load, and growing with the state. The
// tx service's methods never read it (they use the client context and
// their own simulation state), so it is registered with panic recovery
// only; it stays in the query router for ABCI queries.
func (app *App) RegisterGRPCServerWithSkipCheckHeader(server gogogrpc.Server, skipCheckHeader bool) {
	desc := txServiceDesc()
	app.BaseApp.RegisterGRPCServerWithSkipCheckHeader(withoutService{Server: server, name: desc.ServiceName}, skipCheckHeader)
	if app.txService != nil {
		server.RegisterService(withRecovery(desc), app.txService)
	}
}

// RegisterGRPCServer is RegisterGRPCServerWithSkipCheckHeader, checking
// the header.
func (app *App) RegisterGRPCServer(server gogogrpc.Server) {
	app.RegisterGRPCServerWithSkipCheckHeader(server, false)
}

// withoutService is a gRPC server on which the service named name is not
// registered.
type withoutService struct {
	gogogrpc.Server
	name string
}

func (s withoutService) RegisterService(sd *grpc.ServiceDesc, impl any) {
	if sd.ServiceName != s.name {
		s.Server.RegisterService(sd, impl)
	}
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

// withRecovery is sd with every unary method's panic turned into an
// Internal error, as the SDK's own registration does.
func withRecovery(sd *grpc.ServiceDesc) *grpc.ServiceDesc {
	out := *sd
	out.Methods = make([]grpc.MethodDesc, len(sd.Methods))
	for i, m := range sd.Methods {
		h := m.Handler
		out.Methods[i] = grpc.MethodDesc{
			MethodName: m.MethodName,
			Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				return h(srv, ctx, dec, grpcrecovery.UnaryServerInterceptor())
			},
		}
	}
	return &out
}

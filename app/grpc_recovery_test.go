package app

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A panic in a tx-service method, registered without the SDK's
// interceptors, is still an Internal error for the caller, not a crashed
// node; only the service withoutService names is left out.
func TestTxServiceRecoversPanics(t *testing.T) {
	desc := txServiceDesc()
	if desc == nil || desc.ServiceName != "cosmos.tx.v1beta1.Service" || len(desc.Methods) == 0 {
		t.Fatalf("tx service description: %+v", desc)
	}
	boom := &grpc.ServiceDesc{ServiceName: "test.Boom", Methods: []grpc.MethodDesc{{MethodName: "Boom",
		Handler: func(_ any, ctx context.Context, _ func(any) error, in grpc.UnaryServerInterceptor) (any, error) {
			return in(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/test.Boom/Boom"}, func(context.Context, any) (any, error) {
				panic("boom")
			})
		}}}}
	_, err := withRecovery(boom).Methods[0].Handler(nil, context.Background(), func(any) error { return nil }, nil)
	if status.Code(err) != codes.Internal {
		t.Fatalf("a panicking method returned %v, want Internal", err)
	}
	var got []string
	s := withoutService{Server: recorder(func(sd *grpc.ServiceDesc) { got = append(got, sd.ServiceName) }), name: desc.ServiceName}
	s.RegisterService(desc, nil)
	s.RegisterService(boom, nil)
	if len(got) != 1 || got[0] != "test.Boom" {
		t.Fatalf("registered %v, want only test.Boom", got)
	}
}

type recorder func(*grpc.ServiceDesc)

func (r recorder) RegisterService(sd *grpc.ServiceDesc, _ any) { r(sd) }

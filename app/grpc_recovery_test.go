package app

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A panic in a light tx-service method, registered without the SDK's
// interceptors, is still an Internal error for the caller, not a crashed
// node; only BroadcastTx and Simulate are replaced, other services pass.
func TestTxServiceRecoversPanics(t *testing.T) {
	plain := txServiceDesc()
	if plain == nil || plain.ServiceName != "cosmos.tx.v1beta1.Service" || len(plain.Methods) == 0 {
		t.Fatalf("tx service description: %+v", plain)
	}
	boom := grpc.MethodDesc{MethodName: "Boom",
		Handler: func(_ any, ctx context.Context, _ func(any) error, in grpc.UnaryServerInterceptor) (any, error) {
			return in(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/test.Boom/Boom"}, func(context.Context, any) (any, error) {
				panic("boom")
			})
		}}
	_, err := withRecovery(boom).Handler(nil, context.Background(), func(any) error { return nil }, nil)
	if status.Code(err) != codes.Internal {
		t.Fatalf("a panicking method returned %v, want Internal", err)
	}
	var got []*grpc.ServiceDesc
	s := lightTxMethods{Server: recorder(func(sd *grpc.ServiceDesc) { got = append(got, sd) }), plain: plain}
	marked := *plain
	marked.Methods = nil
	for _, m := range plain.Methods {
		marked.Methods = append(marked.Methods, grpc.MethodDesc{MethodName: m.MethodName}) // no handler: "the SDK's"
	}
	other := &grpc.ServiceDesc{ServiceName: "test.Other", Methods: []grpc.MethodDesc{{MethodName: "BroadcastTx"}}}
	s.RegisterService(&marked, nil)
	s.RegisterService(other, nil)
	if len(got) != 2 || got[1] != other {
		t.Fatalf("registered %d services, the other one changed", len(got))
	}
	for _, m := range got[0].Methods {
		if light := m.Handler != nil; light != lightMethods[m.MethodName] {
			t.Errorf("method %s: replaced %v, want %v", m.MethodName, light, lightMethods[m.MethodName])
		}
	}
}

type recorder func(*grpc.ServiceDesc)

func (r recorder) RegisterService(sd *grpc.ServiceDesc, _ any) { r(sd) }

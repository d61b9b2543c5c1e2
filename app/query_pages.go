package app

import (
	"context"
	"reflect"
	"strings"
	"sync"

	gogogrpc "github.com/cosmos/gogoproto/grpc"
	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aichain/aichain/types/pagelimit"
)

// pageRequestType is the type of a list query's page field.
var pageRequestType = reflect.TypeOf((*query.PageRequest)(nil))

// pageField is the page of msg, a query request: its settable field
// Pagination of type *query.PageRequest, as every list query of the SDK,
// IBC and aichain names it (a field, not GetPagination: some of the SDK's
// requests are generated without getters); the zero Value where it has none.
func pageField(msg any) reflect.Value {
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}
	}
	f := v.Elem().FieldByName("Pagination")
	if !f.IsValid() || f.Type() != pageRequestType || !f.CanSet() {
		return reflect.Value{}
	}
	return f
}

// ownCountPackage is the proto package prefix of aichain's query services:
// their pagination (x/internal/modkit) answers count_total counting at most
// pagelimit.Max entries past the page. Every other service's (the SDK's,
// IBC's) counts by walking to the end of the collection.
const ownCountPackage = "aichain."

// boundRequestPage bounds the page of msg, a decoded query request, in
// place, by the node's one page rule (pagelimit.Bound: no limit or 0 takes
// query.DefaultLimit without the SDK's implicit count_total, a limit above
// pagelimit.Max is lowered to it, an offset above it refused), and drops
// count_total on offset paging for a service that would count the whole
// collection (not aichain's: ownCountPackage). It reports whether it
// changed msg; errors are gRPC status errors (InvalidArgument). A message
// without pagination is left alone.
func boundRequestPage(msg any) (bool, error) {
	f := pageField(msg)
	if !f.IsValid() {
		return false, nil
	}
	orig, _ := f.Interface().(*query.PageRequest)
	page, err := pagelimit.Bound(orig)
	if err != nil {
		return false, err
	}
	if page.CountTotal && len(page.Key) == 0 && !countsWithinBound(msg) {
		// Not counted, not refused: explorers and wallets send count_total
		// on the SDK's lists as a matter of course, and an error would
		// break them where a missing total (0, as for a keyed page) only
		// leaves it unshown; next_key still leads through the list.
		page.CountTotal = false
	}
	if orig != nil && orig.Limit == page.Limit && orig.CountTotal == page.CountTotal {
		return false, nil // nothing bounded
	}
	f.Set(reflect.ValueOf(page))
	return true, nil
}

// countsWithinBound reports whether msg is a request of aichain's query
// services, whose count_total is bounded (x/internal/modkit countTotal).
func countsWithinBound(msg any) bool {
	return strings.HasPrefix(messageName(msg), ownCountPackage)
}

// messageName is msg's proto full name ("" for no proto message).
func messageName(msg any) string {
	if m, ok := msg.(gogoproto.Message); ok {
		return gogoproto.MessageName(m)
	}
	return ""
}

// pagedTypes caches, by gRPC route ("/service/Method"), the request type of
// a method whose request has a page, or nil.
var pagedTypes sync.Map

// pagedRequestType is the request type (a pointer type) of the gRPC route
// path if its request has a page, or nil: the method's input as the proto
// registry describes it, and the Go type gogoproto registered for it.
func pagedRequestType(path string) reflect.Type {
	if t, ok := pagedTypes.Load(path); ok {
		typ, _ := t.(reflect.Type)
		return typ
	}
	var typ reflect.Type
	service, method, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if ok {
		if d, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(service)); err == nil {
			if sd, ok := d.(protoreflect.ServiceDescriptor); ok {
				if md := sd.Methods().ByName(protoreflect.Name(method)); md != nil {
					typ = gogoproto.MessageType(string(md.Input().FullName()))
				}
			}
		}
	}
	if typ == nil || typ.Kind() != reflect.Pointer || !pageField(reflect.New(typ.Elem()).Interface()).IsValid() {
		typ = nil
	}
	pagedTypes.Store(path, typ)
	return typ
}

// boundQueryData is the request data of an ABCI Query of the gRPC route
// path with its page bounded (boundRequestPage), or nil where it is kept as
// it is (no page, nothing to change, or data that does not decode: the
// route reports that itself).
func boundQueryData(path string, data []byte) ([]byte, error) {
	typ := pagedRequestType(path)
	if typ == nil {
		return nil, nil
	}
	msg, ok := reflect.New(typ.Elem()).Interface().(gogoproto.Message)
	if !ok || gogoproto.Unmarshal(data, msg) != nil {
		return nil, nil
	}
	changed, err := boundRequestPage(msg)
	if err != nil || !changed {
		return nil, err
	}
	return gogoproto.Marshal(msg)
}

// pageBoundServer is a gRPC server that registers every method of every
// service with its request's page bounded (pageBound).
type pageBoundServer struct{ gogogrpc.Server }

// RegisterService registers sd's methods, each through pageBound.
func (s pageBoundServer) RegisterService(sd *grpc.ServiceDesc, impl any) {
	out := *sd
	out.Methods = make([]grpc.MethodDesc, len(sd.Methods))
	for i, m := range sd.Methods {
		out.Methods[i] = pageBound(m)
	}
	s.Server.RegisterService(&out, impl)
}

// pageBound is m with its request's page bounded (boundRequestPage) as the
// request is decoded: how the node's gRPC server (and the REST gateway,
// which calls it in-process over gRPC) holds every service's list queries
// to the one page rule. A refusal is the method's error, InvalidArgument.
func pageBound(m grpc.MethodDesc) grpc.MethodDesc {
	h := m.Handler
	return grpc.MethodDesc{
		MethodName: m.MethodName,
		Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			return h(srv, ctx, func(in any) error {
				if err := dec(in); err != nil {
					return err
				}
				_, err := boundRequestPage(in)
				return err
			}, ic)
		},
	}
}

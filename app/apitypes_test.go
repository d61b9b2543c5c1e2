package app

import (
	"strings"
	"testing"

	"github.com/cosmos/cosmos-proto/anyutil"
	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/anypb"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// chainFile says whether a proto file is one of aichain's chain files, which
// api/ mirrors (the sidecar's service is not a chain message).
func chainFile(path string) bool {
	return strings.HasPrefix(path, "aichain/") && !strings.HasPrefix(path, "aichain/sidecar/")
}

// TestEveryChainTypeHasItsAPIType: every message of aichain's chain proto
// files, as gogoproto registered it, has a generated API v2 type of api/ in
// protoregistry's global types, from a file descriptor equal to gogoproto's:
// a module's types package imports its api package, and both are generated
// from the same .proto files (make proto-check). A message without one is
// decoded as a dynamicpb message wherever the SDK reads it as API v2 (its
// signers in CheckTx and FinalizeBlock, autocli, the sign modes); a file that
// differs would give the CLI and the chain two definitions of one message.
func TestEveryChainTypeHasItsAPIType(t *testing.T) {
	var files, messages int
	gogoproto.GogoResolver.RangeFiles(func(gogoFile protoreflect.FileDescriptor) bool {
		if !chainFile(gogoFile.Path()) {
			return true
		}
		files++
		apiFile, err := protoregistry.GlobalFiles.FindFileByPath(gogoFile.Path())
		if err != nil {
			t.Errorf("%s: no API v2 file registered (its types package does not import its api/ package?): %v", gogoFile.Path(), err)
			return true
		}
		if !proto.Equal(withoutFileOptions(gogoFile), withoutFileOptions(apiFile)) {
			t.Errorf("%s: the api/ descriptor differs from gogoproto's: run make proto-gen", gogoFile.Path())
		}
		var walk func(mds protoreflect.MessageDescriptors)
		walk = func(mds protoreflect.MessageDescriptors) {
			for i := 0; i < mds.Len(); i++ {
				md := mds.Get(i)
				if md.IsMapEntry() {
					continue
				}
				messages++
				mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
				if err != nil {
					t.Errorf("%s: no API v2 type: %v", md.FullName(), err)
				} else if _, dynamic := mt.New().Interface().(*dynamicpb.Message); dynamic {
					t.Errorf("%s: registered as a dynamic type", md.FullName())
				}
				walk(md.Messages())
			}
		}
		walk(gogoFile.Messages())
		return true
	})
	if files < 20 || messages < 100 {
		t.Fatalf("checked %d files and %d messages, want every chain file of aichain", files, messages)
	}
}

// withoutFileOptions is fd's descriptor without its file options: the gogoproto
// generator adds its own (marshaler_all, sizer_all, …) to what it registers.
func withoutFileOptions(fd protoreflect.FileDescriptor) *descriptorpb.FileDescriptorProto {
	fdp := protodesc.ToFileDescriptorProto(fd)
	fdp.Options = nil
	return fdp
}

// TestMsgSignersReadFromAPITypes: the SDK reads a transaction's signers
// (ProtoCodec.GetMsgAnySigners, in the ante handler's every run) from the
// message unpacked as API v2; every aichain Msg that the app routes unpacks
// to its generated type, not to a dynamicpb message.
func TestMsgSignersReadFromAPITypes(t *testing.T) {
	enc := MakeEncodingConfig()
	var msgs int
	for _, url := range enc.InterfaceRegistry.ListImplementations("cosmos.base.v1beta1.Msg") {
		name := strings.TrimPrefix(url, "/")
		if !strings.HasPrefix(name, "aichain.") {
			continue
		}
		msgs++
		gogoMsg, err := enc.InterfaceRegistry.Resolve(url)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		a, err := codectypes.NewAnyWithValue(gogoMsg)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		m, err := anyutil.Unpack(&anypb.Any{TypeUrl: a.TypeUrl, Value: a.Value}, enc.InterfaceRegistry, nil)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if _, dynamic := m.(*dynamicpb.Message); dynamic {
			t.Errorf("%s unpacks as a dynamicpb message", name)
		}
	}
	if msgs < 20 {
		t.Fatalf("checked %d aichain Msgs, want every one the app registers", msgs)
	}
}

// BenchmarkMsgSigners: what the SDK does to read a Msg's signers
// (ProtoCodec.GetMsgAnySigners: unpack the Any as API v2, then the signing
// context's GetSigners), on a create-job message, with its generated type
// of api/ (as the chain now runs) and with the dynamicpb message the SDK
// falls back to without one; one transaction pays this in CheckTx, in the
// proposal's check and in FinalizeBlock.
func BenchmarkMsgSigners(b *testing.B) {
	enc := MakeEncodingConfig()
	ir := enc.InterfaceRegistry
	msg := &computetypes.MsgCreateJob{
		Requester: sdk.AccAddress(make([]byte, 20)).String(), MaxPrice: sdk.NewInt64Coin("uaic", 1000),
		Workload: computetypes.WorkloadSpec{
			Kind: "gemm-f32", ChunkRows: 64,
			Gemm: &computetypes.GemmSpec{M: 64, N: 64, K: 64, Seed: 7},
		},
		CommitBlocks: 5, RevealBlocks: 5, ExecBlocks: 1000,
	}
	a, err := codectypes.NewAnyWithValue(msg)
	if err != nil {
		b.Fatal(err)
	}
	pa := &anypb.Any{TypeUrl: a.TypeUrl, Value: a.Value}
	for _, c := range []struct {
		name  string
		types protoregistry.MessageTypeResolver
	}{{"api-type", protoregistry.GlobalTypes}, {"dynamicpb", new(protoregistry.Types)}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				m, err := anyutil.Unpack(pa, ir, c.types)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := ir.SigningContext().GetSigners(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

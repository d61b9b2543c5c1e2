package app

import (
	"strings"
	"testing"

	msgv1 "cosmossdk.io/api/cosmos/msg/v1"
	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// msgServices returns, for the files under prefix, the names of their Msg
// services (cosmos.msg.v1.service) and of the request messages of those
// services that name no signer (cosmos.msg.v1.signer): the SDK's ante
// handler and sign modes read the signers from that option.
func msgServices(rangeFiles func(func(protoreflect.FileDescriptor) bool), prefix string) (services, unsigned []string) {
	rangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(fd.Path(), prefix) {
			return true
		}
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			if isMsg, _ := proto.GetExtension(sd.Options(), msgv1.E_Service).(bool); !isMsg {
				continue
			}
			services = append(services, string(sd.FullName()))
			for j := 0; j < sd.Methods().Len(); j++ {
				in := sd.Methods().Get(j).Input()
				if signers, _ := proto.GetExtension(in.Options(), msgv1.E_Signer).([]string); len(signers) == 0 {
					unsigned = append(unsigned, string(in.FullName()))
				}
			}
		}
		return true
	})
	return services, unsigned
}

// TestEveryMsgNamesItsSigner: every request message of aichain's Msg
// services names its signer field in its proto definition, but the one that
// no account sends: the proposer's injected verdicts (app/ve: CheckTx refuses
// it, ProcessProposal admits it only as transaction 0). (The app does not
// check this at start: NewBaseApp does, for every file, and only logs.)
func TestEveryMsgNamesItsSigner(t *testing.T) {
	files, err := gogoproto.MergedRegistry()
	if err != nil {
		t.Fatal(err)
	}
	services, unsigned := msgServices(files.RangeFiles, "aichain/")
	if len(services) < 5 {
		t.Fatalf("found the Msg services %v, want compute, datamarket, modelregistry, stakingrewards and ve", services)
	}
	if len(unsigned) != 1 || unsigned[0] != "aichain.ve.v1.MsgInjectVerdicts" {
		t.Fatalf("Msgs without cosmos.msg.v1.signer: %v, want only aichain.ve.v1.MsgInjectVerdicts", unsigned)
	}

	// The check finds a Msg that names no signer.
	svcOpts := &descriptorpb.ServiceOptions{}
	proto.SetExtension(svcOpts, msgv1.E_Service, true)
	fdp := &descriptorpb.FileDescriptorProto{
		Name:        proto.String("aichain/test/v1/tx.proto"),
		Package:     proto.String("aichain.test.v1"),
		Syntax:      proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("MsgUnsigned")}, {Name: proto.String("Resp")}},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name:    proto.String("Msg"),
			Options: svcOpts,
			Method: []*descriptorpb.MethodDescriptorProto{{
				Name: proto.String("Unsigned"), InputType: proto.String(".aichain.test.v1.MsgUnsigned"),
				OutputType: proto.String(".aichain.test.v1.Resp"),
			}},
		}},
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	_, unsigned = msgServices(func(f func(protoreflect.FileDescriptor) bool) { f(fd) }, "aichain/")
	if len(unsigned) != 1 || unsigned[0] != "aichain.test.v1.MsgUnsigned" {
		t.Fatalf("the check found %v in a service whose Msg names no signer", unsigned)
	}
}

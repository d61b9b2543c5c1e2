package cmd

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cosmos/gogoproto/jsonpb"
	"github.com/cosmos/gogoproto/proto"
	protov2 "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"cosmossdk.io/client/v2/autocli/flag"

	"github.com/aichain/aichain/x/compute"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// placeholders lists the fields of the messages of the files under prefix
// ("aichain/": aichain's) whose enum or message type is a placeholder in
// files: protojson prints such an enum as a number.
func placeholders(rangeFiles func(func(protoreflect.FileDescriptor) bool), prefix string) (fields []string, messages int) {
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		messages++
		for i := 0; i < md.Fields().Len(); i++ {
			f := md.Fields().Get(i)
			if (f.Enum() != nil && f.Enum().IsPlaceholder()) || (f.Message() != nil && f.Message().IsPlaceholder()) {
				fields = append(fields, string(f.FullName()))
			}
		}
		for i := 0; i < md.Messages().Len(); i++ {
			walk(md.Messages().Get(i))
		}
	}
	rangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(fd.Path(), prefix) {
			for i := 0; i < fd.Messages().Len(); i++ {
				walk(fd.Messages().Get(i))
			}
		}
		return true
	})
	return fields, messages
}

// TestCLIDescriptorsAreComplete: the descriptors the CLI prints the node's
// answers with resolve every enum and message type of aichain's messages, so
// that `q compute job` prints "verdict": "VERDICT_VALID", not 1. gogoproto's
// HybridResolver has placeholders (a file's types that a file registered
// before it refers to); it fails here.
func TestCLIDescriptorsAreComplete(t *testing.T) {
	files := cliFiles()
	fields, messages := placeholders(files.RangeFiles, "aichain/")
	if messages < 100 {
		t.Fatalf("walked %d aichain messages, want the whole API", messages)
	}
	if len(fields) > 0 {
		t.Fatalf("fields with a placeholder type: %v", fields)
	}
	if hybrid, _ := placeholders(proto.HybridResolver.RangeFiles, "aichain/"); len(hybrid) == 0 {
		t.Log("gogoproto's HybridResolver has no placeholders any more: it could serve the CLI")
	}
}

// TestCLIDescriptorsMatchMergedRegistry: every file of gogoproto's
// MergedRegistry (what the SDK's autocli resolves with) is found by cliFiles
// with the same contents, each gogoproto-only file rebuilt without an error,
// and every name the merged registry declares resolves to the same
// declaration.
func TestCLIDescriptorsMatchMergedRegistry(t *testing.T) {
	merged, err := proto.MergedRegistry()
	if err != nil {
		t.Fatal(err)
	}
	files, byName, n := cliFiles(), cliFiles(), 0 // byName: files found by a name first
	merged.RangeFiles(func(want protoreflect.FileDescriptor) bool {
		n++
		got, err := files.FindFileByPath(want.Path())
		if err != nil {
			t.Fatalf("%s: %v", want.Path(), err)
		}
		if !protov2.Equal(protodesc.ToFileDescriptorProto(got), protodesc.ToFileDescriptorProto(want)) {
			t.Fatalf("%s: cliFiles' file differs from the merged registry's", want.Path())
		}
		for i := 0; i < want.Messages().Len(); i++ {
			name := want.Messages().Get(i).FullName()
			d, err := byName.FindDescriptorByName(name)
			if err != nil || d.FullName() != name || d.ParentFile().Path() != want.Path() {
				t.Fatalf("%s: %v, %v", name, d, err)
			}
		}
		return true
	})
	if n < 400 {
		t.Fatalf("the merged registry has %d files, want every file the binary registers", n)
	}
	counted := 0
	files.RangeFiles(func(protoreflect.FileDescriptor) bool { counted++; return true })
	if counted != n {
		t.Fatalf("cliFiles ranges over %d files, the merged registry has %d", counted, n)
	}
	// The same names can hide placeholders: no file's field may have one.
	if fields, _ := placeholders(files.RangeFiles, ""); len(fields) > 0 {
		t.Fatalf("fields with a placeholder type: %v", fields)
	}
}

// TestShareFlagFitsItsMessage: a --shares value is a Share of the type
// autocli builds the message that holds it with: the generated type of api/
// where the builder's TypeResolver has it (the CLI's: protoregistry's
// global types), a dynamic one where it does not. A share of the other kind
// panics when autocli appends it to the message's list (a dynamic Share in a
// generated MsgRegisterModel did, once api/ registered its types).
func TestShareFlagFitsItsMessage(t *testing.T) {
	files := cliFiles()
	desc, err := files.FindDescriptorByName(shareName)
	if err != nil {
		t.Fatal(err)
	}
	msgDesc, err := files.FindDescriptorByName("aichain.modelregistry.v1.MsgRegisterModel")
	if err != nil {
		t.Fatal(err)
	}
	const addr = "aic1pt694y6ppqkwv2gpgd0748kp7jv83xch5sy064"
	for _, c := range []struct {
		name      string
		resolver  *protoregistry.Types
		generated bool
	}{{"global types", protoregistry.GlobalTypes, true}, {"no types", new(protoregistry.Types), false}} {
		t.Run(c.name, func(t *testing.T) {
			b := &flag.Builder{TypeResolver: c.resolver, FileResolver: files}
			mt, err := c.resolver.FindMessageByName(msgDesc.FullName())
			if err != nil {
				mt = dynamicpb.NewMessageType(msgDesc.(protoreflect.MessageDescriptor))
			}
			msg := mt.New()
			if _, dynamic := msg.Interface().(*dynamicpb.Message); dynamic == c.generated {
				t.Fatalf("MsgRegisterModel is a %T with %s", msg.Interface(), c.name)
			}
			v := shareType{desc: desc.(protoreflect.MessageDescriptor)}.NewValue(nil, b)
			if err := v.Set(addr + ":7"); err != nil {
				t.Fatal(err)
			}
			share, err := v.Get(protoreflect.Value{})
			if err != nil {
				t.Fatal(err)
			}
			shares := msg.Mutable(msg.Descriptor().Fields().ByName("shares")).List()
			shares.Append(share) // panics on a Share of the other kind
			got := shares.Get(0).Message()
			fields := got.Descriptor().Fields()
			if a, w := got.Get(fields.ByName("address")).String(), got.Get(fields.ByName("weight")).Uint(); a != addr || w != 7 {
				t.Fatalf("share read back as %s:%d, want %s:7", a, w, addr)
			}
		})
	}
}

// TestCreateJobSimulatesItsGas: `tx compute create-job` pays its job's
// block work (200,000 gas and more: x/compute types.JobBlockGas), over the
// SDK's default limit of 200,000, so it simulates its gas unless --gas is
// given; other commands keep the SDK's default.
func TestCreateJobSimulatesItsGas(t *testing.T) {
	root := NewRootCmd()
	for _, c := range []struct {
		path     []string
		gas, adj string
	}{
		{[]string{"tx", "compute", "create-job"}, "auto", "1.3"},
		{[]string{"tx", "compute", "commit-bid"}, "", "1"},
	} {
		cmd, _, err := root.Find(c.path)
		if err != nil {
			t.Fatal(err)
		}
		gas, err := cmd.Flags().GetString("gas")
		if err != nil {
			t.Fatal(err)
		}
		adj, err := cmd.Flags().GetFloat64("gas-adjustment")
		if err != nil {
			t.Fatal(err)
		}
		if gas != c.gas || strconv.FormatFloat(adj, 'f', -1, 64) != c.adj {
			t.Errorf("%s: --gas %q --gas-adjustment %v by default, want %q and %s", strings.Join(c.path, " "), gas, adj, c.gas, c.adj)
		}
	}
}

// TestCreateJobGasOffline: with --generate-only (a tx for another key to
// sign) or --offline nothing can simulate, so create-job takes a limit
// computed from its workload (compute.OfflineCreateJobGas) unless --gas is
// given, and refuses to guess one for a job buying assurance.
func TestCreateJobGasOffline(t *testing.T) {
	gpt := `{"kind":"gpt-f32","gpt":{"model_id":1,"max_new_tokens":4,"prompts":[{"tokens":[1,2,3,4,5,6,7,8]}]},"chunk_rows":1}`
	var gptSpec computetypes.WorkloadSpec
	if err := jsonpb.UnmarshalString(gpt, &gptSpec); err != nil || gptSpec.Gpt == nil {
		t.Fatalf("set-up: %v", err)
	}
	small := strconv.FormatUint(compute.OfflineCreateJobGas(computetypes.WorkloadSpec{}), 10)
	gemm := `{"kind":"gemm-f32","gemm":{"m":64,"n":64,"k":64,"seed":8},"chunk_rows":16}`
	var gemmSpec computetypes.WorkloadSpec
	if err := jsonpb.UnmarshalString(gemm, &gemmSpec); err != nil {
		t.Fatalf("set-up: %v", err)
	}
	for _, c := range []struct {
		flags, args []string
		want        string
	}{
		{[]string{"--generate-only"}, nil, small},
		{[]string{"--offline"}, nil, small},
		{[]string{"--offline"}, []string{gpt, "5000uaic"}, strconv.FormatUint(compute.OfflineCreateJobGas(gptSpec), 10)},
		{[]string{"--generate-only", "--gas", "700000"}, nil, "700000"},
		{[]string{"--generate-only", "--assurance-full"}, nil, "refused"}, // an mlp job's chunks are its dataset's
		{[]string{"--generate-only", "--assurance-full"}, []string{gemm, "5000uaic"},
			strconv.FormatUint(compute.OfflineCreateJobGas(gemmSpec)+compute.OfflineAssuranceGas(gemmSpec, 4), 10)},
		{[]string{"--generate-only", "--assurance-samples", "3"}, []string{gemm, "5000uaic"},
			strconv.FormatUint(compute.OfflineCreateJobGas(gemmSpec)+compute.OfflineAssuranceGas(gemmSpec, 3), 10)},
		{nil, nil, "auto"},
	} {
		root := NewRootCmd()
		cmd, _, err := root.Find([]string{"tx", "compute", "create-job"})
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.ParseFlags(c.flags); err != nil {
			t.Fatal(err)
		}
		err = cmd.PreRunE(cmd, c.args)
		if c.want == "refused" {
			if err == nil {
				t.Errorf("create-job %v: no error, want --gas asked for", c.flags)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if gas, _ := cmd.Flags().GetString("gas"); gas != c.want {
			t.Errorf("create-job %v %v: --gas %q, want %q", c.flags, c.args, gas, c.want)
		}
	}
}

package compute_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute"
	"github.com/aichain/aichain/x/compute/types"
)

// TestMakeCommitmentSalt: without a salt, make-commitment draws 32 random
// bytes and prints the commitment and the salt, which open it; a given
// salt shorter than 16 bytes is refused.
func TestMakeCommitmentSalt(t *testing.T) {
	provider := sdk.AccAddress(bytes.Repeat([]byte{1}, 20)).String()
	run := func(args ...string) (string, error) {
		cmd := compute.MakeCommitmentCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(args)
		err := cmd.Execute()
		return strings.TrimSpace(out.String()), err
	}
	out, err := run("7", provider, "1500uaic")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(out)
	if len(fields) != 2 {
		t.Fatalf("printed %q, want a commitment and a salt", out)
	}
	salt, err := hex.DecodeString(fields[1])
	if err != nil || len(salt) != 32 {
		t.Fatalf("salt %q: %v", fields[1], err)
	}
	if want := hex.EncodeToString(types.BidCommitment(7, provider, sdk.NewInt64Coin("uaic", 1500), salt)); fields[0] != want {
		t.Fatalf("commitment %s, want %s", fields[0], want)
	}
	if again, _ := run("7", provider, "1500uaic"); strings.Fields(again)[1] == fields[1] {
		t.Fatal("two runs drew the same salt")
	}
	if out, err := run("7", provider, "1500uaic", fields[1]); err != nil || out != fields[0] {
		t.Fatalf("with the salt given: %q %v", out, err)
	}
	if _, err := run("7", provider, "1500uaic", "0a0b0c"); err == nil {
		t.Fatal("a 3-byte salt was accepted")
	}
}

// TestAutoCLIDescribesEveryRPC: every rpc of the Msg and Query services has
// a described command (a Use, a Short and an Example), so a new message is
// not left to autocli's bare defaults; the verifier endpoint commands take
// the arguments the README shows (the validator_address of
// set-verifier-endpoint comes from --from, as register-beacon-key's).
func TestAutoCLIDescribesEveryRPC(t *testing.T) {
	opts := compute.AppModule{}.AutoCLIOptions()
	for _, svc := range []*autocliv1.ServiceCommandDescriptor{opts.Tx, opts.Query} {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc.Service))
		if err != nil {
			t.Fatal(err)
		}
		described := map[string]*autocliv1.RpcCommandOptions{}
		for _, o := range svc.RpcCommandOptions {
			described[o.RpcMethod] = o
		}
		methods := d.(protoreflect.ServiceDescriptor).Methods()
		for i := 0; i < methods.Len(); i++ {
			name := string(methods.Get(i).Name())
			if o := described[name]; o == nil || o.Use == "" || o.Short == "" || o.Example == "" {
				t.Errorf("%s.%s: no described command (%v)", svc.Service, name, o)
			}
		}
	}
	want := map[string]string{
		"SetVerifierEndpoint": "set-verifier-endpoint [endpoint]|endpoint",
		"VerifierEndpoints":   "verifier-endpoints|",
		"VerifierEndpoint":    "verifier-endpoint [validator-address]|validator_address",
	}
	for _, svc := range []*autocliv1.ServiceCommandDescriptor{opts.Tx, opts.Query} {
		for _, o := range svc.RpcCommandOptions {
			w, ok := want[o.RpcMethod]
			if !ok {
				continue
			}
			var args []string
			for _, a := range o.PositionalArgs {
				args = append(args, a.ProtoField)
			}
			if got := o.Use + "|" + strings.Join(args, ","); got != w {
				t.Errorf("%s: %q, want %q", o.RpcMethod, got, w)
			}
			delete(want, o.RpcMethod)
		}
	}
	if len(want) > 0 {
		t.Errorf("no command for %v", want)
	}
}

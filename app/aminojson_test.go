package app

import (
	"strings"
	"testing"

	"cosmossdk.io/x/tx/signing/aminojson"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
	srtypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// fillMessages sets every singular message field of m, down to depth
// levels, to an empty message (one member of each oneof), leaving every
// scalar and list empty: the amino JSON of each empty list inside then
// shows.
func fillMessages(m protoreflect.Message, depth int) {
	if depth == 0 {
		return
	}
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if f.Message() == nil || f.IsList() || f.IsMap() {
			continue
		}
		if o := f.ContainingOneof(); o != nil && m.WhichOneof(o) != nil {
			continue
		}
		if f.Message().FullName() == "google.protobuf.Any" {
			continue // an empty Any names no type to encode
		}
		fillMessages(m.Mutable(f).Message(), depth-1)
	}
}

// TestAminoJSONMatchesTheLegacyCodec: a wallet or Ledger that signs an
// aichain Msg in amino JSON writes it as the legacy amino codec does (the
// format wallets were built against); the chain verifies against x/tx's
// encoding, which must be the same bytes. Three lists of messages lacked
// amino.dont_omitempty (MsgListDataset.shares, MsgUpdateDataset.offers,
// GptSpec.prompts): the legacy codec wrote an empty one as null and x/tx
// left it out, so a listing without shares, an update without offers or a
// gpt job without inline prompts, signed as the legacy codec writes it, was
// refused. Every aichain Msg, empty and with its nested messages present,
// now encodes alike, its nested messages present and every list empty.
func TestAminoJSONMatchesTheLegacyCodec(t *testing.T) {
	cdc := codec.NewLegacyAmino()
	ir := codectypes.NewInterfaceRegistry()
	sdk.RegisterInterfaces(ir)
	for _, register := range []struct {
		amino      func(*codec.LegacyAmino)
		interfaces func(codectypes.InterfaceRegistry)
	}{
		{computetypes.RegisterLegacyAminoCodec, computetypes.RegisterInterfaces},
		{datamarkettypes.RegisterLegacyAminoCodec, datamarkettypes.RegisterInterfaces},
		{modelregistrytypes.RegisterLegacyAminoCodec, modelregistrytypes.RegisterInterfaces},
		{srtypes.RegisterLegacyAminoCodec, srtypes.RegisterInterfaces},
	} {
		register.amino(cdc)
		register.interfaces(ir)
	}
	enc := aminojson.NewEncoder(aminojson.EncoderOptions{})
	compared := 0
	for _, url := range ir.ListImplementations(sdk.MsgInterfaceProtoName) {
		if !strings.HasPrefix(url, "/aichain.") {
			continue
		}
		mt, err := protoregistry.GlobalTypes.FindMessageByURL(url[1:])
		if err != nil {
			t.Fatal(err)
		}
		{
			const depth = 6
			msg := mt.New()
			fillMessages(msg, depth)
			bz, err := proto.Marshal(msg.Interface())
			if err != nil {
				t.Fatal(err)
			}
			gogo, err := ir.Resolve(url)
			if err != nil {
				t.Fatal(err)
			}
			if err := gogoproto.Unmarshal(bz, gogo); err != nil {
				t.Fatal(err)
			}
			legacy, err := cdc.MarshalJSON(gogo)
			if err != nil {
				t.Fatalf("%s: legacy amino: %v", url, err)
			}
			x, err := enc.Marshal(msg.Interface())
			if err != nil {
				t.Fatalf("%s: x/tx amino JSON: %v", url, err)
			}
			if want := sdk.MustSortJSON(legacy); string(x) != string(want) {
				t.Errorf("%s (nested messages to depth %d):\n legacy codec %s\n x/tx         %s", url, depth, want, x)
			}
			compared++
		}
	}
	if compared < 30 {
		t.Fatalf("compared %d encodings, want one for every aichain Msg", compared)
	}
}

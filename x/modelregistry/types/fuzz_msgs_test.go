package types_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/x/tx/signing"
	"cosmossdk.io/x/tx/signing/aminojson"
	gogoproto "github.com/cosmos/gogoproto/proto"
	protov2 "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// fuzzMsg is what every generated Msg of the module provides.
type fuzzMsg interface {
	sdk.Msg
	sdk.HasValidateBasic
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// fuzzMsgs lists every Msg of tx.proto; the first fuzz input byte selects one
// (modulo the length).
var fuzzMsgs = []func() fuzzMsg{
	func() fuzzMsg { return &types.MsgRegisterModel{} },
	func() fuzzMsg { return &types.MsgPublishVersion{} },
	func() fuzzMsg { return &types.MsgUpdateFees{} },
	func() fuzzMsg { return &types.MsgUpdateShares{} },
	func() fuzzMsg { return &types.MsgDeprecateModel{} },
	func() fuzzMsg { return &types.MsgTransferOwnership{} },
	func() fuzzMsg { return &types.MsgUpdateParams{} },
}

// fuzzAminoPrefix starts every amino name of the module.
const fuzzAminoPrefix = "aichain/models/"

// fuzzSeed is one corpus entry: a Msg and whether ValidateBasic must accept it.
type fuzzSeed struct {
	msg   fuzzMsg
	valid bool
}

func fuzzSeeds(t testing.TB) []fuzzSeed {
	a, b := fuzzAddr(t, 1), fuzzAddr(t, 2)
	fees := sdk.NewCoins(sdk.NewInt64Coin("uaic", 10), sdk.NewInt64Coin("uatom", 1))
	shares := []common.Share{{Address: a, Weight: 3}, {Address: b, Weight: 1}}
	reg := func() *types.MsgRegisterModel {
		return &types.MsgRegisterModel{
			Owner: a, Name: "iris-mlp", Version: "1.0.0+b.1", Architecture: types.ArchitectureMLPF32,
			Sha256: strings.Repeat("0f", 32), Uri: "ipfs://bafy/iris.safetensors", InputDim: 4, OutputDim: 3,
			License: "MIT", FeePerJob: fees, FeePer1kRows: sdk.NewCoins(sdk.NewInt64Coin("uaic", 1)), Shares: shares,
		}
	}
	badName, badURI, badFees := reg(), reg(), reg()
	badName.Name = "a/b"
	badURI.Uri = "ipfs://x y"
	badFees.FeePerJob = sdk.Coins{sdk.NewInt64Coin("uatom", 1), sdk.NewInt64Coin("uaic", 1)} // unsorted
	return []fuzzSeed{
		{reg(), true},
		{&types.MsgPublishVersion{
			Owner: a, Name: "iris-mlp", Version: "2", Architecture: types.ArchitectureMLPF32,
			Sha256: strings.Repeat("ab", 32), Uri: "https://m.example/v2", InputDim: 4, OutputDim: 3, License: "Apache-2.0", Shares: shares[:1],
		}, true},
		{&types.MsgUpdateFees{Owner: a, ModelId: 1, FeePerJob: fees}, true},
		{&types.MsgUpdateShares{Owner: a, ModelId: 1, Shares: shares}, true},
		{&types.MsgDeprecateModel{Owner: a, ModelId: 1}, true},
		{&types.MsgTransferOwnership{Owner: a, ModelId: 1, NewOwner: b}, true},
		{&types.MsgUpdateParams{Authority: a, Params: types.DefaultParams()}, true},
		// Invalid ones.
		{badName, false},
		{badURI, false},
		{badFees, false},
		{&types.MsgUpdateShares{Owner: a, ModelId: 1}, false},
		{&types.MsgDeprecateModel{Owner: "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a", ModelId: 1}, false},
		{&types.MsgTransferOwnership{Owner: a, ModelId: 1, NewOwner: a}, false},
		{&types.MsgUpdateParams{Authority: a}, false},
	}
}

// fuzzInput is a seed's fuzz input: the selector byte, then the Msg's bytes.
func fuzzInput(t testing.TB, m fuzzMsg) []byte {
	name := gogoproto.MessageName(m)
	for i, f := range fuzzMsgs {
		if gogoproto.MessageName(f()) == name {
			bz, err := m.Marshal()
			if err != nil {
				t.Fatalf("marshal %s: %v", name, err)
			}
			return append([]byte{byte(i)}, bz...)
		}
	}
	t.Fatalf("%s is not in fuzzMsgs", name)
	return nil
}

func FuzzMsgsDecodeValidate(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		in := fuzzInput(f, s.msg)
		f.Add(in)
		f.Add(in[:len(in)/2]) // truncated
	}
	f.Add([]byte{3, 0x12, 0xff, 0xff, 0xff, 0xff, 0x0f}) // huge length prefix
	f.Fuzz(func(t *testing.T, data []byte) { checkMsgBytes(t, data) })
}

// TestFuzzMsgsSeeds runs every seed through the fuzz check, and checks that
// ValidateBasic accepts the valid ones and refuses the invalid ones.
func TestFuzzMsgsSeeds(t *testing.T) {
	seen := map[string]bool{}
	for i, s := range fuzzSeeds(t) {
		in := fuzzInput(t, s.msg)
		if ok := checkMsgBytes(t, in); ok != s.valid {
			t.Errorf("seed %d (%s): ValidateBasic accepted=%v, want %v", i, gogoproto.MessageName(s.msg), ok, s.valid)
		}
		checkMsgBytes(t, in[:len(in)/2])
		if s.valid {
			seen[gogoproto.MessageName(s.msg)] = true
		}
	}
	for _, f := range fuzzMsgs {
		if n := gogoproto.MessageName(f()); !seen[n] {
			t.Errorf("no valid seed for %s", n)
		}
	}
}

func fuzzAddr(t testing.TB, b byte) string {
	s, err := bech32.ConvertAndEncode("aic", bytes.Repeat([]byte{b}, 20))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	fuzzAmino = func() *codec.LegacyAmino {
		cdc := codec.NewLegacyAmino()
		types.RegisterLegacyAminoCodec(cdc)
		return cdc
	}()
	fuzzAminoJSON = aminojson.NewEncoder(aminojson.EncoderOptions{})
	fuzzCodec     = func() *codec.ProtoCodec {
		ir, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
			ProtoFiles: gogoproto.HybridResolver,
			SigningOptions: signing.Options{
				AddressCodec:          addresscodec.NewBech32Codec("aic"),
				ValidatorAddressCodec: addresscodec.NewBech32Codec("aicvaloper"),
			},
		})
		if err != nil {
			panic(err)
		}
		types.RegisterInterfaces(ir)
		return codec.NewProtoCodec(ir)
	}()
)

// checkMsgBytes decodes data (selector byte, Msg bytes), checks the
// round trip, both amino JSON encodings and ValidateBasic's promises, and
// reports whether ValidateBasic accepted the Msg.
func checkMsgBytes(t testing.TB, data []byte) bool {
	if len(data) == 0 {
		return false
	}
	newMsg := fuzzMsgs[int(data[0])%len(fuzzMsgs)]
	m := newMsg()
	if err := m.Unmarshal(data[1:]); err != nil {
		return false
	}
	name := gogoproto.MessageName(m)
	bz, err := m.Marshal()
	if err != nil {
		t.Fatalf("%s decodes but does not encode: %v", name, err)
	}
	m2 := newMsg()
	if err := m2.Unmarshal(bz); err != nil {
		t.Fatalf("%s: re-encoded bytes do not decode: %v", name, err)
	}
	bz2, err := m2.Marshal()
	if err != nil || !bytes.Equal(bz, bz2) {
		t.Fatalf("%s: round trip changed the encoding (%v)", name, err)
	}

	// Amino JSON: the legacy codec and the x/tx encoder that
	// SIGN_MODE_LEGACY_AMINO_JSON uses, on the dynamic form of the bytes.
	if _, err := fuzzAmino.MarshalJSON(m); err != nil {
		t.Fatalf("%s: legacy amino JSON: %v", name, err)
	}
	desc, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		t.Fatalf("%s: descriptor: %v", name, err)
	}
	dm := dynamicpb.NewMessage(desc.(protoreflect.MessageDescriptor))
	// gogoproto accepts invalid UTF-8 in strings, protobuf-go does not: such a
	// Msg never gets signers or sign bytes, so the chain refuses it anyway.
	v2err := protov2.Unmarshal(bz, dm)
	if v2err != nil && !strings.Contains(v2err.Error(), "invalid UTF-8") {
		t.Fatalf("%s: protov2 decode of gogo bytes: %v", name, v2err)
	}
	var signJSON []byte
	var signErr error
	if v2err == nil {
		signJSON, signErr = fuzzAminoJSON.Marshal(dm) // must not panic, even for an invalid Msg
	}

	err = m.ValidateBasic()
	if err != nil {
		if cs, _, _ := errorsmod.ABCIInfo(err, false); cs != types.ModuleName {
			t.Fatalf("%s: ValidateBasic error is not a registered %s error: %v", name, types.ModuleName, err)
		}
		return false
	}
	if v2err != nil {
		assertValid(t, m, nil)
		return true
	}
	if signErr != nil {
		t.Fatalf("%s: valid Msg has no amino JSON sign bytes: %v", name, signErr)
	}
	if !bytes.Contains(signJSON, []byte(`"type":"`+fuzzAminoPrefix)) {
		t.Fatalf("%s: amino JSON %s lacks the amino type name", name, signJSON)
	}
	signers, _, err := fuzzCodec.GetMsgV1Signers(m)
	if err != nil || len(signers) != 1 {
		t.Fatalf("%s: signers %x: %v", name, signers, err)
	}
	assertValid(t, m, signers[0])
	return true
}

// assertAic checks that addr is an "aic" account address whose bytes are
// the Msg's signer.
func assertAic(t testing.TB, field, addr string, signer []byte) {
	hrp, bz, err := bech32.DecodeAndConvert(addr)
	if err != nil || hrp != "aic" || len(bz) == 0 || len(bz) > 255 {
		t.Fatalf("%s %q accepted: hrp %q, %d bytes, %v", field, addr, hrp, len(bz), err)
	}
	if signer != nil && !bytes.Equal(bz, signer) {
		t.Fatalf("%s %q is not the signer %x", field, addr, signer)
	}
}

func assertShares(t testing.TB, shares []common.Share) {
	if len(shares) == 0 || len(shares) > common.MaxShares {
		t.Fatalf("%d shares accepted", len(shares))
	}
	seen := map[string]bool{}
	for _, s := range shares {
		assertAic(t, "share", s.Address, nil)
		if s.Weight == 0 || seen[s.Address] {
			t.Fatalf("shares %+v accepted", shares)
		}
		seen[s.Address] = true
	}
}

func assertFees(t testing.TB, fees sdk.Coins) {
	if !fees.Empty() && !fees.IsValid() {
		t.Fatalf("fees %s accepted", fees)
	}
}

func assertIdent(t testing.TB, field, s string, maxLen int, extra string) {
	if s == "" || len(s) > maxLen {
		t.Fatalf("%s %q accepted", field, s)
	}
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune(extra, r)) {
			t.Fatalf("%s %q accepted", field, s)
		}
	}
}

func assertSpec(t testing.TB, name, version, arch, sha, uri string, in, out uint64, license string, perJob, per1k sdk.Coins, shares []common.Share) {
	assertIdent(t, "name", name, types.HardMaxNameLength, "._-")
	assertIdent(t, "version", version, types.HardMaxVersionLength, "._-+")
	if arch != types.ArchitectureMLPF32 {
		t.Fatalf("architecture %q accepted", arch)
	}
	if len(sha) != 64 || strings.Trim(sha, "0123456789abcdef") != "" {
		t.Fatalf("sha256 %q accepted", sha)
	}
	if uri == "" || len(uri) > types.HardMaxURILength || strings.ContainsAny(uri, " \t\r\n\x00") {
		t.Fatalf("uri %q accepted", uri)
	}
	if in == 0 || out == 0 || in > types.MaxDim || out > types.MaxDim {
		t.Fatalf("dims %d→%d accepted", in, out)
	}
	if strings.TrimSpace(license) == "" || len(license) > types.HardMaxLicenseLength || !utf8.ValidString(license) {
		t.Fatalf("license %q accepted", license)
	}
	assertFees(t, perJob)
	assertFees(t, per1k)
	assertShares(t, shares)
}

// assertValid checks what ValidateBasic promises for an accepted Msg.
func assertValid(t testing.TB, msg fuzzMsg, signer []byte) {
	switch m := msg.(type) {
	case *types.MsgRegisterModel:
		assertAic(t, "owner", m.Owner, signer)
		assertSpec(t, m.Name, m.Version, m.Architecture, m.Sha256, m.Uri, m.InputDim, m.OutputDim, m.License, m.FeePerJob, m.FeePer1kRows, m.Shares)
	case *types.MsgPublishVersion:
		assertAic(t, "owner", m.Owner, signer)
		assertSpec(t, m.Name, m.Version, m.Architecture, m.Sha256, m.Uri, m.InputDim, m.OutputDim, m.License, m.FeePerJob, m.FeePer1kRows, m.Shares)
	case *types.MsgUpdateFees:
		assertAic(t, "owner", m.Owner, signer)
		if m.ModelId == 0 {
			t.Fatal("model_id 0 accepted")
		}
		assertFees(t, m.FeePerJob)
		assertFees(t, m.FeePer1kRows)
	case *types.MsgUpdateShares:
		assertAic(t, "owner", m.Owner, signer)
		if m.ModelId == 0 {
			t.Fatal("model_id 0 accepted")
		}
		assertShares(t, m.Shares)
	case *types.MsgDeprecateModel:
		assertAic(t, "owner", m.Owner, signer)
		if m.ModelId == 0 {
			t.Fatal("model_id 0 accepted")
		}
	case *types.MsgTransferOwnership:
		assertAic(t, "owner", m.Owner, signer)
		assertAic(t, "new_owner", m.NewOwner, nil)
		if m.ModelId == 0 || m.Owner == m.NewOwner {
			t.Fatalf("transfer %+v accepted", m)
		}
	case *types.MsgUpdateParams:
		assertAic(t, "authority", m.Authority, signer)
		if err := m.Params.Validate(); err != nil {
			t.Fatalf("params accepted: %v", err)
		}
	default:
		t.Fatalf("no properties for %T", msg)
	}
}

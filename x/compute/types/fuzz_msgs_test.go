package types_test

import (
	"bytes"
	"strings"
	"testing"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
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

	"github.com/aichain/aichain/x/compute/types"
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
	func() fuzzMsg { return &types.MsgRegisterProvider{} },
	func() fuzzMsg { return &types.MsgUpdateProvider{} },
	func() fuzzMsg { return &types.MsgUnbondProvider{} },
	func() fuzzMsg { return &types.MsgCreateJob{} },
	func() fuzzMsg { return &types.MsgCancelJob{} },
	func() fuzzMsg { return &types.MsgCommitBid{} },
	func() fuzzMsg { return &types.MsgRevealBid{} },
	func() fuzzMsg { return &types.MsgSubmitResult{} },
	func() fuzzMsg { return &types.MsgDisputeResult{} },
	func() fuzzMsg { return &types.MsgUpdateParams{} },
}

// fuzzAminoPrefix starts every amino name of the module.
const fuzzAminoPrefix = "aichain/compute/"

// fuzzSeed is one corpus entry: a Msg and whether ValidateBasic must accept it.
type fuzzSeed struct {
	msg   fuzzMsg
	valid bool
}

func fuzzSeeds(t testing.TB) []fuzzSeed {
	a := fuzzAddr(t, 1)
	coin := sdk.NewInt64Coin("uaic", 1500)
	root := bytes.Repeat([]byte{7}, 32)
	hw := types.Hardware{GpuModel: "A100", GpuCount: 1, VramGib: 40, Workloads: []string{types.KindGemm, types.KindMLP}}
	gemm := types.WorkloadSpec{Kind: types.KindGemm, Gemm: &types.GemmSpec{M: 8, N: 4, K: 4, Seed: 3}, ChunkRows: 4}
	mlp := types.WorkloadSpec{Kind: types.KindMLP, Mlp: &types.MlpSpec{ModelId: 1, DatasetId: 2}, ChunkRows: 16}
	return []fuzzSeed{
		{&types.MsgRegisterProvider{Operator: a, Moniker: "p", Endpoint: "https://p.example:8443", Hardware: hw, Bond: coin}, true},
		{&types.MsgUpdateProvider{Operator: a, Moniker: "p2", Hardware: hw, AddBond: coin}, true},
		{&types.MsgUnbondProvider{Operator: a}, true},
		{&types.MsgCreateJob{Requester: a, Workload: gemm, MaxPrice: coin, CommitBlocks: 5, RevealBlocks: 5, ExecBlocks: 20, MinHardware: types.Hardware{GpuCount: 1}}, true},
		{&types.MsgCancelJob{Requester: a, JobId: 1}, true},
		{&types.MsgCommitBid{Provider: a, JobId: 1, Commitment: root}, true},
		{&types.MsgRevealBid{Provider: a, JobId: 1, Price: coin, Salt: []byte("salt")}, true},
		{&types.MsgSubmitResult{Provider: a, JobId: 1, OutputRoot: root, ChunkCount: 2}, true},
		{&types.MsgDisputeResult{Requester: a, JobId: 1}, true},
		{&types.MsgUpdateParams{Authority: a, Params: types.DefaultParams()}, true},
		{&types.MsgCreateJob{Requester: a, Workload: mlp, MaxPrice: coin, CommitBlocks: 1, RevealBlocks: 1, ExecBlocks: 1}, true},
		// Invalid ones.
		{&types.MsgRegisterProvider{Operator: "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a", Moniker: "p", Bond: coin}, false},
		{&types.MsgRegisterProvider{Operator: a, Moniker: "p", Endpoint: "ftp://x", Bond: coin}, false},
		{&types.MsgCreateJob{Requester: a, Workload: types.WorkloadSpec{Kind: types.KindGemm, ChunkRows: 1}, MaxPrice: coin, CommitBlocks: 1, RevealBlocks: 1, ExecBlocks: 1}, false},
		{&types.MsgCreateJob{Requester: a, Workload: gemm, MaxPrice: sdk.Coin{Denom: "uaic", Amount: math.NewInt(-1)}, CommitBlocks: 1, RevealBlocks: 1, ExecBlocks: 1}, false},
		{&types.MsgCommitBid{Provider: a, JobId: 1, Commitment: root[:31]}, false},
		{&types.MsgRevealBid{Provider: a, JobId: 1, Price: coin, Salt: make([]byte, types.MaxSaltLen+1)}, false},
		{&types.MsgSubmitResult{Provider: a, JobId: 0, OutputRoot: root, ChunkCount: 2}, false},
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

func assertPositiveCoin(t testing.TB, field string, c sdk.Coin) {
	if !c.IsValid() || !c.IsPositive() {
		t.Fatalf("%s %s accepted", field, c)
	}
}

func assertHardware(t testing.TB, hw types.Hardware) {
	if len(hw.GpuModel) > types.MaxGPUModelLen || len(hw.Workloads) > types.MaxWorkloads {
		t.Fatalf("hardware %+v accepted", hw)
	}
	for _, w := range hw.Workloads {
		if w != types.KindGemm && w != types.KindMLP {
			t.Fatalf("workload %q accepted", w)
		}
	}
}

func assertDescription(t testing.TB, moniker, endpoint string, hw types.Hardware) {
	if moniker == "" || len(moniker) > types.MaxMonikerLen || len(endpoint) > types.MaxEndpointLen {
		t.Fatalf("moniker %q / endpoint %q accepted", moniker, endpoint)
	}
	assertHardware(t, hw)
}

// assertValid checks what ValidateBasic promises for an accepted Msg.
func assertValid(t testing.TB, msg fuzzMsg, signer []byte) {
	switch m := msg.(type) {
	case *types.MsgRegisterProvider:
		assertAic(t, "operator", m.Operator, signer)
		assertDescription(t, m.Moniker, m.Endpoint, m.Hardware)
		assertPositiveCoin(t, "bond", m.Bond)
	case *types.MsgUpdateProvider:
		assertAic(t, "operator", m.Operator, signer)
		assertDescription(t, m.Moniker, m.Endpoint, m.Hardware)
		if !m.AddBond.IsNil() && !m.AddBond.IsValid() {
			t.Fatalf("add_bond %s accepted", m.AddBond)
		}
	case *types.MsgUnbondProvider:
		assertAic(t, "operator", m.Operator, signer)
	case *types.MsgCreateJob:
		assertAic(t, "requester", m.Requester, signer)
		assertPositiveCoin(t, "max_price", m.MaxPrice)
		if m.CommitBlocks == 0 || m.RevealBlocks == 0 || m.ExecBlocks == 0 {
			t.Fatalf("windows %d/%d/%d accepted", m.CommitBlocks, m.RevealBlocks, m.ExecBlocks)
		}
		w := m.Workload
		rows, err := w.Validate()
		if err != nil || w.ChunkRows == 0 {
			t.Fatalf("workload %+v accepted: %v", w, err)
		}
		switch w.Kind {
		case types.KindGemm:
			if w.Gemm == nil || w.Mlp != nil || rows != w.Gemm.M || rows == 0 {
				t.Fatalf("gemm workload %+v accepted (rows %d)", w, rows)
			}
			if _, err := types.ChunkCountFor(rows, w.ChunkRows); err != nil {
				t.Fatalf("gemm workload %+v accepted, but no chunk count: %v", w, err)
			}
		case types.KindMLP:
			if w.Mlp == nil || w.Gemm != nil || w.Mlp.ModelId == 0 || w.Mlp.DatasetId == 0 {
				t.Fatalf("mlp workload %+v accepted", w)
			}
		default:
			t.Fatalf("workload kind %q accepted", w.Kind)
		}
		assertHardware(t, m.MinHardware)
	case *types.MsgCancelJob:
		assertAic(t, "requester", m.Requester, signer)
		if m.JobId == 0 {
			t.Fatal("job_id 0 accepted")
		}
	case *types.MsgCommitBid:
		assertAic(t, "provider", m.Provider, signer)
		if m.JobId == 0 || len(m.Commitment) != types.CommitmentLen {
			t.Fatalf("job %d commitment %x accepted", m.JobId, m.Commitment)
		}
	case *types.MsgRevealBid:
		assertAic(t, "provider", m.Provider, signer)
		assertPositiveCoin(t, "price", m.Price)
		if m.JobId == 0 || len(m.Salt) > types.MaxSaltLen {
			t.Fatalf("job %d salt %d bytes accepted", m.JobId, len(m.Salt))
		}
	case *types.MsgSubmitResult:
		assertAic(t, "provider", m.Provider, signer)
		if m.JobId == 0 || len(m.OutputRoot) != types.OutputRootLen || m.ChunkCount == 0 {
			t.Fatalf("result %+v accepted", m)
		}
	case *types.MsgDisputeResult:
		assertAic(t, "requester", m.Requester, signer)
		if m.JobId == 0 {
			t.Fatal("job_id 0 accepted")
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

package types_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

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

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// The chain's account prefix (the other tests of the package derive their
// addresses from the config, so they follow it).
func init() {
	sdk.GetConfig().SetBech32PrefixForAccount("aic", "aicpub")
}

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
	func() fuzzMsg { return &types.MsgLock{} },
	func() fuzzMsg { return &types.MsgExtendLock{} },
	func() fuzzMsg { return &types.MsgBeginUnlock{} },
	func() fuzzMsg { return &types.MsgWithdraw{} },
	func() fuzzMsg { return &types.MsgClaimRewards{} },
	func() fuzzMsg { return &types.MsgUpdateParams{} },
}

// fuzzAminoPrefix starts every amino name of the module.
const fuzzAminoPrefix = "aichain/stakingrewards/"

// fuzzSeed is one corpus entry: a Msg and whether ValidateBasic must accept it.
type fuzzSeed struct {
	msg   fuzzMsg
	valid bool
}

func fuzzSeeds(t testing.TB) []fuzzSeed {
	a := fuzzAddr(t, 1)
	coin := sdk.NewInt64Coin("uaic", 5_000_000)
	badTiers := types.DefaultParams()
	badTiers.LockTiers[1].Duration = badTiers.LockTiers[0].Duration
	return []fuzzSeed{
		{&types.MsgLock{Owner: a, Amount: coin, Duration: 30 * 24 * time.Hour}, true},
		{&types.MsgExtendLock{Owner: a, LockId: 1, Duration: 90 * 24 * time.Hour}, true},
		{&types.MsgBeginUnlock{Owner: a, LockId: 1}, true},
		{&types.MsgWithdraw{Owner: a, LockId: 1}, true},
		{&types.MsgClaimRewards{Owner: a}, true},
		{&types.MsgUpdateParams{Authority: a, Params: types.DefaultParams()}, true},
		// Invalid ones.
		{&types.MsgLock{Owner: a, Amount: sdk.Coin{Denom: "uaic", Amount: math.NewInt(-5)}, Duration: time.Hour}, false},
		{&types.MsgLock{Owner: a, Amount: coin, Duration: -time.Hour}, false},
		{&types.MsgExtendLock{Owner: a, LockId: 1}, false},
		{&types.MsgBeginUnlock{Owner: a}, false},
		{&types.MsgClaimRewards{Owner: "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a"}, false},
		{&types.MsgUpdateParams{Authority: a, Params: badTiers}, false},
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

func assertLockID(t testing.TB, id uint64) {
	if id == 0 {
		t.Fatal("lock_id 0 accepted")
	}
}

// assertValid checks what ValidateBasic promises for an accepted Msg.
func assertValid(t testing.TB, msg fuzzMsg, signer []byte) {
	switch m := msg.(type) {
	case *types.MsgLock:
		assertAic(t, "owner", m.Owner, signer)
		if !m.Amount.IsValid() || !m.Amount.IsPositive() || m.Duration <= 0 {
			t.Fatalf("lock of %s for %s accepted", m.Amount, m.Duration)
		}
	case *types.MsgExtendLock:
		assertAic(t, "owner", m.Owner, signer)
		assertLockID(t, m.LockId)
		if m.Duration <= 0 {
			t.Fatalf("duration %s accepted", m.Duration)
		}
	case *types.MsgBeginUnlock:
		assertAic(t, "owner", m.Owner, signer)
		assertLockID(t, m.LockId)
	case *types.MsgWithdraw:
		assertAic(t, "owner", m.Owner, signer)
		assertLockID(t, m.LockId)
	case *types.MsgClaimRewards:
		assertAic(t, "owner", m.Owner, signer)
	case *types.MsgUpdateParams:
		assertAic(t, "authority", m.Authority, signer)
		p := m.Params
		if err := p.Validate(); err != nil {
			t.Fatalf("params accepted: %v", err)
		}
		if len(p.LockTiers) == 0 || len(p.LockTiers) > types.MaxLockTiers || p.MinLockAmount.IsNil() || !p.MinLockAmount.IsPositive() {
			t.Fatalf("params %+v accepted", p)
		}
		for i, tier := range p.LockTiers {
			if tier.Duration <= 0 || tier.Multiplier.IsNil() || !tier.Multiplier.IsPositive() || tier.Multiplier.GT(types.MaxMultiplier) {
				t.Fatalf("tier %d %+v accepted", i, tier)
			}
			if i > 0 && (tier.Duration <= p.LockTiers[i-1].Duration || tier.Multiplier.LT(p.LockTiers[i-1].Multiplier)) {
				t.Fatalf("tiers out of order accepted: %+v", p.LockTiers)
			}
			if got, ok := p.Tier(tier.Duration); !ok || got.Duration != tier.Duration {
				t.Fatalf("tier %s not found by Tier", tier.Duration)
			}
		}
		if err := sdk.ValidateDenom(p.LockDenom); err != nil {
			t.Fatalf("lock_denom %q accepted", p.LockDenom)
		}
	default:
		t.Fatalf("no properties for %T", msg)
	}
}

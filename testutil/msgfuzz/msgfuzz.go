// Package msgfuzz is the fuzz harness that every module's Msg fuzz target
// (FuzzMsgsDecodeValidate in x/<module>/types) shares: it decodes arbitrary
// bytes as one of the module's Msgs, checks the protobuf round trip, both
// amino JSON encodings and the signers, and hands every Msg that
// ValidateBasic accepts to the module's own checks of what ValidateBasic
// promises.
//
// A fuzz input is one selector byte, which picks a Msg from Harness.Msgs
// (modulo their number), then the Msg's protobuf bytes. Committed corpora
// (x/*/types/testdata/fuzz/FuzzMsgsDecodeValidate/) depend on that format:
// do not change it, nor the order of a module's Msgs.
//
// The package is for tests only; it imports "testing".
package msgfuzz

import (
	"bytes"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/x/tx/signing"
	"cosmossdk.io/x/tx/signing/aminojson"
	gogoproto "github.com/cosmos/gogoproto/proto"
	protov2 "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/aichain/aichain/types/common"
)

// AccountPrefix and ValidatorPrefix are the chain's bech32 prefixes
// (app.Bech32Prefix and app.Bech32PrefixValAddr; not imported, so that the
// module tests do not build the whole app).
const (
	AccountPrefix   = "aic"
	ValidatorPrefix = "aicvaloper"
)

// Msg is what every generated Msg of a module provides.
type Msg interface {
	sdk.Msg
	sdk.HasValidateBasic
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// Seed is one corpus entry: a Msg and whether ValidateBasic must accept it.
type Seed struct {
	Msg   Msg
	Valid bool
}

// Harness is the fuzz harness of one module. Fill in the exported fields,
// and use it through a pointer (it builds its codecs once, on first use).
type Harness struct {
	// Codespace is the module's error codespace (its ModuleName): every
	// error of ValidateBasic must be one the module registered, so that users
	// see its code.
	Codespace string
	// AminoPrefix starts every amino name of the module ("aichain/compute/").
	AminoPrefix string
	// Msgs lists every Msg of the module's tx.proto, as empty values (the
	// harness decodes into new ones of the same types); the first fuzz input
	// byte selects one (modulo the length). Append only: the committed
	// corpora select by index.
	Msgs []Msg
	// RegisterAmino and RegisterInterfaces are the module's
	// types.RegisterLegacyAminoCodec and types.RegisterInterfaces.
	RegisterAmino      func(*codec.LegacyAmino)
	RegisterInterfaces func(codectypes.InterfaceRegistry)
	// Assert checks what ValidateBasic promises for an accepted Msg. signer
	// is the Msg's only signer, or nil where it has none (see Check).
	Assert func(t testing.TB, m Msg, signer []byte)

	once  sync.Once
	cdcs  codecs
	cdErr error
}

type codecs struct {
	amino     *codec.LegacyAmino
	aminoJSON aminojson.Encoder
	proto     *codec.ProtoCodec
}

// build builds the legacy amino codec, the x/tx amino JSON encoder and the
// proto codec (for the signers) once per Harness.
func (h *Harness) build() (*codecs, error) {
	h.once.Do(func() {
		amino := codec.NewLegacyAmino()
		h.RegisterAmino(amino)
		ir, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
			ProtoFiles: gogoproto.HybridResolver,
			SigningOptions: signing.Options{
				AddressCodec:          addresscodec.NewBech32Codec(AccountPrefix),
				ValidatorAddressCodec: addresscodec.NewBech32Codec(ValidatorPrefix),
			},
		})
		if err != nil {
			h.cdErr = fmt.Errorf("msgfuzz %s: interface registry: %w", h.Codespace, err)
			return
		}
		h.RegisterInterfaces(ir)
		h.cdcs = codecs{
			amino:     amino,
			aminoJSON: aminojson.NewEncoder(aminojson.EncoderOptions{}),
			proto:     codec.NewProtoCodec(ir),
		}
	})
	if h.cdErr != nil {
		return nil, h.cdErr
	}
	return &h.cdcs, nil
}

func (h *Harness) codecs(t testing.TB) *codecs {
	t.Helper()
	cdcs, err := h.build()
	if err != nil {
		t.Fatal(err)
	}
	return cdcs
}

// ProtoCodec is the harness's proto codec: the module's interfaces, with the
// chain's address codecs. Other fuzz targets of the module may share it.
func (h *Harness) ProtoCodec() (*codec.ProtoCodec, error) {
	cdcs, err := h.build()
	if err != nil {
		return nil, err
	}
	return cdcs.proto, nil
}

// Input is a seed's fuzz input: the selector byte, then the Msg's bytes.
func (h *Harness) Input(t testing.TB, m Msg) []byte {
	t.Helper()
	name := gogoproto.MessageName(m)
	for i, proto := range h.Msgs {
		if gogoproto.MessageName(proto) == name {
			bz, err := m.Marshal()
			if err != nil {
				t.Fatalf("marshal %s: %v", name, err)
			}
			return append([]byte{byte(i)}, bz...)
		}
	}
	t.Fatalf("%s is not in the harness's Msgs", name)
	return nil
}

// Fuzz is the body of a module's FuzzMsgsDecodeValidate: it adds every seed
// (whole and truncated), an input with a huge length prefix and the extra
// inputs to the corpus, and runs Check on every input.
func (h *Harness) Fuzz(f *testing.F, seeds []Seed, extra ...[]byte) {
	for _, s := range seeds {
		in := h.Input(f, s.Msg)
		f.Add(in)
		f.Add(in[:len(in)/2]) // truncated
	}
	f.Add([]byte{3, 0x12, 0xff, 0xff, 0xff, 0xff, 0x0f}) // huge length prefix
	for _, in := range extra {
		f.Add(in)
	}
	h.codecs(f) // build them before the workers start
	f.Fuzz(func(t *testing.T, data []byte) { h.Check(t, data) })
}

// TestSeeds runs every seed (whole and truncated) through Check, and checks
// that ValidateBasic accepts the valid ones and refuses the invalid ones,
// and that every Msg of the module has a valid seed.
func (h *Harness) TestSeeds(t *testing.T, seeds []Seed) {
	seen := map[string]bool{}
	for i, s := range seeds {
		in := h.Input(t, s.Msg)
		if ok := h.Check(t, in); ok != s.Valid {
			t.Errorf("seed %d (%s): ValidateBasic accepted=%v, want %v", i, gogoproto.MessageName(s.Msg), ok, s.Valid)
		}
		h.Check(t, in[:len(in)/2])
		if s.Valid {
			seen[gogoproto.MessageName(s.Msg)] = true
		}
	}
	for _, proto := range h.Msgs {
		if n := gogoproto.MessageName(proto); !seen[n] {
			t.Errorf("no valid seed for %s", n)
		}
	}
}

// Check decodes data (selector byte, Msg bytes), checks the round trip, both
// amino JSON encodings and ValidateBasic's promises, and reports whether
// ValidateBasic accepted the Msg. Bytes that do not decode are no finding.
func (h *Harness) Check(t testing.TB, data []byte) bool {
	t.Helper()
	if len(data) == 0 {
		return false
	}
	cdcs := h.codecs(t)
	typ := reflect.TypeOf(h.Msgs[int(data[0])%len(h.Msgs)]).Elem()
	newMsg := func() Msg { return reflect.New(typ).Interface().(Msg) } // a Msg is a *T: so is the new one
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
	// SIGN_MODE_LEGACY_AMINO_JSON uses, on the API v2 form of the bytes.
	if _, err := cdcs.amino.MarshalJSON(m); err != nil {
		t.Fatalf("%s: legacy amino JSON: %v", name, err)
	}
	desc, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		t.Fatalf("%s: descriptor: %v", name, err)
	}
	md, ok := desc.(protoreflect.MessageDescriptor)
	if !ok {
		t.Fatalf("%s: descriptor is a %T, not a message", name, desc)
	}
	dm := apiForm(md)
	// gogoproto accepts invalid UTF-8 in strings, protobuf-go does not: such a
	// Msg never gets signers or sign bytes, so the chain refuses it anyway.
	v2err := protov2.Unmarshal(bz, dm)
	if v2err != nil && !strings.Contains(v2err.Error(), "invalid UTF-8") {
		t.Fatalf("%s: protov2 decode of gogo bytes: %v", name, v2err)
	}
	var signJSON []byte
	var signErr error
	if v2err == nil {
		signJSON, signErr = cdcs.aminoJSON.Marshal(dm) // must not panic, even for an invalid Msg
	}

	// Every refusal must be an error the module registered (errorsmod), so
	// that the user sees the module's codespace and code, not "internal".
	if err := m.ValidateBasic(); err != nil {
		if cs, _, _ := errorsmod.ABCIInfo(err, false); cs != h.Codespace {
			t.Fatalf("%s: ValidateBasic error is not a registered %s error: %v", name, h.Codespace, err)
		}
		return false
	}
	if v2err != nil {
		// Accepted by ValidateBasic but not decodable by protobuf-go (invalid
		// UTF-8): no signers to compare with, the promises still hold.
		h.Assert(t, m, nil)
		return true
	}
	if signErr != nil {
		t.Fatalf("%s: valid Msg has no amino JSON sign bytes: %v", name, signErr)
	}
	if !bytes.Contains(signJSON, []byte(`"type":"`+h.AminoPrefix)) {
		t.Fatalf("%s: amino JSON %s lacks the amino type name", name, signJSON)
	}
	signers, _, err := cdcs.proto.GetMsgV1Signers(m)
	if err != nil || len(signers) != 1 {
		t.Fatalf("%s: signers %x: %v", name, signers, err)
	}
	h.Assert(t, m, signers[0])
	return true
}

// Addr is an account address of 20 bytes b.
func Addr(t testing.TB, b byte) string {
	t.Helper()
	s, err := bech32.ConvertAndEncode(AccountPrefix, bytes.Repeat([]byte{b}, 20))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// AssertFetchURL checks a uri agents fetch over HTTP (a model's weights, a
// dataset's server): an http(s) URL with a host, in valid UTF-8 without
// spaces or control characters.
func AssertFetchURL(t testing.TB, field, uri string) {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !utf8.ValidString(uri) ||
		strings.IndexFunc(uri, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		t.Fatalf("%s %q accepted", field, uri)
	}
}

// AssertAic checks that addr is an "aic" account address whose bytes are
// the Msg's signer (when signer is not nil).
func AssertAic(t testing.TB, field, addr string, signer []byte) {
	t.Helper()
	hrp, bz, err := bech32.DecodeAndConvert(addr)
	if err != nil || hrp != AccountPrefix || len(bz) == 0 || len(bz) > 255 {
		t.Fatalf("%s %q accepted: hrp %q, %d bytes, %v", field, addr, hrp, len(bz), err)
	}
	if signer != nil && !bytes.Equal(bz, signer) {
		t.Fatalf("%s %q is not the signer %x", field, addr, signer)
	}
}

// AssertPositiveCoin checks that c is a valid, positive coin.
func AssertPositiveCoin(t testing.TB, field string, c sdk.Coin) {
	t.Helper()
	if !c.IsValid() || !c.IsPositive() {
		t.Fatalf("%s %s accepted", field, c)
	}
}

// AssertFees checks that fees are empty or valid (sorted, positive, no
// duplicate denoms).
func AssertFees(t testing.TB, field string, fees sdk.Coins) {
	t.Helper()
	if !fees.Empty() && !fees.IsValid() {
		t.Fatalf("%s %s accepted", field, fees)
	}
}

// AssertShares checks a non-empty list of at most common.MaxShares revenue
// shares: "aic" addresses, each once, with positive weights.
func AssertShares(t testing.TB, shares []common.Share) {
	t.Helper()
	if len(shares) == 0 || len(shares) > common.MaxShares {
		t.Fatalf("%d shares accepted", len(shares))
	}
	seen := map[string]bool{}
	for _, s := range shares {
		AssertAic(t, "share", s.Address, nil)
		if s.Weight == 0 || seen[s.Address] {
			t.Fatalf("shares %+v accepted", shares)
		}
		seen[s.Address] = true
	}
}

// Valid is a seed that ValidateBasic must accept.
func Valid(m Msg) Seed { return Seed{Msg: m, Valid: true} }

// Invalid is a seed that ValidateBasic must refuse.
func Invalid(m Msg) Seed { return Seed{Msg: m, Valid: false} }

// apiForm is a new message of md in the API v2 form the chain reads: the
// generated type of api/ where one is registered (every aichain Msg), else
// a dynamic message.
func apiForm(md protoreflect.MessageDescriptor) protov2.Message {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName()); err == nil {
		return mt.New().Interface()
	}
	return dynamicpb.NewMessage(md)
}

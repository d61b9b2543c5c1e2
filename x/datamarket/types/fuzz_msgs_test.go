package types_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

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
	"github.com/aichain/aichain/x/datamarket/types"
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
	func() fuzzMsg { return &types.MsgListDataset{} },
	func() fuzzMsg { return &types.MsgUpdateDataset{} },
	func() fuzzMsg { return &types.MsgDelistDataset{} },
	func() fuzzMsg { return &types.MsgPurchaseLicense{} },
	func() fuzzMsg { return &types.MsgRenewLicense{} },
	func() fuzzMsg { return &types.MsgTransferLicense{} },
	func() fuzzMsg { return &types.MsgUpdateParams{} },
}

// fuzzAminoPrefix starts every amino name of the module.
const fuzzAminoPrefix = "aichain/datamarket/"

// fuzzSeed is one corpus entry: a Msg and whether ValidateBasic must accept it.
type fuzzSeed struct {
	msg   fuzzMsg
	valid bool
}

func fuzzSeeds(t testing.TB) []fuzzSeed {
	a, b := fuzzAddr(t, 1), fuzzAddr(t, 2)
	h := sha256.Sum256([]byte("x"))
	sha := hex.EncodeToString(h[:])
	price := sdk.NewCoins(sdk.NewInt64Coin("uaic", 3))
	offers := []types.LicenseOffer{
		{Kind: types.LICENSE_KIND_RENTAL, DurationBlocks: 5, Price: price, Transferable: true},
		{Kind: types.LICENSE_KIND_PER_JOB, Price: price},
		{Kind: types.LICENSE_KIND_SUBSCRIPTION, PeriodBlocks: 7, Price: price},
		{Kind: types.LICENSE_KIND_PERPETUAL},
	}
	list := func() *types.MsgListDataset {
		return &types.MsgListDataset{
			Owner: a, Name: "iris", Description: "d", Format: types.FormatNpyF32, Rows: 10, Cols: 2, RowsPerChunk: 5,
			ContentRoot: h[:], Sha256: sha, Uri: "https://d.example/iris.npy", Offers: offers,
			Shares: []common.Share{{Address: a, Weight: 1}, {Address: b, Weight: 3}},
		}
	}
	badFormat, badShares, twoPerJob := list(), list(), list()
	badFormat.Format = "csv"
	badShares.Shares = []common.Share{{Address: a, Weight: 1}, {Address: a, Weight: 1}}
	twoPerJob.Offers = append(twoPerJob.Offers, types.LicenseOffer{Kind: types.LICENSE_KIND_PER_JOB})
	return []fuzzSeed{
		{list(), true},
		{&types.MsgUpdateDataset{Owner: a, DatasetId: 1, Rows: 4, Cols: 4, RowsPerChunk: 4, ContentRoot: h[:], Sha256: sha}, true},
		{&types.MsgDelistDataset{Owner: a, DatasetId: 1}, true},
		{&types.MsgPurchaseLicense{Buyer: a, DatasetId: 1, OfferIndex: 2}, true},
		{&types.MsgRenewLicense{Licensee: a, LicenseId: 1}, true},
		{&types.MsgTransferLicense{Licensee: a, LicenseId: 1, Recipient: b}, true},
		{&types.MsgUpdateParams{Authority: a, Params: types.DefaultParams()}, true},
		// Invalid ones.
		{badFormat, false},
		{badShares, false},
		{twoPerJob, false},
		{&types.MsgUpdateDataset{Owner: a, DatasetId: 1, Rows: 4, Cols: 4, RowsPerChunk: 5, ContentRoot: h[:], Sha256: sha}, false},
		{&types.MsgUpdateDataset{Owner: a, DatasetId: 1, Rows: 4, Cols: 4, RowsPerChunk: 4, ContentRoot: h[:], Sha256: strings.ToUpper(sha)}, false},
		{&types.MsgPurchaseLicense{Buyer: "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a", DatasetId: 1}, false},
		{&types.MsgTransferLicense{Licensee: a, LicenseId: 1, Recipient: a}, false},
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

func assertContent(t testing.TB, rows, cols, rowsPerChunk uint64, root []byte, sha string) {
	if rows == 0 || cols == 0 || rows > 1<<40 || cols > 1<<20 || rowsPerChunk == 0 || rowsPerChunk > rows || len(root) != 32 {
		t.Fatalf("content %d×%d per %d root %x accepted", rows, cols, rowsPerChunk, root)
	}
	if bz, err := hex.DecodeString(sha); err != nil || len(bz) != 32 || strings.ToLower(sha) != sha {
		t.Fatalf("sha256 %q accepted", sha)
	}
}

func assertOffers(t testing.TB, offers []types.LicenseOffer) {
	if len(offers) == 0 {
		t.Fatal("no offers accepted")
	}
	perJob := 0
	for _, o := range offers {
		if !o.Price.IsValid() && !o.Price.Empty() {
			t.Fatalf("offer price %s accepted", o.Price)
		}
		switch o.Kind {
		case types.LICENSE_KIND_PERPETUAL, types.LICENSE_KIND_PER_JOB:
			if o.Term() != 0 || o.DurationBlocks != 0 || o.PeriodBlocks != 0 {
				t.Fatalf("offer %+v accepted", o)
			}
		case types.LICENSE_KIND_RENTAL, types.LICENSE_KIND_SUBSCRIPTION:
			if o.Term() == 0 || o.DurationBlocks != 0 && o.PeriodBlocks != 0 {
				t.Fatalf("offer %+v accepted", o)
			}
		default:
			t.Fatalf("offer kind %d accepted", o.Kind)
		}
		if o.Kind == types.LICENSE_KIND_PER_JOB {
			perJob++
			if o.Transferable {
				t.Fatal("transferable PER_JOB offer accepted")
			}
		}
	}
	if perJob > 1 {
		t.Fatalf("%d PER_JOB offers accepted", perJob)
	}
}

// assertValid checks what ValidateBasic promises for an accepted Msg.
func assertValid(t testing.TB, msg fuzzMsg, signer []byte) {
	switch m := msg.(type) {
	case *types.MsgListDataset:
		assertAic(t, "owner", m.Owner, signer)
		if strings.TrimSpace(m.Name) == "" || m.Format != types.FormatNpyF32 {
			t.Fatalf("name %q format %q accepted", m.Name, m.Format)
		}
		assertContent(t, m.Rows, m.Cols, m.RowsPerChunk, m.ContentRoot, m.Sha256)
		assertOffers(t, m.Offers)
		seen := map[string]bool{}
		for _, s := range m.Shares {
			assertAic(t, "share", s.Address, nil)
			if s.Weight == 0 || seen[s.Address] {
				t.Fatalf("shares %+v accepted", m.Shares)
			}
			seen[s.Address] = true
		}
		if len(m.Shares) > common.MaxShares {
			t.Fatalf("%d shares accepted", len(m.Shares))
		}
	case *types.MsgUpdateDataset:
		assertAic(t, "owner", m.Owner, signer)
		if m.DatasetId == 0 {
			t.Fatal("dataset_id 0 accepted")
		}
		assertContent(t, m.Rows, m.Cols, m.RowsPerChunk, m.ContentRoot, m.Sha256)
		if len(m.Offers) > 0 {
			assertOffers(t, m.Offers)
		}
	case *types.MsgDelistDataset:
		assertAic(t, "owner", m.Owner, signer)
		if m.DatasetId == 0 {
			t.Fatal("dataset_id 0 accepted")
		}
	case *types.MsgPurchaseLicense:
		assertAic(t, "buyer", m.Buyer, signer)
		if m.DatasetId == 0 {
			t.Fatal("dataset_id 0 accepted")
		}
	case *types.MsgRenewLicense:
		assertAic(t, "licensee", m.Licensee, signer)
		if m.LicenseId == 0 {
			t.Fatal("license_id 0 accepted")
		}
	case *types.MsgTransferLicense:
		assertAic(t, "licensee", m.Licensee, signer)
		assertAic(t, "recipient", m.Recipient, nil)
		if m.LicenseId == 0 || m.Licensee == m.Recipient {
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

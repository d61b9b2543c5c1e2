package types_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/testutil/msgfuzz"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

func FuzzMsgsDecodeValidate(f *testing.F) { fuzzHarness.Fuzz(f, fuzzSeeds(f)) }

// TestFuzzMsgsSeeds runs every seed through the fuzz check, and checks that
// ValidateBasic accepts the valid ones and refuses the invalid ones.
func TestFuzzMsgsSeeds(t *testing.T) { fuzzHarness.TestSeeds(t, fuzzSeeds(t)) }

// fuzzHarness decodes fuzz inputs as the module's Msgs.
var fuzzHarness = &msgfuzz.Harness{
	Codespace: types.ModuleName, AminoPrefix: "aichain/models/", Assert: assertValid,
	RegisterAmino: types.RegisterLegacyAminoCodec, RegisterInterfaces: types.RegisterInterfaces,
	Msgs: []msgfuzz.Msg{ // the order of the inputs' selector byte: append only
		&types.MsgRegisterModel{}, &types.MsgPublishVersion{}, &types.MsgUpdateFees{},
		&types.MsgUpdateShares{}, &types.MsgDeprecateModel{}, &types.MsgTransferOwnership{},
		&types.MsgUpdateParams{}, &types.MsgAcceptOwnership{}, &types.MsgCancelOwnershipTransfer{},
		&types.MsgUpdateUri{},
	},
}

func fuzzSeeds(t testing.TB) []msgfuzz.Seed {
	a, b := msgfuzz.Addr(t, 1), msgfuzz.Addr(t, 2)
	fees := sdk.NewCoins(sdk.NewInt64Coin("uaic", 10), sdk.NewInt64Coin("uatom", 1))
	shares := []common.Share{{Address: a, Weight: 3}, {Address: b, Weight: 1}}
	reg := func() *types.MsgRegisterModel {
		return &types.MsgRegisterModel{
			Owner: a, Name: "iris-mlp", Version: "1.0.0+b.1", Architecture: types.ArchitectureMLPF32,
			Sha256: strings.Repeat("0f", 32), Uri: "https://models.example/iris.safetensors", InputDim: 4, OutputDim: 3,
			License: "MIT", FeePerJob: fees, FeePer1kRows: sdk.NewCoins(sdk.NewInt64Coin("uaic", 1)), Shares: shares,
		}
	}
	badName, badURI, badFees := reg(), reg(), reg()
	badName.Name = "a/b"
	badURI.Uri = "ipfs://x y"
	badFees.FeePerJob = sdk.Coins{sdk.NewInt64Coin("uatom", 1), sdk.NewInt64Coin("uaic", 1)} // unsorted
	return []msgfuzz.Seed{
		msgfuzz.Valid(reg()),
		msgfuzz.Valid(&types.MsgPublishVersion{
			Owner: a, Name: "iris-mlp", Version: "2", Architecture: types.ArchitectureMLPF32,
			Sha256: strings.Repeat("ab", 32), Uri: "https://m.example/v2", InputDim: 4, OutputDim: 3, License: "Apache-2.0", Shares: shares[:1],
		}),
		msgfuzz.Valid(&types.MsgUpdateFees{Owner: a, ModelId: 1, FeePerJob: fees}),
		msgfuzz.Valid(&types.MsgUpdateShares{Owner: a, ModelId: 1, Shares: shares}),
		msgfuzz.Valid(&types.MsgDeprecateModel{Owner: a, ModelId: 1}),
		msgfuzz.Valid(&types.MsgTransferOwnership{Owner: a, ModelId: 1, NewOwner: b}),
		msgfuzz.Valid(&types.MsgUpdateParams{Authority: a, Params: types.DefaultParams()}),
		msgfuzz.Valid(&types.MsgAcceptOwnership{NewOwner: b, ModelId: 1}),
		msgfuzz.Valid(&types.MsgCancelOwnershipTransfer{Owner: a, ModelId: 1}),
		msgfuzz.Valid(&types.MsgUpdateUri{Owner: a, ModelId: 1, Uri: "https://mirror.example/iris.safetensors"}),
		// Invalid ones.
		msgfuzz.Invalid(badName),
		msgfuzz.Invalid(badURI),
		msgfuzz.Invalid(badFees),
		msgfuzz.Invalid(&types.MsgUpdateShares{Owner: a, ModelId: 1}),
		msgfuzz.Invalid(&types.MsgDeprecateModel{Owner: "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a", ModelId: 1}),
		msgfuzz.Invalid(&types.MsgTransferOwnership{Owner: a, ModelId: 1, NewOwner: a}),
		msgfuzz.Invalid(&types.MsgUpdateParams{Authority: a}),
		msgfuzz.Invalid(&types.MsgAcceptOwnership{NewOwner: b}),
		msgfuzz.Invalid(&types.MsgCancelOwnershipTransfer{Owner: "aic1", ModelId: 1}),
		msgfuzz.Invalid(&types.MsgUpdateUri{Owner: a, ModelId: 1, Uri: "https://m.example/a b"}),
		msgfuzz.Invalid(&types.MsgUpdateUri{Owner: a, ModelId: 1}),
		msgfuzz.Invalid(&types.MsgUpdateUri{Owner: a, Uri: "https://m.example/w"}),
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
	if arch != types.ArchitectureMLPF32 { // a gpt-f32 model needs its config, which these messages lack
		t.Fatalf("architecture %q accepted", arch)
	}
	if len(sha) != 64 || strings.Trim(sha, "0123456789abcdef") != "" {
		t.Fatalf("sha256 %q accepted", sha)
	}
	if len(uri) > types.HardMaxURILength {
		t.Fatalf("uri %q accepted", uri)
	}
	assertWeightsURI(t, uri)
	if in == 0 || out == 0 || in > types.MaxDim || out > types.MaxDim {
		t.Fatalf("dims %d→%d accepted", in, out)
	}
	if strings.TrimSpace(license) == "" || len(license) > types.HardMaxLicenseLength || !utf8.ValidString(license) {
		t.Fatalf("license %q accepted", license)
	}
	msgfuzz.AssertFees(t, "fee_per_job", perJob)
	msgfuzz.AssertFees(t, "fee_per_1k_rows", per1k)
	msgfuzz.AssertShares(t, shares)
}

// assertValid checks what ValidateBasic promises for an accepted Msg.
func assertValid(t testing.TB, msg msgfuzz.Msg, signer []byte) {
	switch m := msg.(type) {
	case *types.MsgRegisterModel:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		assertSpec(t, m.Name, m.Version, m.Architecture, m.Sha256, m.Uri, m.InputDim, m.OutputDim, m.License, m.FeePerJob, m.FeePer1kRows, m.Shares)
	case *types.MsgPublishVersion:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		assertSpec(t, m.Name, m.Version, m.Architecture, m.Sha256, m.Uri, m.InputDim, m.OutputDim, m.License, m.FeePerJob, m.FeePer1kRows, m.Shares)
	case *types.MsgUpdateFees:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		if m.ModelId == 0 {
			t.Fatal("model_id 0 accepted")
		}
		msgfuzz.AssertFees(t, "fee_per_job", m.FeePerJob)
		msgfuzz.AssertFees(t, "fee_per_1k_rows", m.FeePer1kRows)
	case *types.MsgUpdateShares:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		if m.ModelId == 0 {
			t.Fatal("model_id 0 accepted")
		}
		msgfuzz.AssertShares(t, m.Shares)
	case *types.MsgUpdateUri:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		if m.ModelId == 0 {
			t.Fatal("model_id 0 accepted")
		}
		if len(m.Uri) > types.HardMaxURILength {
			t.Fatalf("uri %q accepted", m.Uri)
		}
		assertWeightsURI(t, m.Uri)
	case *types.MsgDeprecateModel:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		if m.ModelId == 0 {
			t.Fatal("model_id 0 accepted")
		}
	case *types.MsgTransferOwnership:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		msgfuzz.AssertAic(t, "new_owner", m.NewOwner, nil)
		if m.ModelId == 0 || m.Owner == m.NewOwner {
			t.Fatalf("transfer %+v accepted", m)
		}
	case *types.MsgAcceptOwnership:
		msgfuzz.AssertAic(t, "new_owner", m.NewOwner, signer)
		if m.ModelId == 0 {
			t.Fatal("model_id 0 accepted")
		}
	case *types.MsgCancelOwnershipTransfer:
		msgfuzz.AssertAic(t, "owner", m.Owner, signer)
		if m.ModelId == 0 {
			t.Fatal("model_id 0 accepted")
		}
	case *types.MsgUpdateParams:
		msgfuzz.AssertAic(t, "authority", m.Authority, signer)
		if err := m.Params.Validate(); err != nil {
			t.Fatalf("params accepted: %v", err)
		}
	default:
		t.Fatalf("no properties for %T", msg)
	}
}

// assertWeightsURI checks a uri a message sets: an http(s) URL with a host,
// or a file:///absolute/path (a local network's), in valid UTF-8 without
// spaces or control characters.
func assertWeightsURI(t testing.TB, uri string) {
	t.Helper()
	if u, err := url.Parse(uri); err == nil && u.Scheme == "file" && u.Host == "" && strings.HasPrefix(u.Path, "/") &&
		utf8.ValidString(uri) && strings.IndexFunc(uri, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0 {
		return
	}
	msgfuzz.AssertFetchURL(t, "uri", uri)
}

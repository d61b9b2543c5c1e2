package types_test

import (
	"strings"
	"testing"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

func init() {
	cfg := sdk.GetConfig()
	cfg.SetBech32PrefixForAccount("aic", "aicpub")
}

func addr() string { return sdk.AccAddress(secp256k1.GenPrivKey().PubKey().Address()).String() }

func validRegister() *types.MsgRegisterModel {
	a := addr()
	return &types.MsgRegisterModel{
		Owner: a, Name: "iris-mlp", Version: "1.0.0", Architecture: types.ArchitectureMLPF32,
		Sha256: strings.Repeat("0f", 32), Uri: "https://models.example/iris.safetensors", InputDim: 4, OutputDim: 3,
		License: "MIT", FeePerJob: sdk.NewCoins(sdk.NewInt64Coin("uaic", 10)),
		Shares: []common.Share{{Address: a, Weight: 1}},
	}
}

func TestValidateNameAndVersion(t *testing.T) {
	for _, ok := range []string{"a", "iris-mlp", "Model_2.0", strings.Repeat("x", types.HardMaxNameLength)} {
		if err := types.ValidateName(ok); err != nil {
			t.Errorf("name %q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-lead", ".dot", "a/b", "sp ace", "ünï", strings.Repeat("x", types.HardMaxNameLength+1)} {
		if err := types.ValidateName(bad); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	if err := types.ValidateVersion("1.0.0+build.5"); err != nil {
		t.Errorf("semver with build metadata refused: %v", err)
	}
	if err := types.ValidateVersion("1 0"); err == nil {
		t.Error("version with a space accepted")
	}
}

// TestNameSkeleton: names drawn alike in common sans-serif fonts share a
// skeleton (the capital I as an l, cl as a d), names that read differently
// do not (the lower-case i is dotted), and every skeleton is its own (so
// that the skeleton of a name and of its skeleton agree).
func TestNameSkeleton(t *testing.T) {
	alike := [][]string{
		{"llama-7b", "LLAMA-7b", "Ilama-7b", "1lama-7b", "IIama-7b", "|lama-7b"},
		{"opt-13b", "0pt-13b", "OPT-l3b", "0PT-I3B"},
		{"mistral", "rnistral", "RNistral"},
		{"whisper", "vvhisper", "VVhisper", "Whisper"},
		{"vw", "wv", "vvv", "VVV"},
		{"dolly-v2", "clolly-v2", "cIolly-v2", "Dolly-v2"},
	}
	for _, group := range alike {
		want := types.NameSkeleton(group[0])
		for _, name := range group[1:] {
			if got := types.NameSkeleton(name); got != want {
				t.Errorf("skeleton of %q = %q, want %q (that of %q)", name, got, want, group[0])
			}
		}
		if again := types.NameSkeleton(want); again != want {
			t.Errorf("skeleton of the skeleton %q = %q", want, again)
		}
	}
	distinct := [][2]string{
		{"llama-7b", "llava-7b"}, {"opt-13b", "opt-13"}, {"bert", "bart"}, {"v1.0", "v1_0"},
		{"bit", "blt"}, {"vim", "vlm"}, {"dit", "dlt"}, {"iiama-7b", "llama-7b"},
	}
	for _, pair := range distinct {
		if types.NameSkeleton(pair[0]) == types.NameSkeleton(pair[1]) {
			t.Errorf("%q and %q share a skeleton", pair[0], pair[1])
		}
	}
}

func TestMsgValidateBasic(t *testing.T) {
	if err := validRegister().ValidateBasic(); err != nil {
		t.Fatalf("valid msg refused: %v", err)
	}
	cases := map[string]func(m *types.MsgRegisterModel){
		"bad owner":        func(m *types.MsgRegisterModel) { m.Owner = "cosmos1xyz" },
		"arch":             func(m *types.MsgRegisterModel) { m.Architecture = "" },
		"short sha":        func(m *types.MsgRegisterModel) { m.Sha256 = "abc" },
		"non-hex sha":      func(m *types.MsgRegisterModel) { m.Sha256 = strings.Repeat("zz", 32) },
		"empty uri":        func(m *types.MsgRegisterModel) { m.Uri = "" },
		"uri with space":   func(m *types.MsgRegisterModel) { m.Uri = "https://a b" },
		"output dim zero":  func(m *types.MsgRegisterModel) { m.OutputDim = 0 },
		"dim too large":    func(m *types.MsgRegisterModel) { m.InputDim = types.MaxDim + 1 },
		"empty license":    func(m *types.MsgRegisterModel) { m.License = "" },
		"negative fee":     func(m *types.MsgRegisterModel) { m.FeePer1kRows = sdk.Coins{{Denom: "uaic", Amount: math.NewInt(-5)}} },
		"zero weight":      func(m *types.MsgRegisterModel) { m.Shares[0].Weight = 0 },
		"no shares":        func(m *types.MsgRegisterModel) { m.Shares = nil },
		"too many shares":  func(m *types.MsgRegisterModel) { m.Shares = make([]common.Share, common.MaxShares+1) },
		"bad version char": func(m *types.MsgRegisterModel) { m.Version = "v1/2" },
	}
	for name, mutate := range cases {
		m := validRegister()
		mutate(m)
		if err := m.ValidateBasic(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	a, b := addr(), addr()
	if err := (&types.MsgTransferOwnership{Owner: a, ModelId: 1, NewOwner: a}).ValidateBasic(); err == nil {
		t.Error("transfer to self accepted")
	}
	if err := (&types.MsgTransferOwnership{Owner: a, ModelId: 1, NewOwner: b}).ValidateBasic(); err != nil {
		t.Errorf("valid transfer refused: %v", err)
	}
	if err := (&types.MsgDeprecateModel{Owner: a}).ValidateBasic(); err == nil {
		t.Error("model id 0 accepted")
	}
	if err := (&types.MsgAcceptOwnership{NewOwner: b, ModelId: 1}).ValidateBasic(); err != nil {
		t.Errorf("valid accept refused: %v", err)
	}
	if err := (&types.MsgCancelOwnershipTransfer{Owner: a, ModelId: 1}).ValidateBasic(); err != nil {
		t.Errorf("valid cancel refused: %v", err)
	}
	for _, m := range []sdk.HasValidateBasic{
		&types.MsgAcceptOwnership{NewOwner: b}, &types.MsgAcceptOwnership{NewOwner: "aic1", ModelId: 1},
		&types.MsgCancelOwnershipTransfer{Owner: a}, &types.MsgCancelOwnershipTransfer{Owner: "x", ModelId: 1},
	} {
		if err := m.ValidateBasic(); err == nil {
			t.Errorf("%T %+v accepted", m, m)
		}
	}
	if err := (&types.MsgUpdateParams{Authority: a, Params: types.Params{}}).ValidateBasic(); err == nil {
		t.Error("zero params accepted")
	}
}

func TestParamsValidate(t *testing.T) {
	if err := types.DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
	p := types.DefaultParams()
	p.MaxUriLength = types.HardMaxURILength + 1
	if err := p.Validate(); err == nil {
		t.Error("uri limit over the hard cap accepted")
	}
	p = types.DefaultParams()
	p.PlatformFeeBps = common.BasisPoints
	if err := p.Validate(); err != nil {
		t.Errorf("100%% platform fee refused: %v", err)
	}
	if err := types.DefaultParams().CheckLengths("n", "v", strings.Repeat("u", int(types.DefaultMaxURILength)+1), "MIT"); err == nil {
		t.Error("uri over the params limit accepted")
	}
}

// FuzzMsgRegisterModel decodes arbitrary bytes as a MsgRegisterModel and runs
// ValidateBasic and the fee computation on it: neither may panic, and an
// accepted message always has a computable job fee.
func FuzzMsgRegisterModel(f *testing.F) {
	seed, err := validRegister().Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed, uint64(1500))
	f.Add([]byte{}, uint64(0))
	f.Add([]byte{0x0a, 0x03, 'a', 'b', 'c'}, uint64(1<<63))
	f.Fuzz(func(t *testing.T, bz []byte, rows uint64) {
		var m types.MsgRegisterModel
		if err := m.Unmarshal(bz); err != nil {
			return
		}
		if err := m.ValidateBasic(); err != nil {
			return
		}
		fee, err := types.JobFee(m.FeePerJob, m.FeePer1kRows, rows)
		if err != nil {
			return
		}
		if !fee.IsValid() && !fee.IsZero() {
			t.Fatalf("invalid fee %s from valid msg", fee)
		}
		if !fee.IsAllGTE(m.FeePerJob) {
			t.Fatalf("job fee %s below fee_per_job %s", fee, m.FeePerJob)
		}
	})
}

// TestValidateNewURI: a uri a message sets is one agents fetch weights
// from: http(s) with a host, or file:///absolute/path on a local network;
// any other scheme no agent fetches, and the genesis rule (ValidateURI)
// still takes it for a model registered before.
func TestValidateNewURI(t *testing.T) {
	for uri, ok := range map[string]bool{
		"https://models.example/iris.safetensors": true,
		"http://127.0.0.1:8080/w.safetensors":     true,
		"file:///var/lib/models/w.safetensors":    true,
		"ipfs://bafy/iris.safetensors":            false,
		"s3://bucket/w.safetensors":               false,
		"file://host/w.safetensors":               false,
		"file:relative/w.safetensors":             false,
		"https:///no-host":                        false,
		"http://a:0/w":                            false,
		"https://models.example/\u202ew":          false, // a right-to-left override
	} {
		err := types.ValidateNewURI(uri)
		if ok != (err == nil) || (err != nil && !types.ErrInvalidModel.Is(err)) {
			t.Errorf("%q: %v, want accepted=%v (ErrInvalidModel otherwise)", uri, err, ok)
		}
		if err := types.ValidateURI(uri); err != nil && uri != "https://models.example/\u202ew" {
			t.Errorf("%q: the genesis rule refuses it: %v", uri, err)
		}
	}
	m := types.MsgUpdateUri{Owner: sdk.AccAddress(make([]byte, 20)).String(), ModelId: 1, Uri: "ipfs://bafy/iris.safetensors"}
	if err := m.ValidateBasic(); !types.ErrInvalidModel.Is(err) {
		t.Fatalf("MsgUpdateUri to ipfs: %v, want ErrInvalidModel", err)
	}
}

package keeper_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/keeper"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// computeModelKeeper is the interface x/compute declares for this module
// (in its own expected_keepers.go); the Keeper must satisfy it exactly.
type computeModelKeeper interface {
	ModelTermsForJob(ctx context.Context, modelID uint64, rows uint64) (common.ModelTerms, error)
	PayModelFee(ctx context.Context, modelID uint64, fromModule string, fee sdk.Coins, shares []common.Share, rows uint64) error
}

var _ computeModelKeeper = keeper.Keeper{}

const denom = "uaic"

type fixture struct {
	ta  *apptesting.TestApp
	k   keeper.Keeper
	srv types.MsgServer
	q   types.QueryServer
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ta := apptesting.Setup(t, 4)
	k := ta.ModelRegistryKeeper
	return &fixture{ta: ta, k: k, srv: keeper.NewMsgServerImpl(k), q: keeper.NewQueryServerImpl(k)}
}

func (f *fixture) addr(i int) string { return f.ta.Accounts[i].String() }

func newAddr() string {
	return sdk.AccAddress(secp256k1.GenPrivKey().PubKey().Address()).String()
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func coins(amt int64) sdk.Coins { return sdk.NewCoins(sdk.NewInt64Coin(denom, amt)) }

func registerMsg(owner, name, version string, shares ...common.Share) *types.MsgRegisterModel {
	if len(shares) == 0 {
		shares = []common.Share{{Address: owner, Weight: 1}}
	}
	return &types.MsgRegisterModel{
		Owner: owner, Name: name, Version: version, Architecture: types.ArchitectureMLPF32,
		Sha256: digest(name + version), Uri: "https://models.example/" + name + "/" + version + ".safetensors",
		InputDim: 4, OutputDim: 3, License: "Apache-2.0",
		FeePerJob: coins(1000), FeePer1kRows: coins(50), Shares: shares,
	}
}

func publishMsg(r *types.MsgRegisterModel) *types.MsgPublishVersion {
	return &types.MsgPublishVersion{
		Owner: r.Owner, Name: r.Name, Version: r.Version, Architecture: r.Architecture, Sha256: r.Sha256,
		Uri: r.Uri, InputDim: r.InputDim, OutputDim: r.OutputDim, Gpt: r.Gpt, License: r.License,
		FeePerJob: r.FeePerJob, FeePer1kRows: r.FeePer1kRows, Shares: r.Shares,
	}
}

func (f *fixture) register(t *testing.T, msg *types.MsgRegisterModel) uint64 {
	t.Helper()
	res, err := f.srv.RegisterModel(f.ta.Ctx, msg)
	if err != nil {
		t.Fatalf("register %s %s: %v", msg.Name, msg.Version, err)
	}
	return res.ModelId
}

func (f *fixture) model(t *testing.T, id uint64) types.Model {
	t.Helper()
	m, err := f.k.GetModel(f.ta.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// give transfers model id from owner to to: the offer, and its acceptance.
func (f *fixture) give(t *testing.T, owner string, id uint64, to string) {
	t.Helper()
	if _, err := f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: owner, ModelId: id, NewOwner: to}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.AcceptOwnership(f.ta.Ctx, &types.MsgAcceptOwnership{NewOwner: to, ModelId: id, OfferSeq: f.model(t, id).OfferSeq}); err != nil {
		t.Fatal(err)
	}
}

// snapshot is the module's whole state as its genesis export, to assert that
// a failed Msg changed nothing.
func (f *fixture) snapshot(t *testing.T) string {
	t.Helper()
	gs, err := f.k.ExportGenesis(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	return gs.String()
}

func wantErr(t *testing.T, err error, target error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: accepted, want %v", what, target)
	}
	if !errors.Is(err, target) {
		t.Fatalf("%s: got %v, want %v", what, err, target)
	}
}

func hasEvent(ctx sdk.Context, typ string) bool {
	for _, e := range ctx.EventManager().Events() {
		if e.Type == typ {
			return true
		}
	}
	return false
}

func TestRegisterModel(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	msg := registerMsg(alice, "iris-mlp", "1.0.0",
		common.Share{Address: alice, Weight: 70}, common.Share{Address: bob, Weight: 30})
	id := f.register(t, msg)
	if id != 1 {
		t.Fatalf("first model id = %d, want 1", id)
	}
	m := f.model(t, id)
	if m.Owner != alice || m.Name != "iris-mlp" || m.Version != "1.0.0" || m.Status != types.MODEL_STATUS_ACTIVE ||
		len(m.Shares) != 2 || !m.FeePerJob.Equal(coins(1000)) || m.InputDim != 4 || m.OutputDim != 3 || m.Usage.Jobs != 0 {
		t.Fatalf("stored model %+v does not match the registration", m)
	}
	if !hasEvent(f.ta.Ctx, "aichain.modelregistry.v1.EventModelRegistered") {
		t.Fatal("no EventModelRegistered emitted")
	}

	before := f.snapshot(t)
	zeroWeight := registerMsg(alice, "other", "1", common.Share{Address: alice, Weight: 1}, common.Share{Address: bob, Weight: 0})
	badShares := registerMsg(alice, "other", "1", common.Share{Address: alice, Weight: 1}, common.Share{Address: alice, Weight: 2})
	noShares := registerMsg(alice, "other", "1")
	noShares.Shares = nil
	blocked := registerMsg(alice, "other", "1", common.Share{Address: authtypes.NewModuleAddress(authtypes.FeeCollectorName).String(), Weight: 1})
	badArch := registerMsg(alice, "other", "1")
	badArch.Architecture = "gemm-f32"
	badSha := registerMsg(alice, "other", "1")
	badSha.Sha256 = strings.ToUpper(badSha.Sha256)
	badName := registerMsg(alice, "bad/name", "1")
	longName := registerMsg(alice, strings.Repeat("n", int(types.DefaultMaxNameLength)+1), "1")
	badOwner := registerMsg("aic1notanaddress", "other", "1", common.Share{Address: alice, Weight: 1})
	zeroDim := registerMsg(alice, "other", "1")
	zeroDim.InputDim = 0
	badFee := registerMsg(alice, "other", "1")
	badFee.FeePerJob = sdk.Coins{sdk.Coin{Denom: denom, Amount: math.ZeroInt()}}
	noLicense := registerMsg(alice, "other", "1")
	noLicense.License = "  "

	for _, c := range []struct {
		name string
		msg  *types.MsgRegisterModel
		want error
	}{
		{"duplicate name and version", registerMsg(bob, "iris-mlp", "1.0.0"), types.ErrDuplicateVersion},
		{"same name, new version through register", registerMsg(bob, "iris-mlp", "2.0.0"), types.ErrNameTaken},
		{"zero-weight share", zeroWeight, types.ErrInvalidShares},
		{"duplicate share address", badShares, types.ErrInvalidShares},
		{"no shares", noShares, types.ErrInvalidShares},
		{"share to a blocked module account", blocked, types.ErrInvalidShares},
		{"architecture", badArch, types.ErrUnsupportedArch},
		{"uppercase sha256", badSha, types.ErrInvalidModel},
		{"slash in name", badName, types.ErrInvalidModel},
		{"name over the params limit", longName, types.ErrInvalidModel},
		{"bad owner", badOwner, types.ErrInvalidAddress},
		{"zero input_dim", zeroDim, types.ErrInvalidModel},
		{"zero fee coin", badFee, types.ErrInvalidFees},
		{"blank license", noLicense, types.ErrInvalidModel},
	} {
		_, err := f.srv.RegisterModel(f.ta.Ctx, c.msg)
		wantErr(t, err, c.want, c.name)
	}
	if after := f.snapshot(t); after != before {
		t.Fatalf("failed registrations changed state:\nbefore %s\nafter  %s", before, after)
	}
	// The id sequence did not move either: the next model is 2.
	if id := f.register(t, registerMsg(bob, "bob-model", "0.1")); id != 2 {
		t.Fatalf("second model id = %d, want 2", id)
	}
}

func TestPublishVersion(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	v1 := f.register(t, registerMsg(alice, "iris-mlp", "1.0.0"))
	f.register(t, registerMsg(bob, "unrelated", "1"))

	res, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "iris-mlp", "1.1.0")))
	if err != nil {
		t.Fatal(err)
	}
	v2 := res.ModelId
	if v2 == v1 || f.model(t, v2).Version != "1.1.0" || f.model(t, v1).Version != "1.0.0" {
		t.Fatalf("publish: v1=%d v2=%d, want a new id with the new version and v1 unchanged", v1, v2)
	}
	if !hasEvent(f.ta.Ctx, "aichain.modelregistry.v1.EventVersionPublished") {
		t.Fatal("no EventVersionPublished emitted")
	}

	before := f.snapshot(t)
	_, err = f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(bob, "iris-mlp", "9.9.9")))
	wantErr(t, err, types.ErrNotOwner, "non-owner publishes")
	_, err = f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "iris-mlp", "1.0.0")))
	wantErr(t, err, types.ErrDuplicateVersion, "existing version republished")
	_, err = f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "no-such-name", "1")))
	wantErr(t, err, types.ErrNameNotFound, "unknown name")
	bad := publishMsg(registerMsg(alice, "iris-mlp", "2.0.0", common.Share{Address: alice, Weight: 0}))
	_, err = f.srv.PublishVersion(f.ta.Ctx, bad)
	wantErr(t, err, types.ErrInvalidShares, "zero-weight share")
	if after := f.snapshot(t); after != before {
		t.Fatal("failed publications changed state")
	}

	vs, err := f.q.ModelVersions(f.ta.Ctx, &types.QueryModelVersionsRequest{Name: "iris-mlp"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Models) != 2 || vs.Models[0].Id != v1 || vs.Models[1].Id != v2 {
		t.Fatalf("versions of iris-mlp: %+v, want [%d %d]", vs.Models, v1, v2)
	}
}

// TestLookAlikeModelNameRefused (item 12): "Llama" is registered; an
// impostor registers "llama" or "LLAMA" so that a requester who types the
// name pays the impostor's model. Names equal up to case are one name: the
// registration is refused (ErrNameTaken) and changes nothing; the owner goes
// on publishing under the exact name.
func TestLookAlikeModelNameRefused(t *testing.T) {
	f := setup(t)
	alice, mallory := f.addr(0), f.addr(1)
	f.register(t, registerMsg(alice, "Llama", "1"))
	state := f.snapshot(t)
	for _, name := range []string{"llama", "LLAMA", "lLaMa"} {
		for _, who := range []string{mallory, alice} {
			_, err := f.srv.RegisterModel(f.ta.Ctx, registerMsg(who, name, "1"))
			wantErr(t, err, types.ErrNameTaken, "look-alike "+name)
		}
	}
	if f.snapshot(t) != state {
		t.Fatal("refused look-alikes changed state")
	}
	_, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(mallory, "llama", "2")))
	wantErr(t, err, types.ErrNameNotFound, "a version under a look-alike")
	if _, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "Llama", "2"))); err != nil {
		t.Fatalf("the owner publishes under the exact name: %v", err)
	}
	// An unrelated name is free.
	f.register(t, registerMsg(mallory, "llama-2", "1"))
}

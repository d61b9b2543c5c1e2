package keeper_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"math/rand"
	"strings"
	"testing"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

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
		Uri: r.Uri, InputDim: r.InputDim, OutputDim: r.OutputDim, License: r.License,
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

func TestUpdateFeesAndShares(t *testing.T) {
	f := setup(t)
	alice, bob, carol := f.addr(0), f.addr(1), f.addr(2)
	id := f.register(t, registerMsg(alice, "m", "1"))

	if _, err := f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: alice, ModelId: id, FeePerJob: coins(7), FeePer1kRows: nil}); err != nil {
		t.Fatal(err)
	}
	m := f.model(t, id)
	if !m.FeePerJob.Equal(coins(7)) || !m.FeePer1kRows.IsZero() {
		t.Fatalf("fees after update: %s + %s per 1k rows", m.FeePerJob, m.FeePer1kRows)
	}
	shares := []common.Share{{Address: bob, Weight: 1}, {Address: carol, Weight: 3}}
	if _, err := f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: id, Shares: shares}); err != nil {
		t.Fatal(err)
	}
	terms, err := f.k.ModelTermsForJob(f.ta.Ctx, id, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if !terms.Fee.Equal(coins(7)) || len(terms.Shares) != 2 || terms.Shares[1].Address != carol || terms.InputDim != 4 || terms.OutputDim != 3 {
		t.Fatalf("terms after updates: %+v", terms)
	}
	if !hasEvent(f.ta.Ctx, "aichain.modelregistry.v1.EventFeesUpdated") || !hasEvent(f.ta.Ctx, "aichain.modelregistry.v1.EventSharesUpdated") {
		t.Fatal("update events missing")
	}

	before := f.snapshot(t)
	_, err = f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: bob, ModelId: id, FeePerJob: coins(1)})
	wantErr(t, err, types.ErrNotOwner, "non-owner updates fees")
	_, err = f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: alice, ModelId: 99, FeePerJob: coins(1)})
	wantErr(t, err, types.ErrModelNotFound, "unknown model")
	unsorted := sdk.Coins{sdk.NewInt64Coin("uzz", 1), sdk.NewInt64Coin("uaa", 1)}
	_, err = f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: alice, ModelId: id, FeePerJob: unsorted})
	wantErr(t, err, types.ErrInvalidFees, "unsorted fee coins")
	_, err = f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: bob, ModelId: id, Shares: shares})
	wantErr(t, err, types.ErrNotOwner, "non-owner updates shares")
	_, err = f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: id, Shares: []common.Share{{Address: bob, Weight: 0}}})
	wantErr(t, err, types.ErrInvalidShares, "zero-weight share")
	_, err = f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: id, Shares: nil})
	wantErr(t, err, types.ErrInvalidShares, "no shares")
	_, err = f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: id, Shares: []common.Share{{Address: "aic1bad", Weight: 1}}})
	wantErr(t, err, types.ErrInvalidShares, "bad share address")
	_, err = f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: 0, Shares: shares})
	wantErr(t, err, types.ErrInvalidModel, "model id 0")
	if after := f.snapshot(t); after != before {
		t.Fatal("failed updates changed state")
	}
}

func TestDeprecateModel(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	id := f.register(t, registerMsg(alice, "m", "1"))

	_, err := f.srv.DeprecateModel(f.ta.Ctx, &types.MsgDeprecateModel{Owner: bob, ModelId: id})
	wantErr(t, err, types.ErrNotOwner, "non-owner deprecates")
	if _, err := f.srv.DeprecateModel(f.ta.Ctx, &types.MsgDeprecateModel{Owner: alice, ModelId: id}); err != nil {
		t.Fatal(err)
	}
	if f.model(t, id).Status != types.MODEL_STATUS_DEPRECATED {
		t.Fatal("model not deprecated")
	}
	if !hasEvent(f.ta.Ctx, "aichain.modelregistry.v1.EventModelDeprecated") {
		t.Fatal("no EventModelDeprecated")
	}
	// No new job may use it.
	_, err = f.k.ModelTermsForJob(f.ta.Ctx, id, 100)
	wantErr(t, err, types.ErrDeprecated, "terms of a deprecated model")

	before := f.snapshot(t)
	_, err = f.srv.DeprecateModel(f.ta.Ctx, &types.MsgDeprecateModel{Owner: alice, ModelId: id})
	wantErr(t, err, types.ErrDeprecated, "deprecated twice")
	_, err = f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: alice, ModelId: id, FeePerJob: coins(1)})
	wantErr(t, err, types.ErrDeprecated, "fees of a deprecated model")
	_, err = f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: id, Shares: []common.Share{{Address: bob, Weight: 1}}})
	wantErr(t, err, types.ErrDeprecated, "shares of a deprecated model")
	_, err = f.srv.DeprecateModel(f.ta.Ctx, &types.MsgDeprecateModel{Owner: alice, ModelId: 42})
	wantErr(t, err, types.ErrModelNotFound, "unknown model")
	if after := f.snapshot(t); after != before {
		t.Fatal("failed deprecations changed state")
	}

	// A job created before the deprecation still settles and pays the model.
	fee := coins(1000)
	if err := f.ta.BankKeeper.MintCoins(f.ta.Ctx, minttypes.ModuleName, fee); err != nil {
		t.Fatal(err)
	}
	if err := f.k.PayModelFee(f.ta.Ctx, id, minttypes.ModuleName, fee, []common.Share{{Address: alice, Weight: 1}}, 10); err != nil {
		t.Fatalf("pay a deprecated model's fee for an old job: %v", err)
	}
	if u := f.model(t, id).Usage; u.Jobs != 1 || u.Rows != 10 {
		t.Fatalf("usage %+v, want 1 job and 10 rows", u)
	}
}

func TestTransferOwnership(t *testing.T) {
	f := setup(t)
	alice, bob, carol := f.addr(0), f.addr(1), f.addr(2)
	id := f.register(t, registerMsg(alice, "m", "1"))

	before := f.snapshot(t)
	_, err := f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: bob, ModelId: id, NewOwner: carol})
	wantErr(t, err, types.ErrNotOwner, "non-owner transfers")
	_, err = f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: id, NewOwner: alice})
	wantErr(t, err, types.ErrInvalidAddress, "transfer to self")
	_, err = f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: id, NewOwner: "aic1bad"})
	wantErr(t, err, types.ErrInvalidAddress, "bad new owner")
	_, err = f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: 7, NewOwner: bob})
	wantErr(t, err, types.ErrModelNotFound, "unknown model")
	if after := f.snapshot(t); after != before {
		t.Fatal("failed transfers changed state")
	}

	if _, err := f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: id, NewOwner: bob}); err != nil {
		t.Fatal(err)
	}
	if f.model(t, id).Owner != bob {
		t.Fatal("owner not transferred")
	}
	// The old owner is refused from now on; the new owner may act.
	_, err = f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: alice, ModelId: id, FeePerJob: coins(1)})
	wantErr(t, err, types.ErrNotOwner, "old owner updates fees")
	_, err = f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "m", "2")))
	wantErr(t, err, types.ErrNotOwner, "old owner publishes")
	if _, err := f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: bob, ModelId: id, FeePerJob: coins(1)}); err != nil {
		t.Fatalf("new owner updates fees: %v", err)
	}
	if _, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(bob, "m", "2"))); err != nil {
		t.Fatalf("new owner publishes: %v", err)
	}
	// The owner index follows the transfer.
	res, err := f.q.Models(f.ta.Ctx, &types.QueryModelsRequest{Owner: alice})
	if err != nil || len(res.Models) != 0 {
		t.Fatalf("alice's models after transfer: %v %v", res, err)
	}
	res, err = f.q.Models(f.ta.Ctx, &types.QueryModelsRequest{Owner: bob})
	if err != nil || len(res.Models) != 2 {
		t.Fatalf("bob's models after transfer: %v %v", res, err)
	}
}

func TestUpdateParams(t *testing.T) {
	f := setup(t)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	if f.k.GetAuthority() != gov {
		t.Fatalf("authority %s, want the gov module %s", f.k.GetAuthority(), gov)
	}
	p := types.DefaultParams()
	p.PlatformFeeBps = 1234
	_, err := f.srv.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: f.addr(0), Params: p})
	wantErr(t, err, types.ErrInvalidSigner, "non-gov authority")
	bad := p
	bad.PlatformFeeBps = 10_001
	_, err = f.srv.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: bad})
	wantErr(t, err, types.ErrInvalidParams, "fee over 100%")
	bad = p
	bad.MaxNameLength = 0
	_, err = f.srv.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: bad})
	wantErr(t, err, types.ErrInvalidParams, "zero name length")
	if got, _ := f.k.Params.Get(f.ta.Ctx); got != types.DefaultParams() {
		t.Fatalf("params changed by refused updates: %+v", got)
	}
	if _, err := f.srv.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: p}); err != nil {
		t.Fatal(err)
	}
	res, err := f.q.Params(f.ta.Ctx, &types.QueryParamsRequest{})
	if err != nil || res.Params.PlatformFeeBps != 1234 {
		t.Fatalf("params after update: %v %v", res, err)
	}
}

func TestModelTermsForJob(t *testing.T) {
	f := setup(t)
	alice := f.addr(0)
	id := f.register(t, registerMsg(alice, "m", "1")) // 1000 per job + 50 per 1k rows
	for _, c := range []struct {
		rows uint64
		want int64
	}{
		{0, 1000},
		{1, 1001},    // ceil(50/1000) = 1
		{999, 1050},  // ceil(49950/1000) = 50
		{1000, 1050}, // exactly 50
		{1001, 1051}, // ceil(50050/1000) = 51
		{1500, 1075},
		{1_000_000, 51_000},
	} {
		terms, err := f.k.ModelTermsForJob(f.ta.Ctx, id, c.rows)
		if err != nil {
			t.Fatal(err)
		}
		if !terms.Fee.Equal(coins(c.want)) {
			t.Errorf("fee for %d rows = %s, want %duaic", c.rows, terms.Fee, c.want)
		}
	}
	_, err := f.k.ModelTermsForJob(f.ta.Ctx, 77, 1)
	wantErr(t, err, types.ErrModelNotFound, "unknown model")

	// Multi-denom fees and a free model.
	fee, err := types.JobFee(sdk.NewCoins(sdk.NewInt64Coin("uaaa", 5)), sdk.NewCoins(sdk.NewInt64Coin(denom, 3), sdk.NewInt64Coin("uaaa", 1)), 2500)
	if err != nil {
		t.Fatal(err)
	}
	if want := sdk.NewCoins(sdk.NewInt64Coin("uaaa", 8), sdk.NewInt64Coin(denom, 8)); !fee.Equal(want) {
		t.Fatalf("multi-denom fee %s, want %s", fee, want)
	}
	if fee, err := types.JobFee(nil, nil, 12345); err != nil || !fee.IsZero() {
		t.Fatalf("free model fee %s %v", fee, err)
	}
	// An absurd per-row fee overflows with an error, not a panic.
	huge := sdk.NewCoins(sdk.NewCoin(denom, math.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 250))))
	if _, err := types.JobFee(nil, huge, 1<<40); !errors.Is(err, types.ErrInvalidFees) {
		t.Fatalf("overflowing fee: %v", err)
	}
}

// TestPayModelFeeRandomShares pays many fees over random share sets out of a
// real module account: the shares' receipts plus the platform fee always sum
// exactly to the fee, the platform fee goes to the reward pool, and usage adds up.
func TestPayModelFeeRandomShares(t *testing.T) {
	f := setup(t)
	alice := f.addr(0)
	id := f.register(t, registerMsg(alice, "m", "1"))
	ctx := f.ta.Ctx
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	from := authtypes.NewModuleAddress(minttypes.ModuleName)
	params, err := f.k.Params.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}

	r := rand.New(rand.NewSource(42))
	var (
		totalRows uint64
		revenue   = sdk.NewCoins()
	)
	const trials = 150
	for trial := 0; trial < trials; trial++ {
		n := 1 + r.Intn(common.MaxShares)
		shares := make([]common.Share, n)
		for i := range shares {
			shares[i] = common.Share{Address: newAddr(), Weight: uint32(1 + r.Intn(1_000_000))}
		}
		fee := coins(1 + r.Int63n(1<<40))
		if trial%3 == 0 { // a second denom too
			fee = fee.Add(sdk.NewInt64Coin("uother", 1+r.Int63n(1000)))
		}
		rows := uint64(r.Int63n(1 << 20))
		if err := f.ta.BankKeeper.MintCoins(ctx, minttypes.ModuleName, fee); err != nil {
			t.Fatal(err)
		}
		poolBefore := f.ta.BankKeeper.GetAllBalances(ctx, pool)
		fromBefore := f.ta.BankKeeper.GetAllBalances(ctx, from)

		if err := f.k.PayModelFee(ctx, id, minttypes.ModuleName, fee, shares, rows); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		totalRows += rows
		revenue = revenue.Add(fee...)

		platform := f.ta.BankKeeper.GetAllBalances(ctx, pool).Sub(poolBefore...)
		if want := common.FeePart(fee, params.PlatformFeeBps); !platform.Equal(want) {
			t.Fatalf("trial %d: reward pool got %s, want %s", trial, platform, want)
		}
		received := sdk.NewCoins()
		for _, s := range shares {
			received = received.Add(f.ta.BankKeeper.GetAllBalances(ctx, sdk.MustAccAddressFromBech32(s.Address))...)
		}
		if got := received.Add(platform...); !got.Equal(fee) {
			t.Fatalf("trial %d: shares %s + platform %s = %s, want the fee %s", trial, received, platform, got, fee)
		}
		if spent := fromBefore.Sub(f.ta.BankKeeper.GetAllBalances(ctx, from)...); !spent.Equal(fee) {
			t.Fatalf("trial %d: paying module spent %s, want %s", trial, spent, fee)
		}
	}
	u := f.model(t, id).Usage
	if u.Jobs != trials || u.Rows != totalRows || !u.Revenue.Equal(revenue) {
		t.Fatalf("usage %+v, want %d jobs, %d rows, revenue %s", u, trials, totalRows, revenue)
	}
	res, err := f.q.Usage(ctx, &types.QueryUsageRequest{ModelId: id})
	if err != nil || res.Usage.Jobs != trials {
		t.Fatalf("usage query: %v %v", res, err)
	}
	if !hasEvent(ctx, "aichain.modelregistry.v1.EventModelFeePaid") {
		t.Fatal("no EventModelFeePaid")
	}
}

// TestPayModelFeeFailures: a payment that cannot be made moves no coin and
// records no usage.
func TestPayModelFeeFailures(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	id := f.register(t, registerMsg(alice, "m", "1"))
	ctx := f.ta.Ctx
	from := authtypes.NewModuleAddress(minttypes.ModuleName)
	if err := f.ta.BankKeeper.MintCoins(ctx, minttypes.ModuleName, coins(100)); err != nil {
		t.Fatal(err)
	}
	shares := []common.Share{{Address: alice, Weight: 1}, {Address: bob, Weight: 1}}
	before := f.snapshot(t)
	balances := func() string {
		return f.ta.BankKeeper.GetAllBalances(ctx, from).String() + "|" +
			f.ta.BankKeeper.GetAllBalances(ctx, authtypes.NewModuleAddress(common.RewardPoolName)).String() + "|" +
			f.ta.Balance(f.ta.Accounts[0].Address, denom).String() + "|" + f.ta.Balance(f.ta.Accounts[1].Address, denom).String()
	}
	balBefore := balances()

	err := f.k.PayModelFee(ctx, id, minttypes.ModuleName, coins(1_000_000), shares, 5)
	wantErr(t, err, types.ErrFeePayment, "insufficient funds in the paying module")
	err = f.k.PayModelFee(ctx, 99, minttypes.ModuleName, coins(10), shares, 5)
	wantErr(t, err, types.ErrModelNotFound, "unknown model")
	err = f.k.PayModelFee(ctx, id, minttypes.ModuleName, coins(10), []common.Share{{Address: alice, Weight: 0}}, 5)
	wantErr(t, err, types.ErrInvalidShares, "zero-weight share")
	err = f.k.PayModelFee(ctx, id, minttypes.ModuleName, sdk.Coins{sdk.Coin{Denom: denom, Amount: math.NewInt(-1)}}, shares, 5)
	wantErr(t, err, types.ErrFeePayment, "negative fee")
	if after := f.snapshot(t); after != before {
		t.Fatal("failed payments changed module state")
	}
	if after := balances(); after != balBefore {
		t.Fatalf("failed payments moved coins: %s -> %s", balBefore, after)
	}

	// A zero fee still records the use.
	if err := f.k.PayModelFee(ctx, id, minttypes.ModuleName, sdk.NewCoins(), nil, 7); err != nil {
		t.Fatal(err)
	}
	if u := f.model(t, id).Usage; u.Jobs != 1 || u.Rows != 7 || !u.Revenue.IsZero() {
		t.Fatalf("usage after a free job: %+v", u)
	}
}

package keeper_test

import (
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestGenesisRoundTrip exports a registry with models, versions, a
// deprecation, a transfer and usage, imports it into a fresh app, and checks
// that the second app exports the same state and serves the same indexes.
func TestGenesisRoundTrip(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	a1 := f.register(t, registerMsg(alice, "a", "1", common.Share{Address: alice, Weight: 2}, common.Share{Address: bob, Weight: 1}))
	if _, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "a", "2"))); err != nil {
		t.Fatal(err)
	}
	b1 := f.register(t, registerMsg(bob, "b", "1"))
	if _, err := f.srv.DeprecateModel(f.ta.Ctx, &types.MsgDeprecateModel{Owner: bob, ModelId: b1}); err != nil {
		t.Fatal(err)
	}
	f.give(t, alice, a1, bob)
	if err := f.ta.BankKeeper.MintCoins(f.ta.Ctx, minttypes.ModuleName, coins(999)); err != nil {
		t.Fatal(err)
	}
	if err := f.k.PayModelFee(f.ta.Ctx, a1, minttypes.ModuleName, coins(999), []common.Share{{Address: alice, Weight: 1}}, 123); err != nil {
		t.Fatal(err)
	}
	f.ta.NextBlock()

	gs, err := f.k.ExportGenesis(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("exported genesis is invalid: %v", err)
	}
	if len(gs.Models) != 3 || gs.NextModelId != 4 {
		t.Fatalf("exported %d models, next id %d; want 3 and 4", len(gs.Models), gs.NextModelId)
	}
	// Through JSON, as a genesis file carries it.
	bz, err := f.ta.AppCodec().MarshalJSON(gs)
	if err != nil {
		t.Fatal(err)
	}
	var imported types.GenesisState
	if err := f.ta.AppCodec().UnmarshalJSON(bz, &imported); err != nil {
		t.Fatal(err)
	}

	g := setup(t)
	// In any order: each name's latest version is its highest id.
	slices.Reverse(imported.Models)
	if err := g.k.InitGenesis(g.ta.Ctx, &imported); err != nil {
		t.Fatal(err)
	}
	if m, err := g.k.LatestVersion(g.ta.Ctx, "a"); err != nil || m.Version != "2" {
		t.Fatalf("latest version of a after import: %v %v, want version 2", m, err)
	}
	for _, id := range []uint64{a1, b1} { // each file is its model's again
		g.wantWeights(t, f.model(t, id).Sha256, id)
	}
	again, err := g.k.ExportGenesis(g.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.String() != gs.String() {
		t.Fatalf("genesis differs after import:\nbefore %s\nafter  %s", gs, again)
	}
	// Indexes are rebuilt: bob owns a1 and b1, "a" has two versions, and the
	// next registration continues the id sequence.
	res, err := g.q.Models(g.ta.Ctx, &types.QueryModelsRequest{Owner: bob})
	if err != nil || len(res.Models) != 2 {
		t.Fatalf("bob's models after import: %v %v", res, err)
	}
	vs, err := g.q.ModelVersions(g.ta.Ctx, &types.QueryModelVersionsRequest{Name: "a"})
	if err != nil || len(vs.Models) != 2 {
		t.Fatalf("versions of a after import: %v %v", vs, err)
	}
	u, err := g.q.Usage(g.ta.Ctx, &types.QueryUsageRequest{ModelId: a1})
	if err != nil || u.Usage.Jobs != 1 || u.Usage.Rows != 123 || !u.Usage.Revenue.Equal(coins(999)) {
		t.Fatalf("usage after import: %v %v", u, err)
	}
	_, err = g.srv.RegisterModel(g.ta.Ctx, registerMsg(alice, "a", "1"))
	if !errors.Is(err, types.ErrDuplicateVersion) {
		t.Fatalf("name×version uniqueness lost on import: %v", err)
	}
	_, err = g.srv.RegisterModel(g.ta.Ctx, registerMsg(alice, "A", "9"))
	if !errors.Is(err, types.ErrNameTaken) {
		t.Fatalf("case-folded name index lost on import: %v", err)
	}
	// Against state: a share to a module account is refused at import.
	bad := setup(t)
	imported.Models[0].Shares = []common.Share{{Address: authtypes.NewModuleAddress(common.RewardPoolName).String(), Weight: 1}}
	if err := bad.k.InitGenesis(bad.ta.Ctx, &imported); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("a share to the reward pool at import: %v", err)
	}
	if id := g.register(t, registerMsg(alice, "c", "1")); id != 4 {
		t.Fatalf("id after import = %d, want 4", id)
	}
}

func TestGenesisValidate(t *testing.T) {
	if err := types.DefaultGenesis().Validate(); err != nil {
		t.Fatalf("default genesis invalid: %v", err)
	}
	owner := newAddr()
	m := func(id uint64, name, version string) types.Model {
		r := registerMsg(owner, name, version)
		return types.Model{
			Id: id, Owner: owner, Name: name, Version: version, Architecture: r.Architecture, Sha256: r.Sha256,
			Uri: r.Uri, InputDim: 1, OutputDim: 1, License: "MIT", FeePerJob: r.FeePerJob, Shares: r.Shares,
			Status: types.MODEL_STATUS_ACTIVE,
		}
	}
	ok := types.GenesisState{Params: types.DefaultParams(), Models: []types.Model{m(1, "a", "1"), m(2, "a", "2")}, NextModelId: 3}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid genesis refused: %v", err)
	}
	badStatus := m(1, "a", "1")
	badStatus.Status = types.MODEL_STATUS_UNSPECIFIED
	badParams := types.DefaultParams()
	badParams.PlatformFeeBps = 20_000
	upperOwner := m(1, "a", "1")
	upperOwner.Owner = strings.ToUpper(upperOwner.Owner)
	for name, gs := range map[string]types.GenesisState{
		"duplicate id":            {Params: types.DefaultParams(), Models: []types.Model{m(1, "a", "1"), m(1, "b", "1")}, NextModelId: 3},
		"duplicate name×version":  {Params: types.DefaultParams(), Models: []types.Model{m(1, "a", "1"), m(2, "a", "1")}, NextModelId: 3},
		"id not below next id":    {Params: types.DefaultParams(), Models: []types.Model{m(3, "a", "1")}, NextModelId: 3},
		"id zero":                 {Params: types.DefaultParams(), Models: []types.Model{m(0, "a", "1")}, NextModelId: 3},
		"next id zero":            {Params: types.DefaultParams(), NextModelId: 0},
		"unspecified status":      {Params: types.DefaultParams(), Models: []types.Model{badStatus}, NextModelId: 3},
		"platform fee over 100 %": {Params: badParams, NextModelId: 1},
		"names equal up to case":  {Params: types.DefaultParams(), Models: []types.Model{m(1, "a", "1"), m(2, "A", "2")}, NextModelId: 3},
		"upper-case owner":        {Params: types.DefaultParams(), Models: []types.Model{upperOwner}, NextModelId: 3},
	} {
		if err := gs.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestQueriesPaginate(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	var aliceIDs []uint64
	for i, v := range []string{"1", "2", "3", "4", "5"} {
		if i == 0 {
			aliceIDs = append(aliceIDs, f.register(t, registerMsg(alice, "net", v)))
			continue
		}
		res, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "net", v)))
		if err != nil {
			t.Fatal(err)
		}
		aliceIDs = append(aliceIDs, res.ModelId)
		f.register(t, registerMsg(bob, "bob"+v, "1")) // interleave bob's models
	}

	// Owner index, key pagination in pages of 2.
	var got []uint64
	var key []byte
	for page := 0; page < 10; page++ {
		res, err := f.q.Models(f.ta.Ctx, &types.QueryModelsRequest{Owner: alice, Pagination: &query.PageRequest{Key: key, Limit: 2}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Models {
			if m.Owner != alice {
				t.Fatalf("owner query returned %s's model", m.Owner)
			}
			got = append(got, m.Id)
		}
		key = res.Pagination.NextKey
		if key == nil {
			break
		}
	}
	if len(got) != len(aliceIDs) {
		t.Fatalf("alice's models over pages: %v, want %v", got, aliceIDs)
	}
	for i := range got {
		if got[i] != aliceIDs[i] {
			t.Fatalf("alice's models over pages: %v, want %v", got, aliceIDs)
		}
	}

	// Offset, count_total and reverse on the name index.
	vs, err := f.q.ModelVersions(f.ta.Ctx, &types.QueryModelVersionsRequest{Name: "net", Pagination: &query.PageRequest{Offset: 1, Limit: 2, CountTotal: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Models) != 2 || vs.Models[0].Version != "2" || vs.Models[1].Version != "3" || vs.Pagination.Total != 5 {
		t.Fatalf("versions offset 1 limit 2: %v total %d", vs.Models, vs.Pagination.Total)
	}
	if binary.BigEndian.Uint64(vs.Pagination.NextKey) != aliceIDs[3] {
		t.Fatalf("next key %x, want model %d", vs.Pagination.NextKey, aliceIDs[3])
	}
	vs, err = f.q.ModelVersions(f.ta.Ctx, &types.QueryModelVersionsRequest{Name: "net", Pagination: &query.PageRequest{Reverse: true, Limit: 1}})
	if err != nil || len(vs.Models) != 1 || vs.Models[0].Version != "5" {
		t.Fatalf("latest version via reverse: %v %v", vs, err)
	}
	vs, err = f.q.ModelVersions(f.ta.Ctx, &types.QueryModelVersionsRequest{Name: "nothing"})
	if err != nil || len(vs.Models) != 0 {
		t.Fatalf("versions of an unknown name: %v %v", vs, err)
	}

	// All models, through the primary map.
	all, err := f.q.Models(f.ta.Ctx, &types.QueryModelsRequest{Pagination: &query.PageRequest{Limit: 3, CountTotal: true}})
	if err != nil || len(all.Models) != 3 || all.Pagination.Total != 9 || all.Models[0].Id != 1 {
		t.Fatalf("all models page: %v %v", all, err)
	}

	// Errors: bad input is InvalidArgument, an unknown model NotFound.
	for name, err := range map[string]error{
		"nil request": func() error { _, err := f.q.Model(f.ta.Ctx, nil); return err }(),
		"bad owner":   func() error { _, err := f.q.Models(f.ta.Ctx, &types.QueryModelsRequest{Owner: "x"}); return err }(),
		"bad name": func() error {
			_, err := f.q.ModelVersions(f.ta.Ctx, &types.QueryModelVersionsRequest{Name: "a/b"})
			return err
		}(),
		"bad page key": func() error {
			_, err := f.q.Models(f.ta.Ctx, &types.QueryModelsRequest{Owner: alice, Pagination: &query.PageRequest{Key: []byte{1}}})
			return err
		}(),
		"key and offset": func() error {
			_, err := f.q.Models(f.ta.Ctx, &types.QueryModelsRequest{Owner: alice, Pagination: &query.PageRequest{Key: make([]byte, 8), Offset: 1}})
			return err
		}(),
		"nil usage request": func() error { _, err := f.q.Usage(f.ta.Ctx, nil); return err }(),
	} {
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: got %v, want InvalidArgument", name, err)
		}
	}
	_, err = f.q.Model(f.ta.Ctx, &types.QueryModelRequest{Id: 404})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("unknown model: %v, want NotFound", err)
	}
	_, err = f.q.Usage(f.ta.Ctx, &types.QueryUsageRequest{ModelId: 404})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("usage of an unknown model: %v, want NotFound", err)
	}
}

package keeper_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/types"
)

func TestUpdateParams(t *testing.T) {
	s := setup(t)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	p := types.DefaultParams()
	p.ContentCommitDelayBlocks = 0 // the test chain lists without commitments (apptesting)
	p.MarketFeeBps = 1000
	s.expectFail("wrong authority", types.ErrUnauthorized, func() error {
		_, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: s.owner.String(), Params: p})
		return err
	})
	bad := p
	bad.MarketFeeBps = 10_001
	s.expectFail("fee above 100%", types.ErrInvalidParams, func() error {
		_, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: bad})
		return err
	})
	bad = p
	bad.MaxExpiriesPerBlock = 0
	s.expectFail("zero expiry cap", types.ErrInvalidParams, func() error {
		_, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: bad})
		return err
	})
	// max_term_blocks is added to heights: near 2^63 it would overflow.
	bad = p
	bad.MaxTermBlocks = 1<<63 - 1
	s.expectFail("term overflowing int64", types.ErrInvalidParams, func() error {
		_, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: bad})
		return err
	})
	if _, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: p}); err != nil {
		t.Fatal(err)
	}
	got, err := s.q.Params(s.ta.Ctx, &types.QueryParamsRequest{})
	if err != nil || got.Params.MarketFeeBps != 1000 {
		t.Fatalf("params: %+v, %v", got, err)
	}
	// The new fee applies: 10% of 1000.
	id := s.list(listMsg(s.owner.String(), perpetual(1000, false)))
	before := s.ta.Balance(s.pool, denom)
	s.buy(s.buyer.String(), id, 0)
	if d := s.ta.Balance(s.pool, denom).Sub(before); !d.Equal(math.NewInt(100)) {
		t.Fatalf("pool got %s, want 100", d)
	}
}

func TestQueries(t *testing.T) {
	s := setup(t)
	owner, other := s.owner.String(), s.other.String()
	for i := 0; i < 3; i++ {
		m := listMsg(owner, perpetual(1, false))
		m.Sha256 = shaOf(fmt.Sprint(i))
		s.list(m)
	}
	m := listMsg(other, perpetual(1, false))
	s.list(m)

	all, err := s.q.Datasets(s.ta.Ctx, &types.QueryDatasetsRequest{})
	if err != nil || len(all.Datasets) != 4 {
		t.Fatalf("all datasets: %d, %v", len(all.Datasets), err)
	}
	page, err := s.q.Datasets(s.ta.Ctx, &types.QueryDatasetsRequest{Owner: owner, Pagination: &query.PageRequest{Limit: 2, CountTotal: true}})
	if err != nil || len(page.Datasets) != 2 || page.Pagination.NextKey == nil || page.Pagination.Total != 3 {
		t.Fatalf("owner page 1: %+v, %v", page, err)
	}
	page2, err := s.q.Datasets(s.ta.Ctx, &types.QueryDatasetsRequest{Owner: owner, Pagination: &query.PageRequest{Key: page.Pagination.NextKey}})
	if err != nil || len(page2.Datasets) != 1 || page2.Datasets[0].Id != 3 || page2.Datasets[0].Owner != owner {
		t.Fatalf("owner page 2: %+v, %v", page2, err)
	}
	mine, err := s.q.Datasets(s.ta.Ctx, &types.QueryDatasetsRequest{Owner: other})
	if err != nil || len(mine.Datasets) != 1 || mine.Datasets[0].Id != 4 {
		t.Fatalf("other's datasets: %+v, %v", mine, err)
	}
	if _, err := s.q.Datasets(s.ta.Ctx, &types.QueryDatasetsRequest{Owner: "bad"}); err == nil {
		t.Fatal("bad owner accepted")
	}
	// What does not exist is gRPC NotFound, in every query.
	for name, f := range map[string]func() error{
		"dataset": func() error { _, err := s.q.Dataset(s.ta.Ctx, &types.QueryDatasetRequest{Id: 9}); return err },
		"licence": func() error { _, err := s.q.License(s.ta.Ctx, &types.QueryLicenseRequest{Id: 9}); return err },
		"version": func() error {
			_, err := s.q.DatasetVersion(s.ta.Ctx, &types.QueryDatasetVersionRequest{DatasetId: 1, Version: 7})
			return err
		},
		"access to an unknown dataset": func() error {
			_, err := s.q.HasAccess(s.ta.Ctx, &types.QueryHasAccessRequest{DatasetId: 9, Address: owner})
			return err
		},
		"access to an unknown version": func() error {
			_, err := s.q.HasAccess(s.ta.Ctx, &types.QueryHasAccessRequest{DatasetId: 1, Address: owner, Version: 7})
			return err
		},
	} {
		if err := f(); status.Code(err) != codes.NotFound {
			t.Errorf("unknown %s: %v, want NotFound", name, err)
		}
	}
	if _, err := s.q.HasAccess(s.ta.Ctx, &types.QueryHasAccessRequest{DatasetId: 1, Address: "bad"}); err == nil {
		t.Fatal("bad address accepted")
	}
	if _, err := s.q.HasAccess(s.ta.Ctx, nil); err == nil {
		t.Fatal("nil request accepted")
	}
	if a := s.access(1, owner); !a.HasAccess || a.Reason != "owner" {
		t.Fatalf("owner access: %+v", a)
	}
	s.buy(s.buyer.String(), 1, 0)
	s.buy(s.buyer.String(), 2, 0)
	ls, err := s.q.Licenses(s.ta.Ctx, &types.QueryLicensesRequest{Licensee: s.buyer.String(), Pagination: &query.PageRequest{Limit: 1}})
	if err != nil || len(ls.Licenses) != 1 || ls.Pagination.NextKey == nil {
		t.Fatalf("licences page: %+v, %v", ls, err)
	}
	all2, err := s.q.Licenses(s.ta.Ctx, &types.QueryLicensesRequest{})
	if err != nil || len(all2.Licenses) != 2 {
		t.Fatalf("all licences: %+v, %v", all2, err)
	}
}

func TestGenesisRoundTrip(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	id := s.list(listMsg(owner, rental(50, 10), subscription(9, 5)))
	s.buy(buyer, id, 0)
	s.buy(s.other.String(), id, 1)
	prov := s.publishAndGrantJob3(t, id)
	if err := s.ta.BankKeeper.SendCoinsFromAccountToModule(s.ta.Ctx, s.buyer.Address, govtypes.ModuleName, coins(100)); err != nil {
		t.Fatal(err)
	}
	if err := s.k.ChargeJobDatasetFee(s.ta.Ctx, id, 3, govtypes.ModuleName, coins(40), []common.Share{{Address: owner, Weight: 1}}); err != nil {
		t.Fatal(err)
	}
	exported, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := exported.Validate(); err != nil {
		t.Fatalf("exported genesis invalid: %v", err)
	}
	if len(exported.Datasets) != 1 || len(exported.DatasetVersions) != 2 || len(exported.Licenses) != 2 ||
		len(exported.JobAccesses) != 1 || exported.NextDatasetId != 2 || exported.NextLicenseId != 3 {
		t.Fatalf("exported: %+v", exported)
	}

	fresh := apptesting.Setup(t, 1)
	if err := fresh.DataMarketKeeper.InitGenesis(fresh.Ctx, exported); err != nil {
		t.Fatal(err)
	}
	again, err := fresh.DataMarketKeeper.ExportGenesis(fresh.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.ta.AppCodec().MarshalJSON(exported)
	b, _ := s.ta.AppCodec().MarshalJSON(again)
	if !bytes.Equal(a, b) {
		t.Fatalf("round trip differs:\n%s\n%s", a, b)
	}
	// The imported chain behaves the same: indexes and queue were rebuilt.
	fq := keeper.NewQueryServerImpl(fresh.DataMarketKeeper)
	acc, err := fq.HasAccess(fresh.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: prov})
	if err != nil || acc.HasAccess {
		t.Fatalf("job access to the current version after import: %+v, %v", acc, err)
	}
	acc, err = fq.HasAccess(fresh.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: prov, Version: 1})
	if err != nil || !acc.HasAccess || acc.Reason != "job" || acc.JobId != 3 {
		t.Fatalf("access to version 1 after import: %+v, %v", acc, err)
	}
	// The licence holders were rebuilt: the subscriber reads the new version
	// and cannot buy a second subscription.
	acc, err = fq.HasAccess(fresh.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: s.other.String()})
	if err != nil || !acc.HasAccess || acc.Reason != "license" {
		t.Fatalf("the subscriber's access after import: %+v, %v", acc, err)
	}
	if ja := exported.JobAccesses[0]; ja.Version != 1 || !ja.FeeCharged || !ja.Fee.Equal(coins(40)) {
		t.Fatalf("job access exported as %+v", ja)
	}
	// The content indexes were rebuilt: both versions' files are still the dataset's.
	for _, v := range exported.DatasetVersions {
		m := listMsg(fresh.Accounts[0].String(), perpetual(1, false))
		m.ContentRoot, m.Sha256 = v.ContentRoot, v.Sha256
		if _, err := keeper.NewMsgServerImpl(fresh.DataMarketKeeper).ListDataset(fresh.Ctx, m); !types.ErrContentTaken.Is(err) {
			t.Fatalf("version %d's file listed again after import: %v", v.Version, err)
		}
	}
	n := 0
	if err := fresh.DataMarketKeeper.ExpiryQueue.Walk(fresh.Ctx, nil, func(collectionsPair) (bool, error) { n++; return false, nil }); err != nil || n != 2 {
		t.Fatalf("queue after import: %d entries, %v", n, err)
	}

	// Invalid genesis states are refused.
	mutations := map[string]func(g *types.GenesisState){
		"duplicate dataset":       func(g *types.GenesisState) { g.Datasets = append(g.Datasets, g.Datasets[0]) },
		"id beyond sequence":      func(g *types.GenesisState) { g.NextDatasetId = 1 },
		"licence of nothing":      func(g *types.GenesisState) { g.Licenses[0].DatasetId = 7 },
		"duplicate licence":       func(g *types.GenesisState) { g.Licenses = append(g.Licenses, g.Licenses[0]) },
		"missing version":         func(g *types.GenesisState) { g.DatasetVersions = g.DatasetVersions[:1] },
		"bad params":              func(g *types.GenesisState) { g.Params.MaxOffers = 0 },
		"job of nothing":          func(g *types.GenesisState) { g.JobAccesses[0].DatasetId = 5 },
		"per-job licence kind":    func(g *types.GenesisState) { g.Licenses[0].Kind = types.LICENSE_KIND_PER_JOB },
		"job of a future one":     func(g *types.GenesisState) { g.JobAccesses[0].Version = 3 },
		"fee not charged":         func(g *types.GenesisState) { g.JobAccesses[0].FeeCharged = false },
		"upper-case owner":        func(g *types.GenesisState) { g.Datasets[0].Owner = strings.ToUpper(g.Datasets[0].Owner) },
		"upper-case licensee":     func(g *types.GenesisState) { g.Licenses[0].Licensee = strings.ToUpper(g.Licenses[0].Licensee) },
		"current content differs": func(g *types.GenesisState) { g.Datasets[0].Sha256 = shaOf("other") },
		"current shape differs":   func(g *types.GenesisState) { g.Datasets[0].Rows++ },
		"current uri differs":     func(g *types.GenesisState) { g.Datasets[0].Uri = "https://elsewhere.example" },
		"older version missing":   func(g *types.GenesisState) { g.DatasetVersions = g.DatasetVersions[1:] },
		"rental without expiry":   func(g *types.GenesisState) { g.Licenses[0].ExpiresHeight = 0 },
		"rental without term":     func(g *types.GenesisState) { g.Licenses[0].TermBlocks = 0 },
		"term past the hard cap":  func(g *types.GenesisState) { g.Licenses[0].TermBlocks = types.HardMaxTermBlocks + 1 },
		"perpetual that expires":  func(g *types.GenesisState) { g.Licenses[0].Kind = types.LICENSE_KIND_PERPETUAL },
		"perpetual marked expired": func(g *types.GenesisState) {
			l := &g.Licenses[0]
			l.Kind, l.ExpiresHeight, l.TermBlocks, l.Expired = types.LICENSE_KIND_PERPETUAL, 0, 0, true
		},
	}
	for name, mut := range mutations {
		g, err := s.k.ExportGenesis(s.ta.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		mut(g)
		if err := g.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := types.DefaultGenesis().Validate(); err != nil {
		t.Fatalf("default genesis: %v", err)
	}
	// Against state: a share to a module account is refused at import.
	g, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	g.Datasets[0].Shares = []common.Share{{Address: authtypes.NewModuleAddress(common.RewardPoolName).String(), Weight: 1}}
	if err := g.Validate(); err != nil {
		t.Fatalf("statelessly the genesis is valid: %v", err)
	}
	other := apptesting.Setup(t, 1)
	if err := other.DataMarketKeeper.InitGenesis(other.Ctx, g); !types.ErrInvalidGenesis.Is(err) {
		t.Fatalf("a share to the reward pool at import: %v", err)
	}
}

// A job access granted before versions were pinned has version 0 (Migrate1to2
// left it to its job, which reads any version). A chain exported while such a
// job still runs imports, and the job's provider reads every version.
func TestGenesisImportsUnpinnedJobAccess(t *testing.T) {
	s := setup(t)
	owner := s.owner.String()
	id := s.list(listMsg(owner, rental(50, 10)))
	prov := s.publishAndGrantJob3(t, id)
	exported, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	exported.JobAccesses[0].Version = 0
	if err := exported.Validate(); err != nil {
		t.Fatalf("a genesis with an unpinned job access: %v", err)
	}
	fresh := apptesting.Setup(t, 1)
	if err := fresh.DataMarketKeeper.InitGenesis(fresh.Ctx, exported); err != nil {
		t.Fatal(err)
	}
	fq := keeper.NewQueryServerImpl(fresh.DataMarketKeeper)
	for _, v := range []uint64{1, 2} {
		acc, err := fq.HasAccess(fresh.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: prov, Version: v})
		if err != nil || !acc.HasAccess || acc.Reason != "job" || acc.JobId != 3 {
			t.Fatalf("the unpinned job's access to version %d after import: %+v, %v", v, acc, err)
		}
	}
	exported.JobAccesses[0].Version = 3
	if err := exported.Validate(); err == nil {
		t.Fatal("a job access to a version beyond the dataset's accepted")
	}
}

// publishAndGrantJob3 publishes version 2 of owner's dataset id and grants
// job 3's provider (a new account, returned) access to version 1.
func (s *suite) publishAndGrantJob3(t *testing.T, id uint64) string {
	t.Helper()
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: s.owner.String(), DatasetId: id, Rows: 10, Cols: 12, RowsPerChunk: 5, ContentRoot: rootOf("b"), Sha256: shaOf("b"), RowsSha256: rowsOf(shaOf("b")),
	}); err != nil {
		t.Fatal(err)
	}
	prov := s.ta.NewAccount(coins(1)).String()
	if err := s.k.GrantJobAccessVersion(s.ta.Ctx, id, 3, 1, prov); err != nil {
		t.Fatal(err)
	}
	return prov
}

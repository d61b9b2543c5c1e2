package keeper_test

import (
	"bytes"
	"errors"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

func TestDatasetTermsForJob(t *testing.T) {
	s := setup(t)
	owner, buyer, other := s.owner.String(), s.buyer.String(), s.other.String()
	noJob := s.list(listMsg(owner, perpetual(100, false)))
	m := listMsg(owner, perpetual(100, false), perJob(40))
	m.Sha256 = shaOf("pj")
	withJob := s.list(m)

	if _, err := s.k.DatasetTermsForJob(s.ta.Ctx, 99, buyer, 0); !errors.Is(err, types.ErrDatasetNotFound) {
		t.Fatalf("unknown dataset: %v", err)
	}
	if _, err := s.k.DatasetTermsForJob(s.ta.Ctx, noJob, buyer, 0); !errors.Is(err, types.ErrNoLicense) {
		t.Fatalf("no licence, no PER_JOB: %v", err)
	}
	terms, err := s.k.DatasetTermsForJob(s.ta.Ctx, withJob, buyer, 0)
	if err != nil || !terms.Fee.Equal(coins(40)) || terms.Owner != owner || terms.Rows != 150 || terms.RowsPerChunk != 16 ||
		!bytes.Equal(terms.ContentRoot, m.ContentRoot) || len(terms.Shares) != 1 {
		t.Fatalf("PER_JOB terms: %+v, %v", terms, err)
	}
	if terms, err := s.k.DatasetTermsForJob(s.ta.Ctx, noJob, owner, 0); err != nil || !terms.Fee.IsZero() {
		t.Fatalf("owner's terms: %+v, %v", terms, err)
	}
	s.buy(buyer, noJob, 0)
	s.buy(buyer, withJob, 0)
	for _, id := range []uint64{noJob, withJob} {
		terms, err := s.k.DatasetTermsForJob(s.ta.Ctx, id, buyer, 0)
		if err != nil || !terms.Fee.IsZero() {
			t.Fatalf("licensee's terms on %d: %+v, %v", id, terms, err)
		}
	}
	// A new version: the perpetual licensee keeps using its version 1 for free.
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: withJob, Rows: 8, Cols: 4, RowsPerChunk: 8, ContentRoot: rootOf("v2"), Sha256: shaOf("v2"), RowsSha256: rowsOf(shaOf("v2")),
	}); err != nil {
		t.Fatal(err)
	}
	terms, err = s.k.DatasetTermsForJob(s.ta.Ctx, withJob, buyer, 0)
	if err != nil || !terms.Fee.IsZero() || terms.Rows != 150 {
		t.Fatalf("v1 licensee after update: %+v, %v", terms, err)
	}
	if terms, err := s.k.DatasetTermsForJob(s.ta.Ctx, withJob, other, 0); err != nil || terms.Rows != 8 || !terms.Fee.Equal(coins(40)) {
		t.Fatalf("PER_JOB on v2: %+v, %v", terms, err)
	}
	// Delisted: licence holders still may; others may not.
	for _, id := range []uint64{noJob, withJob} {
		if _, err := s.ms.DelistDataset(s.ta.Ctx, &types.MsgDelistDataset{Owner: owner, DatasetId: id}); err != nil {
			t.Fatal(err)
		}
	}
	if terms, err := s.k.DatasetTermsForJob(s.ta.Ctx, noJob, buyer, 0); err != nil || !terms.Fee.IsZero() {
		t.Fatalf("licensee on delisted: %+v, %v", terms, err)
	}
	if _, err := s.k.DatasetTermsForJob(s.ta.Ctx, withJob, other, 0); !errors.Is(err, types.ErrDatasetInactive) {
		t.Fatalf("PER_JOB on delisted: %v", err)
	}
}

func TestPayDatasetFee(t *testing.T) {
	s := setup(t)
	c1, c2 := s.ta.NewAccount(coins(1)), s.ta.NewAccount(coins(1))
	id := s.list(listMsg(s.owner.String(), perJob(1000)))
	from := govtypes.ModuleName // any module account stands in for x/compute's escrow
	if err := s.ta.BankKeeper.SendCoinsFromAccountToModule(s.ta.Ctx, s.other.Address, from, coins(5000)); err != nil {
		t.Fatal(err)
	}
	modAddr := authtypes.NewModuleAddress(from)
	shares := []common.Share{{Address: c1.String(), Weight: 1}, {Address: c2.String(), Weight: 2}}

	snap := s.snap(modAddr, c1.Address, c2.Address)
	if err := s.k.PayDatasetFee(s.ta.Ctx, id, from, sdk.NewCoins(), shares); err != nil {
		t.Fatalf("empty fee: %v", err)
	}
	s.unchanged(snap, "empty fee", modAddr, c1.Address, c2.Address)
	for name, f := range map[string]func() error{
		"too much":  func() error { return s.k.PayDatasetFee(s.ta.Ctx, id, from, coins(5001), shares) },
		"unknown":   func() error { return s.k.PayDatasetFee(s.ta.Ctx, 99, from, coins(10), shares) },
		"no shares": func() error { return s.k.PayDatasetFee(s.ta.Ctx, id, from, coins(10), nil) },
		"invalid coins": func() error {
			return s.k.PayDatasetFee(s.ta.Ctx, id, from, sdk.Coins{{Denom: "x", Amount: math.NewInt(-1)}}, shares)
		},
		"empty module": func() error { return s.k.PayDatasetFee(s.ta.Ctx, id, "distribution", coins(10), shares) },
		"bad share addr": func() error {
			return s.k.PayDatasetFee(s.ta.Ctx, id, from, coins(10), []common.Share{{Address: "x", Weight: 1}})
		},
	} {
		snap := s.snap(modAddr, c1.Address, c2.Address)
		if err := f(); err == nil {
			t.Fatalf("%s: accepted", name)
		}
		s.unchanged(snap, name, modAddr, c1.Address, c2.Address)
	}
	poolBefore := s.ta.Balance(s.pool, denom)
	b1, b2 := s.ta.Balance(c1.Address, denom), s.ta.Balance(c2.Address, denom)
	if err := s.k.PayDatasetFee(s.ta.Ctx, id, from, coins(1000), shares); err != nil {
		t.Fatal(err)
	}
	// 1000: 25 to the pool; 975 split 1:2 = 325 / 650.
	if d := s.ta.Balance(s.pool, denom).Sub(poolBefore); !d.Equal(math.NewInt(25)) {
		t.Fatalf("pool got %s", d)
	}
	if d := s.ta.Balance(c1.Address, denom).Sub(b1); !d.Equal(math.NewInt(325)) {
		t.Fatalf("share 1 got %s", d)
	}
	if d := s.ta.Balance(c2.Address, denom).Sub(b2); !d.Equal(math.NewInt(650)) {
		t.Fatalf("share 2 got %s", d)
	}
	if got := s.ta.Balance(modAddr, denom); !got.Equal(math.NewInt(4000)) {
		t.Fatalf("module left with %s, want 4000", got)
	}
	if !hasEvent(s.ta.Ctx, "aichain.datamarket.v1.EventDatasetFeePaid") {
		t.Fatal("no EventDatasetFeePaid")
	}
}

func TestJobAccess(t *testing.T) {
	s := setup(t)
	id := s.list(listMsg(s.owner.String(), perJob(10)))
	provider := s.other.String()
	if s.access(id, provider).HasAccess {
		t.Fatal("provider has access before the grant")
	}
	if err := s.k.GrantJobAccess(s.ta.Ctx, 99, 1, provider); !errors.Is(err, types.ErrDatasetNotFound) {
		t.Fatalf("grant on unknown dataset: %v", err)
	}
	if err := s.k.GrantJobAccess(s.ta.Ctx, id, 1, "aic1bad"); !errors.Is(err, types.ErrInvalidRequest) {
		t.Fatalf("grant to bad address: %v", err)
	}
	if err := s.k.GrantJobAccess(s.ta.Ctx, id, 7, provider); err != nil {
		t.Fatal(err)
	}
	if err := s.k.GrantJobAccess(s.ta.Ctx, id, 8, provider); err != nil {
		t.Fatal(err)
	}
	a := s.access(id, provider)
	if !a.HasAccess || a.Reason != "job" || (a.JobId != 7 && a.JobId != 8) {
		t.Fatalf("provider of a live job: %+v", a)
	}
	if err := s.k.RevokeJobAccess(s.ta.Ctx, id, 7); err != nil {
		t.Fatal(err)
	}
	if a := s.access(id, provider); !a.HasAccess || a.JobId != 8 {
		t.Fatalf("provider with one job left: %+v", a)
	}
	if err := s.k.RevokeJobAccess(s.ta.Ctx, id, 8); err != nil {
		t.Fatal(err)
	}
	if s.access(id, provider).HasAccess {
		t.Fatal("provider keeps access after its jobs ended")
	}
	if err := s.k.RevokeJobAccess(s.ta.Ctx, id, 8); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
}

package keeper_test

import (
	"errors"
	"testing"

	"cosmossdk.io/collections"

	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestMigrate1to2 (issue 17, for a running chain): a version-1 store has
// versions, licences and job accesses without the indexes issue 17 added —
// so a copied listing would pass the content check and a winner would find
// no access. The migration builds the indexes from the stored entries, and
// a job access granted before it (no version) keeps reading until its job
// ends.
func TestMigrate1to2(t *testing.T) {
	s := setup(t)
	owner, provider := s.owner.String(), s.other.String()
	orig := listMsg(owner, perJob(10))
	first := *orig
	id := s.list(&first)
	ctx := s.ta.Ctx
	// The version-1 store: a legacy job access (no version), and none of
	// the new index entries.
	legacy := types.JobAccess{DatasetId: id, JobId: 9, Provider: provider}
	key := collections.Join(id, uint64(9))
	if err := s.k.JobAccess.Set(ctx, key, legacy); err != nil {
		t.Fatal(err)
	}
	unindex := func() {
		t.Helper()
		err := s.k.DatasetVersions.Walk(ctx, nil, func(pk collections.Pair[uint64, uint64], v types.DatasetVersion) (bool, error) {
			if err := s.k.DatasetVersions.Indexes.ByRoot.Unreference(ctx, pk, func() (types.DatasetVersion, error) { return v, nil }); err != nil {
				return true, err
			}
			// Nor the content files of version 5.
			if err := s.k.ContentRoots.Remove(ctx, v.ContentRoot); err != nil {
				return true, err
			}
			if err := s.k.ContentShas.Remove(ctx, v.Sha256); err != nil {
				return true, err
			}
			if err := s.k.RowsShas.Remove(ctx, v.RowsSha256); err != nil { // nor the rows key's
				return true, err
			}
			return false, s.k.DatasetVersions.Indexes.BySha256.Unreference(ctx, pk, func() (types.DatasetVersion, error) { return v, nil })
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.k.JobAccess.Indexes.ByProvider.Unreference(ctx, key, func() (types.JobAccess, error) { return legacy, nil }); err != nil {
			t.Fatal(err)
		}
	}
	unindex()
	copied := *orig // the owner's content, listed by another
	copied.Owner, copied.Name = s.other.String(), "copy"
	attempt := copied
	if _, err := s.ms.ListDataset(ctx, &attempt); err != nil {
		t.Fatalf("the version-1 store (no content index) should let a copy through, to show what the migration fixes: %v", err)
	}
	// Undo the copy the old store let in, then migrate.
	s = setup(t)
	second := *orig
	id = s.list(&second)
	ctx = s.ta.Ctx
	if err := s.k.JobAccess.Set(ctx, key, legacy); err != nil {
		t.Fatal(err)
	}
	unindex()
	if err := keeper.NewMigrator(s.k).Migrate1to2(ctx); err != nil {
		t.Fatal(err)
	}
	// The upgrade runs every migration from the store's version on.
	if err := keeper.NewMigrator(s.k).Migrate4to5(ctx); err != nil {
		t.Fatal(err)
	}
	attempt = copied
	if _, err := s.ms.ListDataset(ctx, &attempt); !errors.Is(err, types.ErrContentTaken) {
		t.Fatalf("after the migration a copied listing: %v, want ErrContentTaken", err)
	}
	a, err := s.q.HasAccess(ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: provider, Version: 1})
	if err != nil || !a.HasAccess || a.JobId != 9 {
		t.Fatalf("the legacy job access after the migration: %+v, %v", a, err)
	}
}

// TestMigrate2to3: a version-2 store has licences but no LicenseHolders.
// Read as version 3 without the migration, a licensee would look as if it
// held nothing (no access, and a second licence of a kind it holds would
// sell); the migration files the pair of every licence, transferred ones
// under their current licensee.
func TestMigrate2to3(t *testing.T) {
	s := setup(t)
	owner, buyer, other := s.owner.String(), s.buyer.String(), s.other.String()
	id := s.list(listMsg(owner, perpetual(100, true), rental(2, 10)))
	tr := s.buy(buyer, id, 0)
	s.buy(buyer, id, 1)
	if _, err := s.ms.TransferLicense(s.ta.Ctx, &types.MsgTransferLicense{Licensee: buyer, LicenseId: tr.LicenseId, Recipient: other}); err != nil {
		t.Fatal(err)
	}
	// The version-2 store.
	if err := s.k.LicenseHolders.Clear(s.ta.Ctx, nil); err != nil {
		t.Fatal(err)
	}
	if s.access(id, other).HasAccess {
		t.Fatal("without the migration the transferee should look licence-less, to show what it fixes")
	}

	if err := keeper.NewMigrator(s.k).Migrate2to3(s.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	s.holdersExact()
	for _, who := range []string{buyer, other} {
		if a := s.access(id, who); !a.HasAccess || a.Reason != "license" {
			t.Fatalf("%s's access after the migration: %+v", who, a)
		}
	}
	_, err := s.ms.PurchaseLicense(s.ta.Ctx, &types.MsgPurchaseLicense{Buyer: other, DatasetId: id, OfferIndex: 0, MaxPrice: s.priceCap(id, 0)})
	if !errors.Is(err, types.ErrAlreadyLicensed) {
		t.Fatalf("a second perpetual licence for the transferee after the migration: %v, want ErrAlreadyLicensed", err)
	}
}

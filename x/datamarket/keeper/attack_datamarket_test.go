package keeper_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/types/query"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/types"
)

// exportGenesis returns the module's exported genesis.
func exportGenesis(s *suite) *types.GenesisState {
	s.t.Helper()
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	return gs
}

// gasOf runs f on a branch of the state with a fresh gas meter and
// returns the gas it used (the branch is discarded).
func gasOf(s *suite, f func(ctx sdk.Context) error) uint64 {
	s.t.Helper()
	ctx, _ := s.ta.Ctx.CacheContext()
	ctx = ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
	if err := f(ctx); err != nil {
		s.t.Fatal(err)
	}
	return ctx.GasMeter().GasConsumed()
}

// An attacker pushes dead licences into a victim's (dataset, licensee) pair.
// The dataset (a popular open dataset, say) has a free, transferable
// one-block RENTAL trial beside its paid offers. The attacker buys the
// trial, transfers it to the victim, buys again (it holds none now),
// transfers again... K times, for nothing but the transactions' fees (one a
// block here; a recipient takes at most 16 running licences of the dataset
// from others, TestAttackDatamarketGiftsStackLiveLicences, so it could give
// up to 16 a block). Two blocks after the last gift every gifted licence
// has expired. From then on every
// purchase the victim makes of that dataset (heldOfKind) and every job it
// creates on it (DatasetTermsForJob, newestCoveredVersion) walks all K dead
// licences: the victim pays gas for each, for ever, and cannot get rid of
// them (an expired licence cannot be transferred). With K in the thousands
// the victim's purchases and job creations pass any block gas limit.
// Fixed, the gifts would cost the victim (next to) nothing: the extra gas
// with 300 dead licences stays under 20,000.
func TestAttackDatamarketGiftedDeadLicencesInflateVictimGas(t *testing.T) {
	const k = 300
	type result struct{ purchase, terms uint64 }
	run := func(gifts int) result {
		s := setup(t)
		owner, attacker, victim := s.owner.String(), s.other.String(), s.buyer.String()
		trial := types.LicenseOffer{Kind: types.LICENSE_KIND_RENTAL, DurationBlocks: 1, Transferable: true}
		id := s.list(listMsg(owner, trial, perpetual(1000, false), perJob(10)))
		for i := 0; i < gifts; i++ {
			res := s.buy(attacker, id, 0)
			if _, err := s.ms.TransferLicense(s.ta.Ctx, &types.MsgTransferLicense{Licensee: attacker, LicenseId: res.LicenseId, Recipient: victim}); err != nil {
				t.Fatalf("gift %d: %v", i, err)
			}
			s.ta.NextBlock()
		}
		s.ta.NextBlock()
		s.ta.NextBlock()
		if gifts > 0 {
			got, err := s.q.Licenses(s.ta.Ctx, &types.QueryLicensesRequest{Licensee: victim, Pagination: &query.PageRequest{Limit: 1000}})
			if err != nil || len(got.Licenses) != gifts {
				t.Fatalf("victim's licences: %d, %v", len(got.Licenses), err)
			}
			// The victim cannot hand them back.
			if _, err := s.ms.TransferLicense(s.ta.Ctx, &types.MsgTransferLicense{Licensee: victim, LicenseId: got.Licenses[0].Id, Recipient: attacker}); !errors.Is(err, types.ErrLicenseExpired) {
				t.Fatalf("victim returns a dead licence: %v", err)
			}
		}
		var r result
		r.terms = gasOf(s, func(ctx sdk.Context) error {
			terms, err := s.k.DatasetTermsForJob(ctx, id, victim, 0)
			if err == nil && !terms.Fee.Equal(coins(10)) {
				t.Fatalf("terms: %+v", terms)
			}
			return err
		})
		l := s.ledger(s.buyer.Address, s.owner.Address, s.pool)
		r.purchase = gasOf(s, func(ctx sdk.Context) error {
			_, err := s.ms.PurchaseLicense(ctx, &types.MsgPurchaseLicense{Buyer: victim, DatasetId: id, OfferIndex: 1, MaxPrice: s.priceCap(id, 1)})
			return err
		})
		l.expect("the measured purchase is discarded", 0, 0, 0)
		return r
	}
	clean, spammed := run(0), run(k)
	t.Logf("victim gas: purchase %d -> %d, job terms %d -> %d with %d dead gifted licences",
		clean.purchase, spammed.purchase, clean.terms, spammed.terms, k)
	if spammed.purchase > clean.purchase+20_000 || spammed.terms > clean.terms+20_000 {
		t.Fatalf("%d unsolicited dead licences raise the victim's purchase gas by %d and its job-creation gas by %d (for ever)",
			k, spammed.purchase-clean.purchase, spammed.terms-clean.terms)
	}
}

// Governance lowers max_description_len (or max_name_len) — an ordinary,
// honest proposal. An owner whose dataset was listed under the old limit
// can then never publish a new version: UpdateDataset checks the dataset's
// name and description, which it does not change and which no message can
// change, against the new limit. The owner's fix of a corrupt file, or a
// new version its subscribers paid for, is refused for ever.
func TestAttackDatamarketParamCutLocksOwnerOutOfNewVersions(t *testing.T) {
	s := setup(t)
	owner := s.owner.String()
	m := listMsg(owner, subscription(100, 10))
	m.Description = strings.Repeat("d", 2000)
	id := s.list(m)
	p, err := s.k.GetParams(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.MaxDescriptionLen = 1000
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	if _, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: p}); err != nil {
		t.Fatal(err)
	}
	_, err = s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16,
		ContentRoot: rootOf("paramcut-v2"), Sha256: shaOf("paramcut-v2"), RowsSha256: rowsOf(shaOf("paramcut-v2")), Uri: "http://127.0.0.1:8090",
	})
	if err != nil {
		t.Fatalf("the owner publishes version 2 (its description untouched) after the limit was lowered: %v", err)
	}
}

// A genesis (a doctored export) holds a RENTAL licence with expires_height 0,
// which HasAccess reads as "never expires": a renter's perpetual access at a
// rental's price, which no purchase can produce. Validate accepts it; the
// renter keeps access for ever, and a renewal (a wallet that renews what it
// holds) sells it a term that then ends the access it held.
func TestAttackDatamarketGenesisRentalWithoutExpiry(t *testing.T) {
	s := setup(t)
	buyer := s.buyer.String()
	id := s.list(listMsg(s.owner.String(), rental(10, 100)))
	s.buy(buyer, id, 0)
	gs := exportGenesis(s)
	gs.Licenses[0].ExpiresHeight = 0
	if err := gs.Validate(); err == nil {
		for i := 0; i < 12; i++ {
			s.ta.NextBlock()
		}
		if err := s.k.InitGenesis(s.ta.Ctx, gs); err != nil {
			t.Fatal(err)
		}
		a := s.access(id, buyer)
		t.Fatalf("a genesis RENTAL licence with no expiry was accepted: 10-block renter still has access %d blocks later (%+v)", 12, a)
	}
}

// A genesis drops the record of an older version that a licence was bought
// for (only each dataset's current version record is required). The
// licensee's HasAccess says yes, but every job it creates fails
// (DatasetTermsForJob reads the missing record: ErrVersionNotFound), and
// a dataserver cannot serve the version: the paid licence is useless.
func TestAttackDatamarketGenesisDropsLicensedVersion(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	id := s.list(listMsg(owner, perpetual(100, false)))
	s.buy(buyer, id, 0)
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16,
		ContentRoot: rootOf("drop-v2"), Sha256: shaOf("drop-v2"), RowsSha256: rowsOf(shaOf("drop-v2")),
	}); err != nil {
		t.Fatal(err)
	}
	gs := exportGenesis(s)
	var kept []types.DatasetVersion
	for _, v := range gs.DatasetVersions {
		if v.Version != 1 {
			kept = append(kept, v)
		}
	}
	gs.DatasetVersions = kept
	if err := gs.Validate(); err == nil {
		fresh := setup(t)
		if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); err != nil {
			t.Fatal(err)
		}
		_, terr := fresh.k.DatasetTermsForJob(fresh.ta.Ctx, id, buyer, 0)
		a, aerr := fresh.q.HasAccess(fresh.ta.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: buyer, Version: 1})
		t.Fatalf("a genesis without the record of licensed version 1 was accepted: licensee access to version 1 %+v (%v), job terms error %v",
			a, aerr, terr)
	}
}

// An attacker gives a victim licences it never asked for: a transfer needs
// no consent of its recipient, so every licence the attacker buys (a free
// trial, say) joins the victim's, each one read by every purchase and job
// creation of the victim on the dataset while it runs. A recipient that
// holds maxTransferredLive (16) running licences of the dataset refuses
// another (ErrTooManyLicenses, nothing moves): the 17th gift fails, and
// with 16 the victim's purchase and job creation cost at most 16 times what
// the first licence adds. The victim's own purchases are never capped, an
// honest gift to another address goes through, and so does one to the
// victim once the gifts have expired.
func TestAttackDatamarketGiftsStackLiveLicences(t *testing.T) {
	s := setup(t)
	owner, attacker, victim := s.owner.String(), s.other.String(), s.buyer.String()
	trial := types.LicenseOffer{Kind: types.LICENSE_KIND_RENTAL, DurationBlocks: 3, Transferable: true}
	id := s.list(listMsg(owner, trial, perpetual(100, false), perJob(10)))
	transfer := func(from string, licence uint64, to string) func() error {
		return func() error {
			_, err := s.ms.TransferLicense(s.ta.Ctx, &types.MsgTransferLicense{Licensee: from, LicenseId: licence, Recipient: to})
			return err
		}
	}
	gift := func() {
		t.Helper()
		res := s.buy(attacker, id, 0)
		if err := transfer(attacker, res.LicenseId, victim)(); err != nil {
			t.Fatalf("gift: %v", err)
		}
	}
	// The victim's purchase of the perpetual licence and its job terms, on
	// a branch (discarded).
	gas := func() (purchase, terms uint64) {
		terms = gasOf(s, func(ctx sdk.Context) error {
			_, err := s.k.DatasetTermsForJob(ctx, id, victim, 0)
			return err
		})
		purchase = gasOf(s, func(ctx sdk.Context) error {
			_, err := s.ms.PurchaseLicense(ctx, &types.MsgPurchaseLicense{Buyer: victim, DatasetId: id, OfferIndex: 1, MaxPrice: s.priceCap(id, 1)})
			return err
		})
		return purchase, terms
	}
	p0, t0 := gas()
	gift()
	p1, t1 := gas()
	for range keeper.MaxTransferredLive - 1 {
		gift()
	}
	pN, tN := gas()
	// The first licence's extra gas opens the pair's range and reads one
	// entry: at most that for each of the others.
	perP, perT := p1-p0, t1-t0
	t.Logf("victim gas with 0, 1, %d running gifts: purchase %d, %d, %d; job terms %d, %d, %d",
		keeper.MaxTransferredLive, p0, p1, pN, t0, t1, tN)
	if pN > p0+keeper.MaxTransferredLive*perP || tN > t0+keeper.MaxTransferredLive*perT {
		t.Fatalf("%d running gifts raise the victim's purchase gas by %d (one: %d) and its job terms by %d (one: %d)",
			keeper.MaxTransferredLive, pN-p0, perP, tN-t0, perT)
	}

	// The 17th is refused and changes nothing.
	extra := s.buy(attacker, id, 0)
	l := s.ledger(s.buyer.Address, s.other.Address, s.owner.Address, s.pool)
	s.expectFail("a 17th running licence pushed onto the victim", types.ErrTooManyLicenses, transfer(attacker, extra.LicenseId, victim))
	if got, err := s.k.GetLicense(s.ta.Ctx, extra.LicenseId); err != nil || got.Licensee != attacker {
		t.Fatalf("the refused gift: %+v, %v", got, err)
	}
	// The victim's own purchase is not capped.
	s.buy(victim, id, 1)
	l.expect("the victim buys a perpetual licence at 100 (2.5% to the pool, floor 2)", -100, 0, 98, 2)

	// Honest transfers: to an address below the cap.
	friend := sdk.AccAddress([]byte("friend-no-licence-20")).String()
	if err := transfer(attacker, extra.LicenseId, friend)(); err != nil {
		t.Fatalf("a RENTAL to an address that holds none: %v", err)
	}
	for range 3 {
		s.ta.NextBlock()
	}
	// The gifts have expired: the victim holds one running licence, its own.
	again := s.buy(attacker, id, 0)
	if err := transfer(attacker, again.LicenseId, victim)(); err != nil {
		t.Fatalf("a RENTAL once the gifts have expired: %v", err)
	}
	if a := s.access(id, victim); !a.HasAccess || a.Reason != "license" || a.ExpiresHeight != 0 {
		t.Fatalf("the victim's access: %+v", a)
	}
}

// A dataset owner lists a dataset (or publishes a version) whose uri no one
// can fetch: empty, of another scheme than the dataset server's http(s)
// (file://, a local path on every provider that fetches it), without a
// host, or with spaces and control characters that reach every provider's
// requests and logs. Buyers pay for a licence and requesters for jobs whose
// data never arrives. Listing and updating refuse it (ErrInvalidDataset,
// nothing changes); an update without a uri keeps the dataset's.
func TestAttackDatamarketListsUnfetchableURI(t *testing.T) {
	s := setup(t)
	owner := s.owner.String()
	bad := []string{
		"file:///etc/passwd", "ftp://data.example/iris", "http://", "javascript:alert(1)", "data.example/iris",
		"http://data.example/\x1b[2Jiris", "https://data example/iris", "http://127.0.0.1:8090\n", "http://data.example/\xff",
	}
	for _, uri := range append([]string{""}, bad...) {
		m := listMsg(owner, perpetual(1, false))
		m.Uri = uri
		s.expectFail(fmt.Sprintf("listing with uri %q", uri), types.ErrInvalidDataset, func() error {
			_, err := s.ms.ListDataset(s.ta.Ctx, m)
			return err
		})
	}
	id := s.list(listMsg(owner, perpetual(1, false)))
	update := func(uri, file string) (*types.MsgUpdateDatasetResponse, error) {
		return s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
			Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: rootOf(file), Sha256: shaOf(file), RowsSha256: rowsOf(shaOf(file)), Uri: uri,
		})
	}
	for _, uri := range bad {
		s.expectFail(fmt.Sprintf("version with uri %q", uri), types.ErrInvalidDataset, func() error {
			_, err := update(uri, "uri-v2")
			return err
		})
	}
	if _, err := update("", "uri-v2"); err != nil {
		t.Fatal(err)
	}
	if _, err := update("HTTPS://mirror.example:8443/data", "uri-v3"); err != nil {
		t.Fatal(err)
	}
	for v, want := range map[uint64]string{1: "http://127.0.0.1:8090", 2: "http://127.0.0.1:8090", 3: "HTTPS://mirror.example:8443/data"} {
		if got, err := s.k.GetDatasetVersion(s.ta.Ctx, id, v); err != nil || got.Uri != want {
			t.Fatalf("version %d's uri %q (%v), want %q", v, got.Uri, err, want)
		}
	}
}

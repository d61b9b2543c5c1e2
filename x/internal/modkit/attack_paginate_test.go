package modkit_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aichain/aichain/testutil/storeiter"
	"github.com/aichain/aichain/x/internal/modkit"
)

const walkN = 5000

// fillOwned stores walkN entries in a map indexed by owner (all "alice"), as a
// module's collection and its index on a busy chain.
func fillOwned(t *testing.T) (env, *collections.IndexedMap[uint64, uint64, itemIndexes], collections.KeySet[collections.Pair[string, uint64]]) {
	t.Helper()
	e := newEnv(t)
	m := collections.NewIndexedMap(e.sb, collections.NewPrefix(1), "items", collections.Uint64Key, collections.Uint64Value,
		itemIndexes{Owner: indexes.NewMulti(e.sb, collections.NewPrefix(2), "items_by_owner", collections.StringKey, collections.Uint64Key,
			func(_ uint64, _ uint64) (string, error) { return "alice", nil })})
	if _, err := e.sb.Build(); err != nil {
		t.Fatal(err)
	}
	for id := uint64(1); id <= walkN; id++ {
		if err := m.Set(e.ctx, id, id); err != nil {
			t.Fatal(err)
		}
	}
	view := modkit.IndexView(e.service, collections.NewPrefix(2), "items_by_owner", collections.StringKey, collections.Uint64Key)
	return e, m, view
}

// TestAttackPaginateDefaultRequestWalksWholeCollection: every list query
// of every module (Jobs, Providers, PendingVerifications, Datasets,
// Licenses, Models, ModelVersions, Locks) pages with modkit. A request with
// no pagination (what a wallet or explorer sends by default over REST) or
// with count_total, or with a large offset, makes the node walk the whole
// collection (or index range) while it returns one page: the SDK turns
// count_total on when the limit is 0, counts by iterating to the end, and
// reaches an offset by stepping over every entry before it. Capping the
// limit alone did not bound it. Anyone can send these to a public node, at
// no cost, as often as they like (queries carry no gas limit by default).
// The work of a page must be bounded by the page, whatever the request.
func TestAttackPaginateDefaultRequestWalksWholeCollection(t *testing.T) {
	e, m, view := fillOwned(t)
	id := func(k, _ uint64) (uint64, error) { return k, nil }
	load := func(_ context.Context, k uint64) (uint64, error) { return k, nil }
	bound := 2*modkit.MaxPageLimit + 10
	for name, run := range map[string]func(ctx sdk.Context) (int, error){
		"Paginate, nil request": func(ctx sdk.Context) (int, error) {
			out, _, err := modkit.Paginate(ctx, m, nil, id)
			return len(out), err
		},
		"Paginate, limit 1 count_total": func(ctx sdk.Context) (int, error) {
			out, _, err := modkit.Paginate(ctx, m, &query.PageRequest{Limit: 1, CountTotal: true}, id)
			return len(out), err
		},
		"Paginate, limit 1 offset N-1": func(ctx sdk.Context) (int, error) {
			out, _, err := modkit.Paginate(ctx, m, &query.PageRequest{Limit: 1, Offset: walkN - 1}, id)
			return len(out), err
		},
		"PaginateRef, nil request": func(ctx sdk.Context) (int, error) {
			out, _, err := modkit.PaginateRef(ctx, view, "alice", nil, load)
			return len(out), err
		},
		"PaginateRef, reverse limit 1 offset N-1": func(ctx sdk.Context) (int, error) {
			out, _, err := modkit.PaginateRef(ctx, view, "alice", &query.PageRequest{Limit: 1, Offset: walkN - 1, Reverse: true}, load)
			return len(out), err
		},
	} {
		ctx, steps := storeiter.Wrap(e.ctx)
		got, err := run(ctx)
		if err == nil && steps.Steps() > bound {
			t.Errorf("%s: returned %d entries, walked %d of %d stored (bound %d)", name, got, steps.Steps(), walkN, bound)
		}
	}
}

// TestPaginateBoundedRequest: what a request gets now that its work is
// bounded by the page. No pagination takes the default page without a
// total; an offset above MaxPageLimit and a count_total over more than
// MaxPageLimit entries past the page are refused with InvalidArgument
// pointing to next_key; the largest offset allowed still pages, in both
// orders.
func TestPaginateBoundedRequest(t *testing.T) {
	e, m, view := fillOwned(t)
	id := func(k, _ uint64) (uint64, error) { return k, nil }
	load := func(_ context.Context, k uint64) (uint64, error) { return k, nil }
	out, res, err := modkit.Paginate(e.ctx, m, nil, id)
	if err != nil || len(out) != int(query.DefaultLimit) || out[0] != 1 || len(res.NextKey) == 0 || res.Total != 0 {
		t.Fatalf("no pagination: %d entries from %v, next key %x, total %d, %v", len(out), out[:1], res.GetNextKey(), res.GetTotal(), err)
	}
	refused := func(name string, err error) {
		t.Helper()
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "next_key") {
			t.Errorf("%s: %v, want InvalidArgument pointing to next_key", name, err)
		}
	}
	_, _, err = modkit.Paginate(e.ctx, m, &query.PageRequest{Offset: modkit.MaxPageLimit + 1, Limit: 1}, id)
	refused("offset above MaxPageLimit", err)
	_, _, err = modkit.PaginateRef(e.ctx, view, "alice", &query.PageRequest{Offset: modkit.MaxPageLimit + 1, Reverse: true}, load)
	refused("reverse offset above MaxPageLimit", err)
	_, _, err = modkit.Paginate(e.ctx, m, &query.PageRequest{Limit: 1, CountTotal: true}, id)
	refused("count_total over a big set", err)
	_, _, err = modkit.Paginate(e.ctx, m, &query.PageRequest{Offset: modkit.MaxPageLimit, Limit: modkit.MaxPageLimit, CountTotal: true}, id)
	refused("count_total at the largest offset", err)
	out, _, err = modkit.Paginate(e.ctx, m, &query.PageRequest{Offset: modkit.MaxPageLimit, Limit: 1}, id)
	if err != nil || len(out) != 1 || out[0] != modkit.MaxPageLimit+1 {
		t.Fatalf("offset MaxPageLimit: %v, %v", out, err)
	}
	got, _, err := modkit.PaginateRef(e.ctx, view, "alice", &query.PageRequest{Offset: modkit.MaxPageLimit, Limit: 1, Reverse: true}, load)
	if err != nil || len(got) != 1 || got[0] != walkN-modkit.MaxPageLimit {
		t.Fatalf("reverse offset MaxPageLimit: %v, %v", got, err)
	}
	// With a key, count_total is ignored, as the SDK documents.
	out, res, err = modkit.Paginate(e.ctx, m, &query.PageRequest{Key: res.GetNextKey(), Limit: 2, CountTotal: true}, id)
	if err != nil || len(out) != 2 || res.Total != 0 {
		t.Fatalf("key with count_total: %v, total %d, %v", out, res.GetTotal(), err)
	}
}

// TestPaginateCountTotalBounded: count_total is answered exactly, in both
// orders and under a prefix, when at most MaxPageLimit entries follow the
// page, with a walk bounded by offset + limit + MaxPageLimit.
func TestPaginateCountTotalBounded(t *testing.T) {
	e := newEnv(t)
	// alice owns the even ids, bob the odd ones, up to 2400; carol the
	// three ids above.
	const n = 2403
	ownerOf := func(v uint64) string {
		if v > 2400 {
			return "carol"
		}
		return []string{"alice", "bob"}[v%2]
	}
	m := collections.NewIndexedMap(e.sb, collections.NewPrefix(1), "items", collections.Uint64Key, collections.Uint64Value,
		itemIndexes{Owner: indexes.NewMulti(e.sb, collections.NewPrefix(2), "items_by_owner", collections.StringKey, collections.Uint64Key,
			func(_ uint64, v uint64) (string, error) { return ownerOf(v), nil })})
	if _, err := e.sb.Build(); err != nil {
		t.Fatal(err)
	}
	for id := uint64(1); id <= n; id++ {
		if err := m.Set(e.ctx, id, id); err != nil {
			t.Fatal(err)
		}
	}
	view := modkit.IndexView(e.service, collections.NewPrefix(2), "items_by_owner", collections.StringKey, collections.Uint64Key)
	load := func(_ context.Context, k uint64) (uint64, error) { return k, nil }
	for _, c := range []struct {
		owner string
		req   query.PageRequest
		total uint64 // 0: refused
	}{
		{"alice", query.PageRequest{Limit: 200, CountTotal: true}, 1200}, // exactly MaxPageLimit follow
		{"alice", query.PageRequest{Limit: 199, CountTotal: true}, 0},
		{"alice", query.PageRequest{Limit: 200, CountTotal: true, Reverse: true}, 1200},
		{"alice", query.PageRequest{Limit: 199, CountTotal: true, Reverse: true}, 0},
		{"bob", query.PageRequest{Offset: 500, Limit: 10, CountTotal: true, Reverse: true}, 1200},
		{"bob", query.PageRequest{Offset: 1000, Limit: 1000, CountTotal: true}, 1200}, // the page reaches the end
		{"carol", query.PageRequest{Limit: 1, CountTotal: true}, 3},
		{"carol", query.PageRequest{Offset: 3, CountTotal: true}, 3},
		{"carol", query.PageRequest{Offset: 5, CountTotal: true}, 3}, // past the end: the set's size
	} {
		ctx, steps := storeiter.Wrap(e.ctx)
		_, res, err := modkit.PaginateRef(ctx, view, c.owner, &c.req, load)
		switch {
		case c.total == 0 && status.Code(err) != codes.InvalidArgument:
			t.Errorf("%s %+v: %v, want InvalidArgument", c.owner, c.req, err)
		case c.total != 0 && (err != nil || res.Total != c.total):
			t.Errorf("%s %+v: total %d, %v; want %d", c.owner, c.req, res.GetTotal(), err, c.total)
		}
		if bound := int(c.req.Offset+c.req.Limit) + modkit.MaxPageLimit + 2; steps.Steps() > bound {
			t.Errorf("%s %+v: walked %d entries, bound %d", c.owner, c.req, steps.Steps(), bound)
		}
	}
	_, res, err := modkit.Paginate(e.ctx, m, &query.PageRequest{Offset: 1000, Limit: 1000, CountTotal: true}, func(k, _ uint64) (uint64, error) { return k, nil })
	if err != nil || res.Total != n {
		t.Fatalf("whole map from offset 1000: total %d, %v; want %d", res.GetTotal(), err, n)
	}
}

package modkit_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	storetypes "cosmossdk.io/store/types"

	"github.com/aichain/aichain/x/internal/modkit"
)

// TestInsertIndexed: inserting fresh keys through InsertIndexed leaves the
// store byte for byte as IndexedMap.Set leaves it, with fewer reads.
func TestInsertIndexed(t *testing.T) {
	type run struct {
		e     env
		m     *collections.IndexedMap[uint64, uint64, itemIndexes]
		reads uint64
	}
	build := func(insert bool) run {
		e := newEnv(t)
		ownerOf := func(_ uint64, v uint64) (string, error) { return []string{"alice", "bob"}[v%2], nil }
		m := collections.NewIndexedMap(e.sb, collections.NewPrefix(1), "items", collections.Uint64Key, collections.Uint64Value,
			itemIndexes{Owner: indexes.NewMulti(e.sb, collections.NewPrefix(2), "items_by_owner", collections.StringKey, collections.Uint64Key, ownerOf)})
		raw := modkit.MapView(e.service, collections.NewPrefix(1), "items", collections.Uint64Key, collections.Uint64Value)
		ctx := e.ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
		for id := uint64(1); id <= 20; id++ {
			var err error
			if insert {
				err = modkit.InsertIndexed(ctx, m, raw, id, id*7)
			} else {
				err = m.Set(ctx, id, id*7)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		return run{e: e, m: m, reads: ctx.GasMeter().GasConsumed()}
	}
	fast, ref := build(true), build(false)
	dump := func(r run) []byte {
		var out []byte
		it, err := r.e.service.OpenKVStore(r.e.ctx).Iterator(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		for ; it.Valid(); it.Next() {
			out = append(append(append(out, it.Key()...), '='), it.Value()...)
		}
		return out
	}
	if !bytes.Equal(dump(fast), dump(ref)) {
		t.Fatal("InsertIndexed left a different store than IndexedMap.Set")
	}
	if fast.reads >= ref.reads {
		t.Fatalf("InsertIndexed used %d gas, IndexedMap.Set %d: want less", fast.reads, ref.reads)
	}
}

type sparseIndexes struct {
	Owner modkit.SparseMulti[string, uint64, uint64]
}

func (i sparseIndexes) IndexesList() []collections.Index[uint64, uint64] {
	return []collections.Index[uint64, uint64]{i.Owner}
}

// TestSparseMulti: through IndexedMap's Set and Remove, an item whose key is
// "" has no entry, one whose key changes from or to "" gains or loses its
// entry, and other keys are indexed as by a Multi.
func TestSparseMulti(t *testing.T) {
	e := newEnv(t)
	owners := []string{"", "alice", "bob"}
	ownerOf := func(_ uint64, v uint64) (string, error) { return owners[v%3], nil }
	m := collections.NewIndexedMap(e.sb, collections.NewPrefix(1), "items", collections.Uint64Key, collections.Uint64Value,
		sparseIndexes{Owner: modkit.NewSparseMulti(e.sb, collections.NewPrefix(2), "items_by_owner", collections.StringKey, collections.Uint64Key, ownerOf)})
	entries := func() string {
		it, err := m.Indexes.Owner.Iterate(e.ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := it.FullKeys()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range keys {
			out = append(out, fmt.Sprintf("%s/%d", k.K1(), k.K2()))
		}
		return strings.Join(out, " ")
	}
	steps := []struct {
		id, v  uint64 // v%3 picks the owner
		remove bool
		want   string
	}{
		{id: 1, v: 3, want: ""},              // "": no entry
		{id: 2, v: 4, want: "alice/2"},       // alice
		{id: 1, v: 5, want: "alice/2 bob/1"}, // "" → bob
		{id: 2, v: 6, want: "bob/1"},         // alice → ""
		{id: 1, v: 7, want: "alice/1"},       // bob → alice
		{id: 1, remove: true, want: ""},      // removed
		{id: 2, remove: true, want: ""},      // removed while ""
		{id: 3, v: 8, want: "bob/3"},         // a fresh one
	}
	for i, s := range steps {
		var err error
		if s.remove {
			err = m.Remove(e.ctx, s.id)
		} else {
			err = m.Set(e.ctx, s.id, s.v)
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := entries(); got != s.want {
			t.Fatalf("step %d: entries %q, want %q", i, got, s.want)
		}
	}
}

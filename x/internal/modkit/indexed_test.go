package modkit_test

import (
	"bytes"
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

package modkit

import (
	"context"

	"cosmossdk.io/collections"
	collcodec "cosmossdk.io/collections/codec"
	"cosmossdk.io/core/store"
)

// MapView is a collections.Map over the primary storage of an IndexedMap
// (same prefix, key and value codecs), on a schema builder of its own so
// that the module's schema still holds each prefix once. Write through it
// only together with the IndexedMap's indexes, as InsertIndexed does.
func MapView[K, V any](storeService store.KVStoreService, prefix collections.Prefix, name string,
	keyCodec collcodec.KeyCodec[K], valueCodec collcodec.ValueCodec[V],
) collections.Map[K, V] {
	sb := collections.NewSchemaBuilder(storeService)
	return collections.NewMap(sb, prefix, name+"_view", keyCodec, valueCodec)
}

// InsertIndexed stores v under a primary key that holds no value yet (a
// fresh sequence id) and references it in every index of m; raw is m's
// MapView. It leaves the entries IndexedMap.Set leaves, without Set's
// look-ups of an old value, one per index (each a store read charged
// ReadCostFlat gas, for a key that cannot exist).
func InsertIndexed[K, V any, I collections.Indexes[K, V]](ctx context.Context, m *collections.IndexedMap[K, V, I],
	raw collections.Map[K, V], pk K, v V,
) error {
	none := func() (V, error) {
		var zero V
		return zero, collections.ErrNotFound
	}
	for _, idx := range m.Indexes.IndexesList() {
		if err := idx.Reference(ctx, pk, v, none); err != nil {
			return err
		}
	}
	return raw.Set(ctx, pk, v)
}

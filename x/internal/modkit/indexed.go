package modkit

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	collcodec "cosmossdk.io/collections/codec"
	"cosmossdk.io/collections/indexes"
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
	for _, idx := range m.Indexes.IndexesList() {
		if err := idx.Reference(ctx, pk, v, noValue[V]); err != nil {
			return err
		}
	}
	return raw.Set(ctx, pk, v)
}

// SparseMulti is a Multi index that keeps no entry for the zero reference
// key. Use it where no query ever asks for the zero key, such as a job's
// winner ("" before an award): an entry under it for every record would be
// a write when the record is made and a delete when the key is set, for
// nothing. refKey must be the function the Multi was built with.
type SparseMulti[R comparable, PK, V any] struct {
	*indexes.Multi[R, PK, V]
	refKey func(PK, V) (R, error)
}

// NewSparseMulti is indexes.NewMulti, with no entry kept for the zero key.
func NewSparseMulti[R comparable, PK, V any](sb *collections.SchemaBuilder, prefix collections.Prefix, name string,
	refCodec collcodec.KeyCodec[R], pkCodec collcodec.KeyCodec[PK], refKey func(PK, V) (R, error),
) SparseMulti[R, PK, V] {
	return SparseMulti[R, PK, V]{Multi: indexes.NewMulti(sb, prefix, name, refCodec, pkCodec, refKey), refKey: refKey}
}

// Reference implements collections.Index.
func (s SparseMulti[R, PK, V]) Reference(ctx context.Context, pk PK, v V, lazyOld func() (V, error)) error {
	if err := s.Unreference(ctx, pk, lazyOld); err != nil {
		return err
	}
	var zero R
	if r, err := s.refKey(pk, v); err != nil || r == zero {
		return err
	}
	return s.Multi.Reference(ctx, pk, v, noValue[V])
}

// Unreference implements collections.Index.
func (s SparseMulti[R, PK, V]) Unreference(ctx context.Context, pk PK, lazyOld func() (V, error)) error {
	old, err := lazyOld()
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var zero R
	if r, err := s.refKey(pk, old); err != nil || r == zero {
		return err
	}
	return s.Multi.Unreference(ctx, pk, func() (V, error) { return old, nil })
}

// noValue is the lazy old value of a key that holds none.
func noValue[V any]() (V, error) {
	var zero V
	return zero, collections.ErrNotFound
}

package modkit

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	collcodec "cosmossdk.io/collections/codec"
	"cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/types/query"
)

// IndexView is a read-only key set over the storage of an index keyed
// (reference, primary key) — an indexes.Multi's — that query.CollectionPaginate
// can page through by reference prefix. It shares the index's prefix and key
// codecs and is built on a schema builder of its own, so that the module's
// schema still holds each prefix exactly once. Never write through a view.
func IndexView[R, PK any](storeService store.KVStoreService, prefix collections.Prefix, name string,
	refCodec collcodec.KeyCodec[R], pkCodec collcodec.KeyCodec[PK],
) collections.KeySet[collections.Pair[R, PK]] {
	sb := collections.NewSchemaBuilder(storeService)
	return collections.NewKeySet(sb, prefix, name+"_view", collections.PairKeyCodec(refCodec, pkCodec))
}

// loadError marks an error of the caller's load function, so that it is
// reported as the server's failure, not as a bad page request.
type loadError struct{ err error }

func (e loadError) Error() string { return e.err.Error() }
func (e loadError) Unwrap() error { return e.err }

// pageStatus turns a pagination error into a gRPC status: the caller's own
// load failures are Internal, everything else (a malformed key, offset and
// key together) is InvalidArgument.
func pageStatus(err error) error {
	var le loadError
	if errors.As(err, &le) {
		return status.Error(codes.Internal, le.err.Error())
	}
	return status.Error(codes.InvalidArgument, err.Error())
}

// MaxPageLimit is the most entries one page of any list query holds: a
// larger limit is lowered to it (the page's next_key then leads on), so
// that no single request, which anyone can send a public node, makes it
// read and encode a whole collection. The SDK's default, for a request
// without a limit, is 100.
const MaxPageLimit = 1000

// capPage returns req with its limit lowered to MaxPageLimit (a copy: the
// caller's request is not changed).
func capPage(req *query.PageRequest) *query.PageRequest {
	if req == nil || req.Limit <= MaxPageLimit {
		return req
	}
	capped := *req
	capped.Limit = MaxPageLimit
	return &capped
}

// Paginate pages a whole collection in key order (query.PageRequest: key or
// offset, limit up to MaxPageLimit, count_total, reverse) and maps each
// entry with transform.
// Errors are gRPC status errors.
func Paginate[K, V any, C query.Collection[K, V], T any](ctx context.Context, coll C, req *query.PageRequest,
	transform func(K, V) (T, error),
) ([]T, *query.PageResponse, error) {
	out, page, err := query.CollectionPaginate(ctx, coll, capPage(req), func(k K, v V) (T, error) {
		t, err := transform(k, v)
		if err != nil {
			return t, loadError{err}
		}
		return t, nil
	})
	if err != nil {
		return nil, nil, pageStatus(err)
	}
	return out, page, nil
}

// PaginateRef pages the primary keys filed under one reference key of an
// index (through its IndexView), in primary-key order, and loads each entry
// with load. Only that reference's range of the index is read. Errors are
// gRPC status errors.
func PaginateRef[R, PK, T any](ctx context.Context, view collections.KeySet[collections.Pair[R, PK]], ref R,
	req *query.PageRequest, load func(context.Context, PK) (T, error),
) ([]T, *query.PageResponse, error) {
	out, page, err := query.CollectionPaginate(ctx, view, capPage(req),
		func(key collections.Pair[R, PK], _ collections.NoValue) (T, error) {
			t, err := load(ctx, key.K2())
			if err != nil {
				return t, loadError{err}
			}
			return t, nil
		}, query.WithCollectionPaginationPairPrefix[R, PK](ref))
	if err != nil {
		return nil, nil, pageStatus(err)
	}
	return out, page, nil
}

// PaginatePrefix pages the entries of a map keyed (prefix, rest) under one
// prefix, in key order. Errors are gRPC status errors.
func PaginatePrefix[K1, K2, V any, C query.Collection[collections.Pair[K1, K2], V], T any](ctx context.Context, coll C, prefix K1,
	req *query.PageRequest, transform func(collections.Pair[K1, K2], V) (T, error),
) ([]T, *query.PageResponse, error) {
	out, page, err := query.CollectionPaginate(ctx, coll, capPage(req),
		func(k collections.Pair[K1, K2], v V) (T, error) {
			t, err := transform(k, v)
			if err != nil {
				return t, loadError{err}
			}
			return t, nil
		}, query.WithCollectionPaginationPairPrefix[K1, K2](prefix))
	if err != nil {
		return nil, nil, pageStatus(err)
	}
	return out, page, nil
}

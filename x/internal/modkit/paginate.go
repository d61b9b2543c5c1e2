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

	"github.com/aichain/aichain/types/pagelimit"
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

// MaxPageLimit is the most entries one page of any list query holds
// (pagelimit.Max, the node's one page bound, which the app applies to the
// SDK's query services too): a larger limit is lowered to it (the page's
// next_key then leads on), so that no single request, which anyone can send
// a public node, makes it read and encode a whole collection. A request
// without a limit gets the SDK's default page, query.DefaultLimit (100).
//
// The same bound holds for the two other ways a page request makes a node
// walk entries it does not return (see boundPage and countTotal): an offset
// is stepped over entry by entry, so one above MaxPageLimit is refused, and
// count_total counts at most MaxPageLimit entries past the page. A call thus
// walks at most offset + limit + MaxPageLimit entries, whatever the size of
// the collection.
const MaxPageLimit = pagelimit.Max

// boundPage is pagelimit.Bound: a copy of req with no limit taking
// query.DefaultLimit without count_total, a limit above MaxPageLimit
// lowered to it, an offset above MaxPageLimit refused (InvalidArgument).
func boundPage(req *query.PageRequest) (*query.PageRequest, error) { return pagelimit.Bound(req) }

// paginate is the one body of Paginate, PaginateRef and PaginatePrefix: the
// SDK's CollectionPaginate over coll (under prefix, if not nil) with the
// request bounded by boundPage, and count_total answered by countTotal
// rather than by the SDK, which would count to the end of the collection.
// Errors are gRPC status errors.
func paginate[K, V any, C query.Collection[K, V], T any](ctx context.Context, coll C, prefix *K,
	req *query.PageRequest, transform func(K, V) (T, error),
) ([]T, *query.PageResponse, error) {
	page, err := boundPage(req)
	if err != nil {
		return nil, nil, err
	}
	// The SDK answers count_total only for offset paging (it is documented
	// as ignored with a key); countTotal keeps that rule.
	wantTotal := page.CountTotal && len(page.Key) == 0
	page.CountTotal = false
	var opts []func(*query.CollectionsPaginateOptions[K])
	if prefix != nil {
		opts = append(opts, func(o *query.CollectionsPaginateOptions[K]) { o.Prefix = prefix })
	}
	out, res, err := query.CollectionPaginate(ctx, coll, page, func(k K, v V) (T, error) {
		t, err := transform(k, v)
		if err != nil {
			return t, loadError{err}
		}
		return t, nil
	}, opts...)
	if err != nil {
		return nil, nil, pageStatus(err)
	}
	if wantTotal {
		if res.Total, err = countTotal(ctx, coll, prefix, page, uint64(len(out)), res.NextKey); err != nil {
			return nil, nil, err
		}
	}
	return out, res, nil
}

// Paginate pages a whole collection in key order (query.PageRequest: key or
// offset up to MaxPageLimit, limit up to MaxPageLimit, count_total within
// the bound of countTotal, reverse) and maps each entry with transform.
// Errors are gRPC status errors.
func Paginate[K, V any, C query.Collection[K, V], T any](ctx context.Context, coll C, req *query.PageRequest,
	transform func(K, V) (T, error),
) ([]T, *query.PageResponse, error) {
	return paginate(ctx, coll, nil, req, transform)
}

// PaginateRef pages the primary keys filed under one reference key of an
// index (through its IndexView), in primary-key order, and loads each entry
// with load. Only that reference's range of the index is read. The request
// is bounded as Paginate's. Errors are gRPC status errors.
func PaginateRef[R, PK, T any](ctx context.Context, view collections.KeySet[collections.Pair[R, PK]], ref R,
	req *query.PageRequest, load func(context.Context, PK) (T, error),
) ([]T, *query.PageResponse, error) {
	prefix := collections.PairPrefix[R, PK](ref)
	return paginate(ctx, view, &prefix, req, func(key collections.Pair[R, PK], _ collections.NoValue) (T, error) {
		return load(ctx, key.K2())
	})
}

// PaginatePrefix pages the entries of a map keyed (prefix, rest) under one
// prefix, in key order. The request is bounded as Paginate's. Errors are
// gRPC status errors.
func PaginatePrefix[K1, K2, V any, C query.Collection[collections.Pair[K1, K2], V], T any](ctx context.Context, coll C, prefix K1,
	req *query.PageRequest, transform func(collections.Pair[K1, K2], V) (T, error),
) ([]T, *query.PageResponse, error) {
	p := collections.PairPrefix[K1, K2](prefix)
	return paginate(ctx, coll, &p, req, transform)
}

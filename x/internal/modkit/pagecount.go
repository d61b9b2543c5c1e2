package modkit

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/types/query"
)

// countTotal answers a page's count_total: offset + the entries of the page
// + those that follow it, as the SDK reports it, but counting at most
// MaxPageLimit entries past the page. The SDK counts by walking to the end
// of the collection, so a one-entry page with count_total over a big set
// makes a node read it all; here a set that goes on for more than
// MaxPageLimit entries past the page is refused (InvalidArgument), and the
// client pages on with next_key without count_total. page is the bounded
// request, n the number of entries returned, next the page's next_key (the
// key after the page, without the prefix).
func countTotal[K, V any, C query.Collection[K, V]](ctx context.Context, coll C, prefix *K,
	page *query.PageRequest, n uint64, next []byte,
) (uint64, error) {
	pre, err := prefixBytes(coll, prefix)
	if err != nil {
		return 0, status.Error(codes.InvalidArgument, err.Error())
	}
	switch {
	case len(next) != 0:
		// The page stopped before the end: count what follows it, from
		// next_key on, in the page's order.
		rest, complete, err := countFrom(ctx, coll, pre, next, page.Reverse, MaxPageLimit)
		if err != nil {
			return 0, status.Error(codes.Internal, err.Error())
		}
		if !complete {
			return 0, status.Errorf(codes.InvalidArgument,
				"count_total is answered only when at most %d entries follow the page: leave it out and page on with pagination.key set to next_key",
				MaxPageLimit)
		}
		return page.Offset + n + rest, nil
	case n > 0 || page.Offset == 0:
		// The page reached the end of the set.
		return page.Offset + n, nil
	default:
		// An empty page at an offset: the set ends at or before the offset
		// (at most MaxPageLimit, by boundPage), so counting it all is bounded.
		total, _, err := countFrom(ctx, coll, pre, nil, false, page.Offset)
		if err != nil {
			return 0, status.Error(codes.Internal, err.Error())
		}
		return total, nil
	}
}

// prefixBytes encodes the page's prefix key as the SDK does (nil for none).
func prefixBytes[K, V any, C query.Collection[K, V]](coll C, prefix *K) ([]byte, error) {
	if prefix == nil {
		return nil, nil
	}
	buf := make([]byte, coll.KeyCodec().Size(*prefix))
	if _, err := coll.KeyCodec().Encode(buf, *prefix); err != nil {
		return nil, err
	}
	return buf, nil
}

// countFrom counts the entries under prefix from key from (included; nil
// for the start of the range) onwards in the given order: in ascending
// order those at or after it, in descending order those at or before it.
// It walks at most budget entries and reports whether it reached the end.
func countFrom[K, V any, C query.Collection[K, V]](ctx context.Context, coll C, prefix, from []byte,
	reverse bool, budget uint64,
) (n uint64, complete bool, err error) {
	var key []byte // nil, not empty, for the start of a whole collection
	if len(prefix)+len(from) > 0 {
		key = append(append([]byte{}, prefix...), from...)
	}
	var (
		it  collections.Iterator[K, V]
		end []byte
	)
	if len(prefix) != 0 {
		end = storetypes.PrefixEndBytes(prefix)
	}
	if reverse {
		// Keys up to and including key: the exclusive end key||0x00 is the
		// first key after it.
		it, err = coll.IterateRaw(ctx, prefix, append(key, 0), collections.OrderDescending)
	} else {
		it, err = coll.IterateRaw(ctx, key, end, collections.OrderAscending)
	}
	if errors.Is(err, collections.ErrInvalidIterator) {
		return 0, true, nil // an empty range
	}
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if n == budget {
			return n, false, nil
		}
		n++
	}
	return n, true, nil
}

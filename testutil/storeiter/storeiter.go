// Package storeiter counts the iterators code opens on a context's stores.
//
// An iterator inside a transaction is not a cheap read: the SDK's cache
// store (cachekv) sorts, for every iterator, the writes not yet sorted of
// the branch below it, which in FinalizeBlock is the block's branch holding
// every write the block has made so far to that store; and the IAVL store
// under it opens a LevelDB iterator over all its tables. A message handler
// that opens one costs a scan of the block's writes: quadratic in the
// block. Tests use Wrap to hold a handler to point reads.
package storeiter

import (
	"sort"
	"strconv"
	"strings"

	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Counter holds the number of iterators opened, by store name.
type Counter struct{ byStore map[string]int }

// Total is the number of iterators opened on every store.
func (c *Counter) Total() int {
	n := 0
	for _, v := range c.byStore {
		n += v
	}
	return n
}

// String lists the stores iterated, with counts, for a failure message.
func (c *Counter) String() string {
	var parts []string
	for name, n := range c.byStore {
		parts = append(parts, name+":"+strconv.Itoa(n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// Reset forgets the counts.
func (c *Counter) Reset() { clear(c.byStore) }

// Wrap returns ctx with its stores counting the iterators opened on them
// (forward and reverse), in branches made from it too, and the counter.
func Wrap(ctx sdk.Context) (sdk.Context, *Counter) {
	c := &Counter{byStore: map[string]int{}}
	return ctx.WithMultiStore(multiStore{MultiStore: ctx.MultiStore(), c: c}), c
}

// multiStore counts the iterators of the stores it hands out, and of its
// branches' (a branch is a MultiStore too, with Write: cacheMultiStore).
type multiStore struct {
	storetypes.MultiStore
	c *Counter
}

func (m multiStore) GetKVStore(key storetypes.StoreKey) storetypes.KVStore {
	return kvStore{KVStore: m.MultiStore.GetKVStore(key), c: m.c, name: key.Name()}
}

func (m multiStore) GetStore(key storetypes.StoreKey) storetypes.Store {
	return m.GetKVStore(key)
}

func (m multiStore) CacheMultiStore() storetypes.CacheMultiStore {
	branch := m.MultiStore.CacheMultiStore()
	return cacheMultiStore{multiStore: multiStore{MultiStore: branch, c: m.c}, write: branch.Write}
}

type cacheMultiStore struct {
	multiStore
	write func()
}

func (m cacheMultiStore) Write() { m.write() }

type kvStore struct {
	storetypes.KVStore
	c    *Counter
	name string
}

func (s kvStore) Iterator(start, end []byte) storetypes.Iterator {
	s.c.byStore[s.name]++
	return s.KVStore.Iterator(start, end)
}

func (s kvStore) ReverseIterator(start, end []byte) storetypes.Iterator {
	s.c.byStore[s.name]++
	return s.KVStore.ReverseIterator(start, end)
}

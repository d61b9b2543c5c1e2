// Package storeiter counts the iterators code opens on a context's stores,
// and the keys it reads and writes.
//
// An iterator inside a transaction is not a cheap read: the SDK's cache
// store (cachekv) sorts, for every iterator, the writes not yet sorted of
// the branch below it, which in FinalizeBlock is the block's branch holding
// every write the block has made so far to that store; and the IAVL store
// under it opens a LevelDB iterator over all its tables. A message handler
// that opens one costs a scan of the block's writes: quadratic in the
// block. Tests use Wrap to hold a handler to point reads, and Reads and
// Writes to hold it to the reads and writes it needs.
package storeiter

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Counter holds the number of iterators opened, by store name, and the keys
// read (Get, Has) and written (Set, Delete), by store name, in call order.
type Counter struct {
	byStore       map[string]int
	reads, writes map[string][][]byte
	steps         int
}

// Steps is the number of entries the iterators walked past (their Next
// calls) on every store: what a query's work over a collection is, whatever
// it returns.
func (c *Counter) Steps() int { return c.steps }

// Reads is the number of reads of store's keys that start with prefix.
func (c *Counter) Reads(store string, prefix []byte) int { return countPrefix(c.reads[store], prefix) }

// Writes is the number of writes (deletes included) of store's keys that
// start with prefix.
func (c *Counter) Writes(store string, prefix []byte) int {
	return countPrefix(c.writes[store], prefix)
}

func countPrefix(keys [][]byte, prefix []byte) int {
	n := 0
	for _, k := range keys {
		if bytes.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

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
func (c *Counter) Reset() {
	clear(c.byStore)
	clear(c.reads)
	clear(c.writes)
	c.steps = 0
}

// Wrap returns ctx with its stores counting the iterators opened on them
// (forward and reverse), in branches made from it too, and the counter.
func Wrap(ctx sdk.Context) (sdk.Context, *Counter) {
	c := &Counter{byStore: map[string]int{}, reads: map[string][][]byte{}, writes: map[string][][]byte{}}
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
	return stepIterator{Iterator: s.KVStore.Iterator(start, end), c: s.c}
}

func (s kvStore) ReverseIterator(start, end []byte) storetypes.Iterator {
	s.c.byStore[s.name]++
	return stepIterator{Iterator: s.KVStore.ReverseIterator(start, end), c: s.c}
}

// stepIterator counts its Next calls in c.steps.
type stepIterator struct {
	storetypes.Iterator
	c *Counter
}

func (it stepIterator) Next() {
	it.c.steps++
	it.Iterator.Next()
}

func (s kvStore) Get(key []byte) []byte {
	s.c.reads[s.name] = append(s.c.reads[s.name], bytes.Clone(key))
	return s.KVStore.Get(key)
}

func (s kvStore) Has(key []byte) bool {
	s.c.reads[s.name] = append(s.c.reads[s.name], bytes.Clone(key))
	return s.KVStore.Has(key)
}

func (s kvStore) Set(key, value []byte) {
	s.c.writes[s.name] = append(s.c.writes[s.name], bytes.Clone(key))
	s.KVStore.Set(key, value)
}

func (s kvStore) Delete(key []byte) {
	s.c.writes[s.name] = append(s.c.writes[s.name], bytes.Clone(key))
	s.KVStore.Delete(key)
}

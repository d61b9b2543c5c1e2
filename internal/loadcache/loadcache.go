// Package loadcache keeps values loaded by key in memory for the off-chain
// agents: least recently used out first past a count or a byte budget, one
// shared load per key.
package loadcache

import (
	"context"
	"math"
	"sync"
)

// Cache keeps values loaded by key in memory, the least recently used out
// first past MaxEntries or past Budget bytes (a value alone over the budget
// is returned but not kept), and shares a load under way among the requests
// that ask for its key meanwhile: jobexec's parsed models and checked
// dataset versions, the provider's Merkle trees.
type Cache[K comparable, V any] struct {
	MaxEntries int
	Budget     int64 // 0: no byte bound

	mu      sync.Mutex
	held    int64
	entries map[K]cached[V]
	order   []K // least recently used first
	loading map[K]*load[V]
}

type cached[V any] struct {
	v     V
	bytes int64
}

type load[V any] struct {
	done chan struct{}
	v    V
	err  error
	// abandoned is a load that failed with its caller's context ended: its
	// failure is that caller's, not its key's, and the callers waiting on
	// it load again under their own contexts.
	abandoned bool
}

// Get returns k's value if it is in memory.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if ok {
		c.touch(k)
	}
	return e.v, ok
}

// touch moves k to the most recently used end; c.mu is held.
func (c *Cache[K, V]) touch(k K) {
	for i, o := range c.order {
		if o == k {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	c.order = append(c.order, k)
}

// Load returns k's value from memory, from a load under way (or ctx's error
// if ctx ends first), or by running fn once for every caller waiting on it
// and keeping what it returns with its size in bytes. fn runs under ctx, the
// context of the caller that started the load: when it fails with ctx ended
// (that caller cancelled, its deadline passed), the callers waiting on it
// do not get that failure but load again, each under its own context
// (TestCancelledLoadIsNotHandedToWaiters).
func (c *Cache[K, V]) Load(ctx context.Context, k K, fn func() (V, int64, error)) (V, error) {
	for {
		v, again, err := c.load(ctx, k, fn)
		if !again {
			return v, err
		}
	}
}

// load is one try of Load: again when it waited on a load that its own
// caller abandoned.
func (c *Cache[K, V]) load(ctx context.Context, k K, fn func() (V, int64, error)) (V, bool, error) {
	var zero V
	c.mu.Lock()
	if e, ok := c.entries[k]; ok {
		c.touch(k)
		c.mu.Unlock()
		return e.v, false, nil
	}
	if l, ok := c.loading[k]; ok {
		c.mu.Unlock()
		select {
		case <-l.done:
			if l.abandoned && ctx.Err() == nil {
				return zero, true, nil
			}
			return l.v, false, l.err
		case <-ctx.Done():
			return zero, false, ctx.Err()
		}
	}
	l := &load[V]{done: make(chan struct{})}
	if c.loading == nil {
		c.loading = map[K]*load[V]{}
	}
	c.loading[k] = l
	c.mu.Unlock()

	var size int64
	l.v, size, l.err = fn()
	c.mu.Lock()
	delete(c.loading, k)
	if l.err == nil {
		c.keep(k, cached[V]{v: l.v, bytes: size})
	} else {
		l.abandoned = ctx.Err() != nil
	}
	c.mu.Unlock()
	close(l.done)
	return l.v, false, l.err
}

// Put keeps v (of size bytes) under k, as a load would.
func (c *Cache[K, V]) Put(k K, v V, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keep(k, cached[V]{v: v, bytes: bytes})
}

// Remove drops k from memory.
func (c *Cache[K, V]) Remove(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		return
	}
	c.held -= e.bytes
	delete(c.entries, k)
	for i, o := range c.order {
		if o == k {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
}

// keep adds e under k and evicts past the bounds; c.mu is held.
func (c *Cache[K, V]) keep(k K, e cached[V]) {
	budget := c.Budget
	if budget <= 0 {
		budget = math.MaxInt64
	}
	if e.bytes > budget {
		return
	}
	if c.entries == nil {
		c.entries = map[K]cached[V]{}
	}
	c.held -= c.entries[k].bytes
	c.entries[k] = e
	c.held += e.bytes
	c.touch(k)
	for len(c.order) > c.MaxEntries || c.held > budget {
		old := c.order[0]
		c.held -= c.entries[old].bytes
		delete(c.entries, old)
		c.order = c.order[1:]
	}
}

// Usage returns the values held and their bytes.
func (c *Cache[K, V]) Usage() (n int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.held
}

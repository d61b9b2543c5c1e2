package jobexec

import (
	"context"
	"math"
	"sync"
)

// loadCache keeps values loaded by key in memory, the least recently used
// out first past maxEntries or past budget bytes (a value alone over the
// budget is returned but not kept), and shares a load under way among the
// requests that ask for its key meanwhile. The resolver's parsed models and
// checked dataset versions are two of them.
type loadCache[K comparable, V any] struct {
	maxEntries int
	budget     int64 // 0: no byte bound

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
}

// get returns k's value if it is in memory.
func (c *loadCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if ok {
		c.touch(k)
	}
	return e.v, ok
}

// touch moves k to the most recently used end; c.mu is held.
func (c *loadCache[K, V]) touch(k K) {
	for i, o := range c.order {
		if o == k {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	c.order = append(c.order, k)
}

// load returns k's value from memory, from a load under way (or ctx's error
// if ctx ends first), or by running fn once for every caller waiting on it
// and keeping what it returns with its size in bytes.
func (c *loadCache[K, V]) load(ctx context.Context, k K, fn func() (V, int64, error)) (V, error) {
	c.mu.Lock()
	if e, ok := c.entries[k]; ok {
		c.touch(k)
		c.mu.Unlock()
		return e.v, nil
	}
	if l, ok := c.loading[k]; ok {
		c.mu.Unlock()
		select {
		case <-l.done:
			return l.v, l.err
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
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
	}
	c.mu.Unlock()
	close(l.done)
	return l.v, l.err
}

// keep adds e under k and evicts past the bounds; c.mu is held.
func (c *loadCache[K, V]) keep(k K, e cached[V]) {
	budget := c.budget
	if budget <= 0 {
		budget = math.MaxInt64
	}
	if e.bytes > budget {
		return
	}
	if c.entries == nil {
		c.entries = map[K]cached[V]{}
	}
	c.entries[k] = e
	c.held += e.bytes
	c.touch(k)
	for len(c.order) > c.maxEntries || c.held > budget {
		old := c.order[0]
		c.held -= c.entries[old].bytes
		delete(c.entries, old)
		c.order = c.order[1:]
	}
}

// usage returns the values held and their bytes.
func (c *loadCache[K, V]) usage() (n int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.held
}

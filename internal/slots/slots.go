// Package slots counts work in flight, in all and per key (an account, a
// signer), for the agents' servers: a transfer, a download or a response
// takes a slot while it holds a connection, a file or memory, and one key
// must not take every slot from the others. The provider agent's chunk and
// weights routes and the dataset server's downloads share it.
package slots

import (
	"context"
	"sync"
	"time"
)

// Counter is the slots taken, in all and by key, and the requests waiting
// for one. The zero value is ready to use.
type Counter struct {
	mu      sync.Mutex
	total   int
	byKey   map[string]int
	waiters int
	waiting map[string]int
	// freed is closed, and replaced, whenever a slot is freed (nil until
	// someone waits).
	freed chan struct{}
}

// take takes a slot for key within the bounds; c.mu is held.
func (c *Counter) take(key string, limit, perKey int) bool {
	if c.total >= limit || c.byKey[key] >= perKey {
		return false
	}
	if c.byKey == nil {
		c.byKey = map[string]int{}
	}
	c.total++
	c.byKey[key]++
	return true
}

// TryTake takes a slot for key if fewer than limit are taken in all and
// fewer than perKey by key, or reports that none is free.
func (c *Counter) TryTake(key string, limit, perKey int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.take(key, limit, perKey)
}

// Wait bounds the requests that wait for a slot: at most All in all and
// PerKey for one key; past them a request is refused at once.
type Wait struct {
	All, PerKey int
}

// Take takes a slot for key as TryTake does, or, when none is free and the
// waiters' bounds allow, waits up to wait for one (0: not at all) until ctx
// ends.
func (c *Counter) Take(ctx context.Context, key string, limit, perKey int, wait time.Duration, w Wait) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.take(key, limit, perKey) {
		return true
	}
	if wait <= 0 || c.waiters >= w.All || c.waiting[key] >= w.PerKey {
		return false
	}
	if c.waiting == nil {
		c.waiting = map[string]int{}
	}
	c.waiters++
	c.waiting[key]++
	defer func() {
		c.waiters--
		if c.waiting[key]--; c.waiting[key] <= 0 {
			delete(c.waiting, key)
		}
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		if c.freed == nil {
			c.freed = make(chan struct{})
		}
		freed := c.freed
		c.mu.Unlock()
		select {
		case <-freed:
		case <-timer.C:
			c.mu.Lock()
			return false
		case <-ctx.Done():
			c.mu.Lock()
			return false
		}
		c.mu.Lock()
		if c.take(key, limit, perKey) {
			return true
		}
	}
}

// Release frees a slot of key, waking the requests waiting for one.
func (c *Counter) Release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total--
	if c.byKey[key]--; c.byKey[key] <= 0 {
		delete(c.byKey, key)
	}
	if c.freed != nil {
		close(c.freed)
		c.freed = nil
	}
}

// InFlight is the number of slots taken.
func (c *Counter) InFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

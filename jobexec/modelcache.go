package jobexec

import (
	"context"
	"sync"

	"github.com/aichain/aichain/workload"
)

// DefaultModelMemoryBytes is the parsed weights a resolver keeps in memory
// when ResolverConfig.ModelMemoryBytes is 0: two files of the parsers'
// default 1 GiB limit.
const DefaultModelMemoryBytes = 2 << 30

// modelsInMemory bounds the parsed models a resolver keeps in memory, however
// small: the models of the jobs an agent sizes, runs and verifies at once.
const modelsInMemory = 16

// modelKey names a parsed weights file: its sha256, the architecture it was
// parsed as and, for gpt-f32, the on-chain config it was parsed with. Model
// ids that register the same file with the same config share one entry, so
// a file registered under many ids is held once (the ids' own records are
// checked against it on every use: weightsParser.fits).
type modelKey struct {
	arch string
	sha  string
	gpt  workload.GPTConfig
}

// modelEntry is a parsed model and what it costs in memory (the size of its
// file: float32 tensors parse to as many bytes).
type modelEntry struct {
	model any
	bytes int64
}

// modelCache is the resolver's parsed models in memory, least recently used
// out first past a byte budget or modelsInMemory entries, and the loads
// under way: concurrent requests for a file not in memory share one load.
type modelCache struct {
	mu      sync.Mutex
	budget  int64
	held    int64
	entries map[modelKey]modelEntry
	order   []modelKey // least recently used first
	loading map[modelKey]*modelLoad
}

type modelLoad struct {
	done  chan struct{}
	model any
	err   error
}

// touch moves k to the most recently used end; c.mu is held.
func (c *modelCache) touch(k modelKey) {
	for i, o := range c.order {
		if o == k {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	c.order = append(c.order, k)
}

// load returns k's model from memory, from a load under way, or by running
// fn (once for all callers waiting on it), keeping what it returns unless
// it alone exceeds the budget (then it is parsed again at its next use).
func (c *modelCache) load(ctx context.Context, k modelKey, fn func() (any, int64, error)) (any, error) {
	c.mu.Lock()
	if e, ok := c.entries[k]; ok {
		c.touch(k)
		c.mu.Unlock()
		return e.model, nil
	}
	if l, ok := c.loading[k]; ok {
		c.mu.Unlock()
		select {
		case <-l.done:
			return l.model, l.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l := &modelLoad{done: make(chan struct{})}
	if c.loading == nil {
		c.loading = map[modelKey]*modelLoad{}
	}
	c.loading[k] = l
	c.mu.Unlock()

	var size int64
	l.model, size, l.err = fn()
	c.mu.Lock()
	delete(c.loading, k)
	if l.err == nil {
		c.keep(k, modelEntry{model: l.model, bytes: size})
	}
	c.mu.Unlock()
	close(l.done)
	return l.model, l.err
}

// keep adds e under k and evicts the least recently used entries past the
// bounds; c.mu is held.
func (c *modelCache) keep(k modelKey, e modelEntry) {
	if e.bytes > c.budget {
		return
	}
	if c.entries == nil {
		c.entries = map[modelKey]modelEntry{}
	}
	c.entries[k] = e
	c.held += e.bytes
	c.touch(k)
	for len(c.order) > modelsInMemory || c.held > c.budget {
		old := c.order[0]
		c.held -= c.entries[old].bytes
		delete(c.entries, old)
		c.order = c.order[1:]
	}
}

// usage returns the models held and their bytes.
func (c *modelCache) usage() (n int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.held
}

package jobexec

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultCacheBytes bounds the disk cache of fetched models and datasets
// when ResolverConfig.CacheBytes is 0: 32 GiB, 32 of the largest weights
// files a provider parses.
const DefaultCacheBytes int64 = 32 << 30

// cacheKinds are the disk cache's subfolders.
var cacheKinds = []string{"models", "datasets"}

// diskCache keeps the files a resolver fetched within a byte budget, least
// recently used out first. Every job a provider considers brings its model
// and dataset, so without a bound a requester posting jobs over many large
// models filled the agent's disk (TestAttackManyModelsFillTheDisk). The
// files a provider keeps (KeepModels, PinModel: the weights of the jobs it
// has bid on and holds, which it may serve the validators) are never
// evicted; when they fill the budget a new file is not written at all (it
// is used from memory; ErrCacheFull says why), so the disk holds at most
// the budget. The order is kept in memory; after a restart the files'
// modification times (when each was written) start it.
type diskCache struct {
	dir    string
	budget int64

	mu      sync.Mutex
	scanned bool
	files   map[string]diskFile // by path relative to dir
	total   int64
	kept    map[string]bool // never evicted (KeepModels, PinModel)
	held    map[string]int  // not evicted while held (PrefetchDataset until its load)
}

type diskFile struct {
	size    int64
	used    time.Time
	writing bool // reserved, not yet in place: never evicted
}

// ErrCacheFull is a file not written to the disk cache: the files the
// provider keeps (KeepModels, PinModel) already fill its budget.
var ErrCacheFull = errors.New("the disk cache is full of files in use")

func newDiskCache(dir string, budget int64) *diskCache {
	if budget <= 0 {
		budget = DefaultCacheBytes
	}
	return &diskCache{dir: dir, budget: budget, files: map[string]diskFile{}, kept: map[string]bool{}}
}

// scanLocked learns the files already on disk (once) and removes the
// temporary files of writes a stop interrupted.
func (c *diskCache) scanLocked() {
	if c.scanned {
		return
	}
	c.scanned = true
	for _, kind := range cacheKinds {
		entries, err := os.ReadDir(filepath.Join(c.dir, kind))
		if err != nil {
			continue
		}
		for _, e := range entries {
			rel := filepath.Join(kind, e.Name())
			if strings.HasPrefix(e.Name(), ".tmp-") {
				_ = os.Remove(filepath.Join(c.dir, rel))
				continue
			}
			info, err := e.Info()
			if err != nil || !info.Mode().IsRegular() {
				continue
			}
			c.files[rel] = diskFile{size: info.Size(), used: info.ModTime()}
			c.total += info.Size()
		}
	}
}

// keep replaces the files of kind (a cacheKinds folder) never evicted with
// rels (paths relative to the cache, in that folder); the other kind's stay.
func (c *diskCache) keep(kind string, rels []string) {
	c.mu.Lock()
	for r := range c.kept {
		if inKind(r, kind) {
			delete(c.kept, r)
		}
	}
	for _, r := range rels {
		c.kept[r] = true
	}
	c.mu.Unlock()
}

// inKind reports whether rel is in the cache's kind folder.
func inKind(rel, kind string) bool {
	return strings.HasPrefix(rel, kind+string(filepath.Separator))
}

// keepIfPresent adds the file at rel to the files never evicted if the
// cache holds it and, for weights, the kept weights with it take at most
// half the budget, and reports whether it did. The other half stays for the datasets of the
// jobs the provider wins (PrefetchDataset): the weights of every job it
// bids on are kept (PinModel), and a requester posting jobs on large
// models, a bid window's worth, filled the whole budget with them, every
// won job's download then finding no room
// (TestAttackPinnedWeightsLeaveNoRoomForWonDatasets).
func (c *diskCache) keepIfPresent(rel string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.hasLocked(rel) {
		return false
	}
	if c.kept[rel] {
		return true
	}
	if inKind(rel, "models") {
		kept := c.files[rel].size
		for r := range c.kept {
			if inKind(r, "models") {
				kept += c.files[r].size
			}
		}
		if kept > c.budget/2 {
			return false
		}
	}
	c.kept[rel] = true
	return true
}

// touch records a use of the file at rel (a read from the cache). The use
// is kept in memory only: changing the file's modification time would
// make OpenCachedWeights hash it again at every request (its check is
// remembered by size and modification time).
func (c *diskCache) touch(rel string, size int64) {
	c.mu.Lock()
	c.scanLocked()
	if f, ok := c.files[rel]; ok {
		c.total -= f.size
	}
	c.files[rel] = diskFile{size: size, used: time.Now()}
	c.total += size
	c.mu.Unlock()
}

// touchIfPresent records a use of the file at rel if the cache holds it,
// and reports whether it does.
func (c *diskCache) touchIfPresent(rel string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.touchIfPresentLocked(rel)
}

func (c *diskCache) touchIfPresentLocked(rel string) bool {
	if !c.hasLocked(rel) {
		return false
	}
	f := c.files[rel]
	f.used = time.Now()
	c.files[rel] = f
	return true
}

// hasLocked reports whether the file at rel is in the cache, written.
func (c *diskCache) hasLocked(rel string) bool {
	c.scanLocked()
	f, ok := c.files[rel]
	return ok && !f.writing
}

// errWriting is a file another writer is writing at the path reserved.
var errWriting = errors.New("the file is being written to the disk cache")

// reserve makes room for a file of size at rel, evicting the least
// recently used files not in use, and counts it as being written (written
// or dropped says how that ended); ErrCacheFull when there is no room,
// errWriting when another writer has it reserved: one writer at a time, or
// the second's ending would count or drop the first's file (a load's store
// during a prefetch left the file on disk uncounted, never evicted:
// TestAttackLoadStoreDuringPrefetchUntracksTheFile).
func (c *diskCache) reserve(rel string, size int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scanLocked()
	if f, ok := c.files[rel]; ok { // rewritten: its old size goes
		if f.writing {
			return errWriting
		}
		c.total -= f.size
		delete(c.files, rel)
	}
	if c.total+size > c.budget && !c.evictLocked(c.total+size-c.budget) {
		return ErrCacheFull
	}
	c.files[rel] = diskFile{size: size, used: time.Now(), writing: true}
	c.total += size
	return nil
}

// evictLocked removes the least recently used files not in use until need
// bytes are free; false, removing nothing, when they cannot be.
func (c *diskCache) evictLocked(need int64) bool {
	type old struct {
		rel string
		diskFile
	}
	var evictable []old
	for r, f := range c.files {
		if !c.takenLocked(r, f) {
			evictable = append(evictable, old{r, f})
		}
	}
	sort.Slice(evictable, func(i, j int) bool { return evictable[i].used.Before(evictable[j].used) })
	var free int64
	n := 0
	for ; n < len(evictable) && free < need; n++ {
		free += evictable[n].size
	}
	if free < need {
		return false
	}
	for _, e := range evictable[:n] {
		if err := os.Remove(filepath.Join(c.dir, e.rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false // still there, still counted: no room after all
		}
		delete(c.files, e.rel)
		c.total -= e.size
	}
	return true
}

// written marks the file reserved at rel as in place.
func (c *diskCache) written(rel string) {
	c.mu.Lock()
	if f, ok := c.files[rel]; ok {
		f.writing = false
		c.files[rel] = f
	}
	c.mu.Unlock()
}

// grow adds extra bytes to the room reserved for the file being written
// at rel, evicting as reserve does; ErrCacheFull when there is no room, or
// the reservation is gone.
func (c *diskCache) grow(rel string, extra int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.files[rel]
	if !ok || !f.writing {
		return ErrCacheFull
	}
	if c.total+extra > c.budget && !c.evictLocked(c.total+extra-c.budget) {
		return ErrCacheFull
	}
	f.size += extra
	c.files[rel] = f
	c.total += extra
	return nil
}

// writtenHeld marks the file reserved at rel as in place with its size
// (its reservation, grown ahead of the bytes, was more), and holds it
// (holdIfPresent).
func (c *diskCache) writtenHeld(rel string, size int64) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.files[rel]; ok {
		c.total += size - f.size
		f.size, f.writing = size, false
		c.files[rel] = f
	}
	return c.holdLocked(rel)
}

// holdIfPresent keeps the file at rel from eviction, if the cache holds
// it, until the returned release is called (nil: not present).
func (c *diskCache) holdIfPresent(rel string) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.touchIfPresentLocked(rel) {
		return nil
	}
	return c.holdLocked(rel)
}

func (c *diskCache) holdLocked(rel string) func() {
	if c.held == nil {
		c.held = map[string]int{}
	}
	c.held[rel]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.held[rel]--; c.held[rel] <= 0 {
				delete(c.held, rel)
			}
		})
	}
}

// dropped forgets a file not written after all, or found not to be what
// its name says.
func (c *diskCache) dropped(rel string) {
	c.mu.Lock()
	if f, ok := c.files[rel]; ok {
		c.total -= f.size
		delete(c.files, rel)
	}
	c.mu.Unlock()
}

// room is the bytes of the budget that no kept, held or reserved file
// takes: what a new file may have, evicting the others.
func (c *diskCache) room() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scanLocked()
	taken := int64(0)
	for r, f := range c.files {
		if c.takenLocked(r, f) {
			taken += f.size
		}
	}
	return max(c.budget-taken, 0)
}

// counted reports whether the file at rel is kept, held or being written:
// taken from the room (room).
func (c *diskCache) counted(rel string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.files[rel]
	return ok && c.takenLocked(rel, f)
}

// takenLocked reports whether the file f at rel may not be evicted: being
// written, kept or held.
func (c *diskCache) takenLocked(rel string, f diskFile) bool {
	return f.writing || c.kept[rel] || c.held[rel] > 0
}

// usage is the bytes the cache holds and its budget.
func (c *diskCache) usage() (int64, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scanLocked()
	return c.total, c.budget
}

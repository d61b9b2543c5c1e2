package jobexec

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aichain/aichain/dataserver"
)

// fileStamp is what tells a cached file apart from the one checked before:
// its size and modification time.
type fileStamp struct {
	size  int64
	mtime time.Time
}

// checkedFiles remembers which cache files were hashed and found to match
// their name, so that a file served many times is hashed once.
type checkedFiles struct {
	hash sync.Mutex // one hash at a time: a burst of first requests reads the file once
	mu   sync.Mutex
	ok   map[string]fileStamp
}

// WeightsPace is the floor on a weights transfer the provider agent sends
// its validators: the pace of a sidecar's fetch at half the default
// average rate (FetchPolicy.BodyTime), so one whose operator lowered
// --download-avg-rate that far is still served to the end. A server's own
// WriteTimeout (the provider's chunk server's 60 s) cut every longer
// transfer, where the sidecar's policy gives a 1 GiB file 6.3 minutes
// (TestAttackWeightsTransferCutByTheChunkServersWriteTimeout); a reader
// slower than the pace is dropped, so that one holding a transfer slot
// takes the file at that rate at the least.
//
// Its Grace, the time a reader may hold a transfer before it must keep
// the rate, is WeightsGrace: what a transfer's start (a connection, its
// TLS, the first bytes) takes an honest reader with room to spare. It was
// the fetch policy's whole Timeout, 2 minutes: with the pace kept per
// validator (dataserver.PaceBook), a grace is what a validator may hold a
// slot for without reading while others wait, and four hostile validators
// holding all 8 of a provider's slots for 2 minutes held them through a
// job's unavailable span (20 blocks).
func WeightsPace() dataserver.Pace {
	return dataserver.Pace{Grace: WeightsGrace, Rate: FetchDefaults().AvgRate / 2}
}

// WeightsGrace is the Grace of WeightsPace.
const WeightsGrace = 10 * time.Second

// WeightsPaceMemory is how long a weights server's PaceBook keeps a
// reader's account after its last transfer: longer than a job's
// verification window (50 blocks by default).
const WeightsPaceMemory = 10 * time.Minute

// WeightsSendTime is the longest a weights transfer of n bytes is sent for
// at WeightsPace.
func WeightsSendTime(n int64) time.Duration { return WeightsPace().End(n) }

// OpenCachedWeights opens a model's weights file in the disk cache, checked
// against its sha256 (os.ErrNotExist when it is not there or does not
// match): what a provider serves the validators as their mirror. The file
// is streamed, never read whole, and hashed once per size and modification
// time, not once per request: a validator's requests for weights of up to
// MaxWeightsBytes cost the agent a file handle each, not a copy in memory
// and a hash (TestAttackWeightsRequestsHoldWholeCopies). The caller closes
// the file.
func (r *ChainResolver) OpenCachedWeights(sha string) (*os.File, error) {
	sha = strings.ToLower(sha)
	if _, err := hex.DecodeString(sha); err != nil || len(sha) != 64 || r.cfg.CacheDir == "" {
		return nil, os.ErrNotExist // not a sha256: never a path
	}
	path := filepath.Join(r.cfg.CacheDir, weightsRel(sha))
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	ok, err := r.checked.matches(f, path, sha)
	if err != nil || !ok {
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		return nil, os.ErrNotExist
	}
	if st, err := f.Stat(); err == nil && r.disk != nil {
		r.disk.touch(weightsRel(sha), st.Size()) // served: in use
	}
	return f, nil
}

// matches reports whether f (opened at path) hashes to sha, from memory when
// the file is unchanged since it was last hashed; f is left at offset 0.
func (c *checkedFiles) matches(f *os.File, path, sha string) (bool, error) {
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	stamp := fileStamp{size: st.Size(), mtime: st.ModTime()}
	c.mu.Lock()
	known, ok := c.ok[path]
	c.mu.Unlock()
	if ok && known == stamp {
		return true, nil
	}
	c.hash.Lock()
	defer c.hash.Unlock()
	c.mu.Lock()
	known, ok = c.ok[path]
	c.mu.Unlock()
	if ok && known == stamp {
		return true, nil // hashed by the request this one waited for
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return false, err
	}
	if hex.EncodeToString(h.Sum(nil)) != sha {
		return false, nil
	}
	c.mu.Lock()
	if c.ok == nil {
		c.ok = map[string]fileStamp{}
	}
	c.ok[path] = stamp
	c.mu.Unlock()
	return true, nil
}

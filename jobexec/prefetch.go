package jobexec

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"time"

	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// ErrNoDiskCache is a dataset not prefetched because the resolver keeps no
// files on disk (no CacheDir): its load downloads it into memory.
var ErrNoDiskCache = errors.New("the resolver has no disk cache")

// prefetchStep is how far ahead of the bytes received a prefetch reserves
// room in the disk cache: a download holds room for what its server has
// sent, not for what the chain says the file holds, so that servers that
// trickle cannot fill the cache with the room of files they never send.
const prefetchStep = 16 << 20

// DatasetNeed is a dataset version a held job will load, and its file's
// expected bytes.
type DatasetNeed struct {
	DatasetRef
	Bytes uint64
}

// DatasetRoom is the disk cache's room left for the datasets of the jobs a
// provider wins once needs have theirs: its budget less the files it
// keeps (the held jobs' weights and executed datasets), holds (prefetched,
// not yet loaded) and is writing, and less each distinct need's bytes
// unless its file is among those; false without a disk cache. A provider
// does not bid on a job whose dataset would leave it negative: the dataset
// is loaded only from disk, and it would wait for room until its inputs
// failed (TestWonDatasetLargerThanTheRoomIsNotBidOn). A need whose record
// the node does not answer for counts in full.
func (r *ChainResolver) DatasetRoom(ctx context.Context, needs []DatasetNeed) (int64, bool) {
	if r.disk == nil {
		return 0, false
	}
	room := r.disk.room()
	seen := map[DatasetRef]bool{}
	for _, n := range needs {
		if seen[n.DatasetRef] {
			continue
		}
		seen[n.DatasetRef] = true
		if sha, err := r.datasetSha(ctx, datasetKey{n.ID, n.Version}); err == nil && r.disk.counted(datasetRel(sha)) {
			continue
		}
		room -= toInt64(n.Bytes)
	}
	return room, true
}

// writingPoll is how often a prefetch looks again for a file a load is
// storing.
const writingPoll = 20 * time.Millisecond

// PrefetchDataset downloads a version of a dataset (0: the current one)
// into the disk cache, checked against its on-chain sha256, and reads
// nothing of it into memory: a later DatasetFile (Dataset, Prompts) reads
// it from disk. A provider prefetches a won job's dataset before the job
// takes one of its few fetch slots, which hold the inputs in memory, so
// that a server that answers its probe and then trickles the rows holds a
// goroutine and a connection, never a slot: one attacker listing a dataset
// per slot (a listing costs only gas) no longer keeps an honest job's
// inputs from loading (TestAttackFetchSlotsHeldByOneDatasetPerSlot).
// The file is held in the cache, never evicted, until the returned release
// is called (after that load): a server that sent the file whole to the
// prefetch and trickles a second request could otherwise have the file
// evicted by other downloads and the load download it in its slot
// (TestAttackHeldPrefetchIsNotEvictedBeforeItsLoad). Concurrent prefetches
// of one file download it once. A failure is remembered as the load's
// download would remember it; a file the cache has no room for
// (ErrCacheFull) or a resolver without a disk cache (ErrNoDiskCache)
// leaves the download to the load.
func (r *ChainResolver) PrefetchDataset(ctx context.Context, datasetID, version uint64) (release func(), err error) {
	if r.disk == nil {
		return nil, ErrNoDiskCache
	}
	rec, err := r.DatasetRecord(ctx, datasetID, version)
	if err != nil {
		return nil, err
	}
	sha := strings.ToLower(rec.Sha256)
	if _, err := hex.DecodeString(sha); err != nil || len(sha) != 64 { // it names a file
		return nil, fmt.Errorf("dataset %d version %d: sha256 %q is not 64 hex digits", rec.Id, rec.Version, rec.Sha256)
	}
	rel := datasetRel(sha)
	for {
		if release := r.disk.holdIfPresent(rel); release != nil {
			return release, nil
		}
		done, mine := r.prefetch.start(rel)
		if mine {
			release, err := r.prefetchTo(ctx, rec, rel)
			r.prefetch.end(rel)
			if !errors.Is(err, errWriting) {
				return release, err
			}
			// A load is storing the same file: it is on disk once stored.
			t := time.NewTimer(writingPoll)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			}
		}
		select { // another prefetch of the same file: then it is on disk, or this one tries (a remembered failure fails at once)
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// prefetchTo downloads rec's file to rel in the disk cache through a
// temporary file, reserving room as the bytes arrive, and holds it.
func (r *ChainResolver) prefetchTo(ctx context.Context, rec datamarkettypes.Dataset, rel string) (func(), error) {
	if err := r.disk.reserve(rel, 0); err != nil {
		return nil, err
	}
	path := filepath.Join(r.cfg.CacheDir, rel)
	w := &reservingWriter{grow: func(n int64) error { return r.disk.grow(rel, n) }, most: DatasetFileBytes(rec)}
	err := writeFileAtomic(filepath.Dir(path), path, func(f io.Writer) error {
		w.w = f
		return r.downloadTo(ctx, rec, w)
	})
	if err != nil {
		r.disk.dropped(rel)
		return nil, err
	}
	return r.disk.writtenHeld(rel, w.n), nil
}

// ErrLocalWrite is a download that failed writing on this host (its disk
// or disk cache full), not at its server.
var ErrLocalWrite = errors.New("the download could not be written on this host")

// localWriter passes writes to w and keeps w's error.
type localWriter struct {
	w   io.Writer
	err error
}

func (l *localWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if err != nil {
		l.err = err
	}
	return n, err
}

// DatasetHeaderBytes is the header a dataset file is expected to have
// beside its values: numpy writes 128 bytes for a 2-d array; the parser
// takes up to workload.MaxNPYPrefixBytes, and a larger one grows a
// prefetch's reservation as it arrives.
const DatasetHeaderBytes = 128

// DatasetFileBytes is the size a dataset version's file is expected to
// have: its rows·cols 4-byte values and DatasetHeaderBytes; 1 GiB for a
// record without a shape.
func DatasetFileBytes(rec datamarkettypes.Dataset) int64 {
	if rec.Rows == 0 || rec.Cols == 0 {
		return 1 << 30
	}
	return toInt64(valuesBytes(rec.Rows, rec.Cols)) + DatasetHeaderBytes
}

// toInt64 is n, at most math.MaxInt64 less a header's bytes.
func toInt64(n uint64) int64 {
	return int64(min(n, math.MaxInt64-DatasetHeaderBytes))
}

// reservingWriter writes to w, growing its reservation in the disk cache
// (grow) by prefetchStep ahead of the bytes written, but not past the
// file's expected size (most) until the bytes do.
type reservingWriter struct {
	w             io.Writer
	grow          func(n int64) error
	n, room, most int64
}

func (w *reservingWriter) Write(p []byte) (int, error) {
	if need := w.n + int64(len(p)); need > w.room {
		extra := max(need-w.room, min(prefetchStep, w.most-w.room))
		if err := w.grow(extra); err != nil {
			return 0, err
		}
		w.room += extra
	}
	n, err := w.w.Write(p)
	w.n += int64(n)
	return n, err
}

// inFlight is the downloads under way, by key, each with a channel closed
// when it ends. Its zero value is empty.
type inFlight struct {
	mu   sync.Mutex
	runs map[string]chan struct{}
}

// start returns the channel of key's download under way (mine false), or
// registers the caller's (mine true), which it must end.
func (f *inFlight) start(key string) (done <-chan struct{}, mine bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.runs[key]; ok {
		return ch, false
	}
	if f.runs == nil {
		f.runs = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	f.runs[key] = ch
	return ch, true
}

// end ends key's download.
func (f *inFlight) end(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.runs[key])
	delete(f.runs, key)
}

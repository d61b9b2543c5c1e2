package dataserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// indexed is one file of the index: where it is, and what it was when
// hashed (a file that changed since is not served until re-indexed).
type indexed struct {
	path  string
	size  int64
	mtime time.Time
	sha   string
}

// index maps the sha256 of every .npy file under a folder to the file, and
// the path of every file indexed (the folder's and the explicitly mapped
// ones) to what it was when hashed. It is built at start and on Reload
// (SIGHUP), never on a request. An owner's dataset is served from the
// folder's files only (lookup), an explicitly mapped id from its own file
// only (mapped): a file of one source never serves a dataset of the other
// (TestAttackExplicitDatasetServesAnUnmappedFile).
type index struct {
	mu sync.RWMutex
	// bySha holds the folder's files alone.
	bySha map[string]indexed
	// byPath holds every file of the last build, so that a reload hashes
	// only new or changed files.
	byPath map[string]indexed
}

// ctxReader is a reader that fails with its context's error once the
// context ends, checked before every read.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// hashFile returns the lower-case hex sha256 of a file, read in a stream
// that stops when ctx ends.
func hashFile(ctx context.Context, path string) (indexed, error) {
	f, err := os.Open(path)
	if err != nil {
		return indexed{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return indexed{}, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return indexed{}, fmt.Errorf("%s: %w", path, err)
	}
	return indexed{path: path, size: st.Size(), mtime: st.ModTime(), sha: hex.EncodeToString(h.Sum(nil))}, nil
}

// build indexes dir (when not empty) and the extra files; it replaces the
// index only when every file could be read. It stops with ctx's error when
// ctx ends, checked between files and during each file's hashing
// (TestAttackLoadStopsWhenCancelled).
func (x *index) build(ctx context.Context, dir string, extra []string) (int, error) {
	x.mu.RLock()
	prev := x.byPath
	x.mu.RUnlock()
	byPath := map[string]indexed{}
	var inDir []string
	add := func(path string, info fs.FileInfo) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if e, ok := prev[path]; ok && e.size == info.Size() && e.mtime.Equal(info.ModTime()) {
			byPath[path] = e
			return nil
		}
		e, err := hashFile(ctx, path)
		if err != nil {
			return err
		}
		byPath[path] = e
		return nil
	}
	if dir != "" {
		err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() || !strings.HasSuffix(de.Name(), ".npy") {
				return err
			}
			info, err := de.Info()
			if err != nil {
				return err
			}
			inDir = append(inDir, path)
			return add(path, info)
		})
		if err != nil {
			return 0, fmt.Errorf("index %s: %w", dir, err)
		}
	}
	for _, path := range extra {
		info, err := os.Stat(path)
		if err != nil {
			return 0, err
		}
		if err := add(path, info); err != nil {
			return 0, err
		}
	}
	bySha := make(map[string]indexed, len(inDir))
	for _, path := range inDir {
		e := byPath[path]
		if old, dup := bySha[e.sha]; !dup || e.path < old.path {
			bySha[e.sha] = e
		}
	}
	x.mu.Lock()
	x.bySha, x.byPath = bySha, byPath
	x.mu.Unlock()
	return len(byPath), nil
}

// lookup returns the folder's file with this sha256.
func (x *index) lookup(sha string) (indexed, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.bySha[strings.ToLower(sha)]
	return e, ok
}

// mapped returns the file indexed at path if it has this sha256.
func (x *index) mapped(path, sha string) (indexed, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.byPath[path]
	if !ok || !strings.EqualFold(e.sha, sha) {
		return indexed{}, false
	}
	return e, true
}

// open opens an indexed file and checks that it has not changed since it
// was hashed (size and modification time).
func (e indexed) open() (*os.File, error) {
	f, err := os.Open(e.path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && (st.Size() != e.size || !st.ModTime().Equal(e.mtime)) {
		err = fmt.Errorf("%w: %s changed since it was indexed", errFileChanged, e.path)
	}
	if err != nil {
		return nil, errorsJoinClose(err, f)
	}
	return f, nil
}

func errorsJoinClose(err error, c io.Closer) error {
	if cerr := c.Close(); cerr != nil {
		return fmt.Errorf("%w (close: %v)", err, cerr)
	}
	return err
}

// shas returns the sha256 of every file indexed (the folder's and the
// explicitly mapped ones).
func (x *index) shas() map[string]bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make(map[string]bool, len(x.byPath))
	for _, e := range x.byPath {
		out[e.sha] = true
	}
	return out
}

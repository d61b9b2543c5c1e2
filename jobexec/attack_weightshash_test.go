package jobexec

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
)

// TestAttackEveryWeightsRequestHashesTheFileAgain: hostile bonded
// validator. OpenCachedWeights hashes a weights file once per (size,
// modification time) so that repeated GET /v1/models/{sha256} cost a file
// handle, not a hash of up to MaxWeightsBytes
// (provider.TestAttackWeightsRequestsHoldWholeCopies). The disk cache now
// records each serve as a use by setting the file's modification time
// (touch → os.Chtimes), which changes the stamp the check was remembered
// under: every request hashes the whole file again, one at a time under
// checkedFiles.hash, so one validator re-reading a 1 GiB file keeps the
// agent's disk and a core busy and queues the honest validators' requests
// behind its hashes (and every sizing from memory, touchIfPresent, does the
// same). Correct: a file served is hashed once while its contents do not
// change: the use recorded apart from the stamp, or the stamp updated with
// the touch. Now a use is recorded in memory only (the files' modification
// times say when each was written). Here the hash lock is held: a second
// request that needs no hash is served at once.
func TestAttackEveryWeightsRequestHashesTheFileAgain(t *testing.T) {
	cache := t.TempDir()
	file := bytes.Repeat([]byte("weights!"), 1<<16)
	sha := workload.SHA256Hex(file)
	if err := os.MkdirAll(filepath.Join(cache, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "models", sha+".safetensors"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	r := NewChainResolver(ResolverConfig{CacheDir: cache})
	f, err := r.OpenCachedWeights(sha) // the first request: hashed
	if err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	r.checked.hash.Lock() // a hash in progress: a request that must hash waits
	done := make(chan error, 1)
	go func() {
		f, err := r.OpenCachedWeights(sha)
		if err == nil {
			_ = f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		r.checked.hash.Unlock()
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		r.checked.hash.Unlock()
		<-done
		t.Fatal("the second request for an unchanged weights file hashes it again: the first serve's touch changed its modification time, the stamp its check was remembered under")
	}
}

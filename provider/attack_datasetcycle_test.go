package provider

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/aichain/aichain/testutil/procio"
)

// TestAttackValidatorCyclesFiveDatasetVersionsToReloadEach: the fix of
// TestAttackValidatorRequestsReloadTheDataset keeps dataset versions in
// memory by (id, version), at most datasetsInMemory (4), least recently
// used out first. A provider holding mlp jobs on one more version than that
// (five jobs under verification: an ordinary load for a busy provider, or
// a dataset owner publishing versions) is back where it was: one validator
// asking for one chunk of each job in turn misses the cache at every
// request, and each signed request reads the whole dataset file (up to
// 1 GiB), hashes it and rebuilds its Merkle tree, while the honest
// validators' chunk requests wait on the same disk and CPU.
func TestAttackValidatorCyclesFiveDatasetVersionsToReloadEach(t *testing.T) {
	const rows, cols, perChunk, versions = 16384, 16, 1024, 5 // 1 MiB each
	_, size, s := servedVersions(t, rows, cols, perChunk, versions)

	const n = 20
	before := procio.ReadBytes(t)
	for i := 0; i < n; i++ {
		job := 11 + i%versions
		status, body := s.get(t, s.validator, s.url, "/v1/jobs/"+strconv.Itoa(job)+"/chunks/0")
		if status != http.StatusOK {
			t.Fatalf("job %d: status %d %s", job, status, body)
		}
	}
	read := procio.ReadBytes(t) - before
	if read > 2*versions*int64(size) {
		t.Fatalf("%d validator chunk requests over %d held jobs' dataset versions read %.1f dataset files (%d MiB): "+
			"every request reloaded its version (memory keeps %d); each version should be read about once",
			n, versions, float64(read)/float64(size), read>>20, 4)
	}
}

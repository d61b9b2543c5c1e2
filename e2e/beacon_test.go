package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSamplingFromBeacon (issue 15 item 1): on a 4-validator localnet made
// by testnet init-files, every node holds a beacon key (config/
// beacon_key.json, mode 0600) registered in genesis, its vote extensions
// carry its shares, and a submitted result is drawn from the validators'
// beacons of the two heights after its submission, not from a header hash
// that one proposer could grind: the job records the source and heights.
func TestSamplingFromBeacon(t *testing.T) {
	c := sampledFourValidatorChain(t, "alice", "provider")
	for _, n := range c.Nodes {
		fi, err := os.Stat(filepath.Join(n.Home, "config", "beacon_key.json"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: beacon key file: %v (mode %v)", n.Name, err, fi.Mode())
		}
	}
	c.Start()
	if w := computeParamInt(t, c, "beacon_window_blocks"); w != 3 {
		t.Fatalf("beacon_window_blocks %d, want the default 3", w)
	}
	dir := t.TempDir()
	prov := c.StartProvider(t, dir, "provider", c.Nodes[0].SparePort(1), "1000uaic")
	id := c.createGemmJob(t, 1)
	j := c.waitJobState(t, id, 180*time.Second, "JOB_STATE_VERIFYING", "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	j = c.computeJobCLI(t, id)
	if j.Sample.SeedSource != "SEED_SOURCE_BEACON" || len(j.Sample.BeaconHeights) != 2 {
		t.Fatalf("job %s drawn from %q (heights %v), want the beacon of two heights\nprovider:\n%s\nnode0:\n%s",
			id, j.Sample.SeedSource, j.Sample.BeaconHeights, prov.LogTail(10), c.Nodes[0].LogTail(30))
	}
	h1, _ := strconv.ParseInt(j.Sample.BeaconHeights[0], 10, 64)
	h2, _ := strconv.ParseInt(j.Sample.BeaconHeights[1], 10, 64)
	decide, _ := strconv.ParseInt(j.Sample.DecideHeight, 10, 64)
	if h2 != h1+1 || decide != h2+3 || !j.Sample.Selected || len(j.Sample.Indices) == 0 {
		t.Fatalf("sample %+v: want heights s+1, s+2 drawn at s+2+W", j.Sample)
	}
	if strings.Contains(c.Nodes[0].LogTail(200), "beacon share does not verify") {
		t.Fatalf("an honest node's beacon share failed verification:\n%s", c.Nodes[0].LogTail(40))
	}
}

// sampledFourValidatorChain is a 4-validator network (not started), in the
// four-validator lane, whose every job is sampled (4 chunks) and checked
// within 12 blocks, with keys funded.
func sampledFourValidatorChain(t *testing.T, keys ...string) *Chain {
	fourValidatorLane(t) // in parallel with the one-validator tests, one four-validator network at a time
	c := NewChain(t, 4, keys...)
	c.SetComputeParams(map[string]any{
		"sample_rate_floor_bps": 10000, // every job is sampled
		"samples_per_job":       4,
		"verification_blocks":   "12",
		"challenge_blocks":      "6",
	})
	return c
}

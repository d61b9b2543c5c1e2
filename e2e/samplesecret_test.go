package e2e

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRequesterRevealsSampleSecretLocalnet: a requester protects its job's
// draw from a validator withholding beacon shares, through the CLI as the
// README shows it: make-sample-secret, create-job --sample-commitment, and,
// once the real provider agent's result is in and the draw's beacons are
// final, reveal-sample-secret. The draw then runs in the block after the
// reveal, mixed with the secret (x/compute's
// TestAttackColludingValidatorWithholdsShareToSkipSampling has the attack).
func TestRequesterRevealsSampleSecretLocalnet(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice", "provider")
	c.SetComputeParams(map[string]any{
		"sample_rate_floor_bps": 10000, // every job is sampled
		"samples_per_job":       4,
		"verification_blocks":   "12",
		"challenge_blocks":      "6",
	})
	c.Start()
	prov := c.StartProvider(t, t.TempDir(), "provider", c.Nodes[0].SparePort(1), "1000uaic")
	made := strings.Fields(c.CLI("tx", "compute", "make-sample-secret"))
	if len(made) != 2 || len(made[0]) != 64 || len(made[1]) != 64 {
		t.Fatalf("make-sample-secret printed %q, want a commitment and a secret in hex", made)
	}
	commitment, secret := made[0], made[1]
	id := c.createGemmJob(t, 11, "--sample-commitment", commitment)
	c.waitJobState(t, id, 180*time.Second, "JOB_STATE_SUBMITTED")
	j := c.computeJobCLI(t, id)
	from, _ := strconv.ParseInt(j.Sample.RevealFrom, 10, 64)
	decide, _ := strconv.ParseInt(j.Sample.DecideHeight, 10, 64)
	if from == 0 || decide != from+20 {
		t.Fatalf("the submitted job waits for its secret from height %d until %d, want a window of 20 blocks\nprovider:\n%s",
			from, decide, prov.LogTail(10))
	}
	c.WaitHeight(from, 60*time.Second)
	res := c.Tx("compute", "reveal-sample-secret", id, secret, "--from", "alice")
	okTx(t, "reveal-sample-secret", res)
	c.waitJobState(t, id, 60*time.Second, "JOB_STATE_VERIFYING", "JOB_STATE_SETTLED", "JOB_STATE_FAILED")
	j = c.computeJobCLI(t, id)
	want, _ := hex.DecodeString(secret)
	got, _ := base64.StdEncoding.DecodeString(j.Sample.Secret)
	drawn, _ := strconv.ParseInt(j.Sample.DecideHeight, 10, 64)
	at, _ := strconv.ParseInt(res.Height, 10, 64)
	if string(got) != string(want) || drawn != at+1 || !j.Sample.Selected {
		t.Fatalf("revealed in block %d: the job keeps secret %x (want %s), drawn at %d (want the next block), selected %t",
			at, got, secret, drawn, j.Sample.Selected)
	}
}

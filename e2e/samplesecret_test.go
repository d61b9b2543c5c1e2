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
// The result left unsampled (a floor of 0), the requester disputes it with a
// fresh commitment (dispute-result --sample-commitment) and reveals that
// secret once the dispute's beacons are final; the dispute's draw runs in the
// next block, mixed with it
// (TestAttackColludingValidatorWithholdsShareToSkipDisputedChunk).
func TestRequesterRevealsSampleSecretLocalnet(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice", "provider")
	c.SetComputeParams(map[string]any{
		"sample_rate_floor_bps": 0, // the result's draw leaves it unsampled, for the dispute
		"samples_per_job":       4,
		"verification_blocks":   "12",
		"challenge_blocks":      "40",
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
	at := c.revealSecret(t, id, secret, from)
	j = c.computeJobCLI(t, id)
	if j.State != "JOB_STATE_SUBMITTED" || j.Sample.Selected {
		t.Fatalf("at a sampling floor of 0 the result's draw left job %s in %s (selected %t), want SUBMITTED in its challenge window",
			id, j.State, j.Sample.Selected)
	}
	checkDrawn(t, "the result's", j.Sample.Secret, secret, j.Sample.DecideHeight, at)

	made = strings.Fields(c.CLI("tx", "compute", "make-sample-secret"))
	disputeSecret := made[1]
	okTx(t, "dispute-result", c.Tx("compute", "dispute-result", id, "--sample-commitment", made[0], "--from", "alice"))
	j = c.computeJobCLI(t, id)
	from, _ = strconv.ParseInt(j.Sample.RevealFrom, 10, 64)
	decide, _ = strconv.ParseInt(j.Sample.DecideHeight, 10, 64)
	if from == 0 || decide != from+20 || !strings.EqualFold(hexOf(t, j.Sample.DisputeCommitment), made[0]) {
		t.Fatalf("the disputed job waits for the dispute's secret from height %d until %d with commitment %s, want a window of 20 blocks and %s",
			from, decide, hexOf(t, j.Sample.DisputeCommitment), made[0])
	}
	at = c.revealSecret(t, id, disputeSecret, from)
	c.waitJobState(t, id, 60*time.Second, "JOB_STATE_VERIFYING", "JOB_STATE_SETTLED", "JOB_STATE_FAILED")
	j = c.computeJobCLI(t, id)
	if !j.Sample.Selected || len(j.Sample.Indices) == 0 {
		t.Fatalf("the dispute's draw: selected %t, indices %v", j.Sample.Selected, j.Sample.Indices)
	}
	checkDrawn(t, "the dispute's", j.Sample.DisputeSecret, disputeSecret, j.Sample.DecideHeight, at)
}

// revealSecret sends reveal-sample-secret for job id from height from, and
// waits for the draw it moves to the next block; it returns the reveal's
// height.
func (c *Chain) revealSecret(t *testing.T, id, secret string, from int64) int64 {
	t.Helper()
	c.WaitHeight(from, 60*time.Second)
	res := c.Tx("compute", "reveal-sample-secret", id, secret, "--from", "alice")
	okTx(t, "reveal-sample-secret", res)
	at, _ := strconv.ParseInt(res.Height, 10, 64)
	c.WaitHeight(at+2, 30*time.Second)
	return at
}

// checkDrawn asserts that a draw kept the revealed secret (base64 as the
// CLI prints it, against the hex make-sample-secret printed) and ran in the
// block after the reveal, at.
func checkDrawn(t *testing.T, what, kept, secret, decideHeight string, at int64) {
	t.Helper()
	got, _ := base64.StdEncoding.DecodeString(kept)
	drawn, _ := strconv.ParseInt(decideHeight, 10, 64)
	if hex.EncodeToString(got) != secret || drawn != at+1 {
		t.Fatalf("%s secret revealed in block %d: the job keeps %x (want %s), drawn at %d (want the next block)", what, at, got, secret, drawn)
	}
}

// hexOf is the hex of the base64 bytes the CLI prints.
func hexOf(t *testing.T, b64 string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("%q: %v", b64, err)
	}
	return hex.EncodeToString(b)
}

package provider

import (
	"context"
	"testing"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackCancelledJobFailsEveryCommitBatch: a commitment is the one
// message of the agent's that someone else's tx can make fail between its
// simulation and its block: its job's requester cancels the job (MsgCancelJob,
// allowed through the commit phase), and a tx fails whole. A hostile
// requester posts one cheap, attractive job a block, which the agent bids on
// in the batch of that step, and has its cancel of that job land in the next
// block ahead of the batch (it broadcasts at the block, the agent after a
// step's queries). Each of the agent's commit txs fails in its block; the
// refused commitment of the job cancelled before is bisected out of the
// resent batch at its simulation, but the attacker's new job is in it
// again, beside the honest requester's commitment, block after block. The
// honest job's auction passes without the agent's bid (the attacker's own
// provider wins it alone), and every failed tx costs the agent its fee.
// Commitments now share a tx only with commitments on the same requester's
// jobs: a requester's cancel fails its own jobs' commitments alone.
func TestAttackCancelledJobFailsEveryCommitBatch(t *testing.T) {
	n := newAuditNode(t)
	a := n.agent(t)
	honest := gemmJob(1, 64, 40) // aic1alice's
	honest.State, honest.CommitEnd, honest.RevealEnd = computetypes.JobState_JOB_STATE_OPEN, 110, 115
	n.setJob(honest)

	ctx := context.Background()
	var codes map[string]uint32
	failed := 0
	for h := int64(101); h <= 104; h++ {
		// The attacker's job of this block: its commit end the soonest the
		// agent bids on, so that it sorts ahead of the honest job.
		bait := gemmJob(uint64(200+h), 64, 40)
		bait.Requester, bait.State, bait.CommitEnd, bait.RevealEnd = "aic1mallory", computetypes.JobState_JOB_STATE_OPEN, h+2, h+7
		n.setJob(bait)
		if err := a.step(ctx, chainclient.Block{Height: h, Txs: codes}); err != nil {
			t.Logf("height %d: %v", h, err)
		}
		n.cancelJob(bait.Id) // in block h+1, ahead of the agent's txs
		codes = n.landBlock()
		for _, code := range codes {
			if code != 0 {
				failed++
			}
		}
	}
	n.mu.Lock()
	_, landed := n.commits[honest.Id]
	n.mu.Unlock()
	if !landed {
		commits, _ := n.sentFor(honest.Id)
		t.Fatalf("the honest job's commitment never landed in blocks 102-105 (its commit phase ends at %d): it was sent %d times, "+
			"each in a tx beside the commitment on a job its requester cancelled ahead of it; %d of the agent's txs failed in their block",
			honest.CommitEnd, commits, failed)
	}
}

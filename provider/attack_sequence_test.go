package provider

import (
	"context"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// The agent is restarted (SIGTERM, then start) while the last tx its previous
// process sent is still in the node's mempool, as it is whenever the restart
// is quicker than a block or blocks are full. The new client reads the
// account's sequence from the node (AccountInfo: the last block's state),
// one behind the sequence the mempool's check state expects; Simulate then
// fails with "account sequence mismatch", which chainclient reports as
// ErrSimulation and sendBatch takes for a refusal of the messages
// themselves. Nothing resyncs the sequence (only a tx timing out does, and
// no tx leaves any more), so even after the earlier tx is in a block every
// simulation fails: the commitment of a bid the agent decided on is thrown
// away, and the reveal of a bid already committed never leaves — its deposit
// is forfeited, and so is every later reveal and result. Now a refused
// simulation while the sequence is only the last block's is checked: the
// same messages simulate at the sequence the node expects, chainclient
// answers ErrWrongSequence naming it, and sendBatch re-syncs and sends
// again (chainclient/sequence.go, batch.go).
func TestAttackStaleSequenceAfterRestartWedgesEverySend(t *testing.T) {
	n := newAuditNode(t)
	n.pending(1) // the previous process's last tx, not yet in a block
	a := n.agent(t)

	// Job 1: committed before the restart, in its reveal phase until 110.
	price := sdk.NewInt64Coin("uaic", 1000)
	salt := []byte(strings.Repeat("s", 32))
	n.setJob(computetypes.Job{Id: 1, Requester: "aic1alice", State: computetypes.JobState_JOB_STATE_REVEAL, CommitEnd: 100, RevealEnd: 110,
		MaxPrice: sdk.NewInt64Coin("uaic", 5000)})
	n.commits[1] = computetypes.BidCommit{JobId: 1, Provider: a.me, Commitment: computetypes.BidCommitment(1, a.me, price, salt)}
	a.recs[1] = &Record{ID: 1, Requester: "aic1alice", Phase: PhaseCommitted, Price: price.String(), Salt: salt, CommitEnd: 100, RevealEnd: 110, ExecBlocks: 40}
	// Job 2: a new open job the agent bids on after the restart.
	open := gemmJob(2, 64, 40)
	open.State, open.CommitEnd, open.RevealEnd = computetypes.JobState_JOB_STATE_OPEN, 108, 112
	n.setJob(open)

	ctx := context.Background()
	for h := int64(102); h <= 110; h++ {
		if h == 103 {
			n.land() // the earlier tx is in block 103
		}
		if err := a.step(ctx, chainclient.Block{Height: h}); err != nil {
			t.Logf("height %d: %v", h, err)
		}
	}
	_, reveals := n.sentFor(1)
	commits, _ := n.sentFor(2)
	if reveals == 0 || commits == 0 {
		n.mu.Lock()
		last := ""
		if k := len(n.simErrs); k > 0 {
			last = n.simErrs[k-1]
		}
		simFails := len(n.simErrs)
		n.mu.Unlock()
		_, skipped := a.skip[2]
		t.Fatalf("through the whole reveal window the agent sent %d reveals of job 1 (its deposit is forfeited) and %d commitments "+
			"of job 2 (forgotten: %v, skipped: %v); %d simulations failed, the last: %s",
			reveals, commits, a.recs[2] == nil, skipped, simFails, last)
	}
}

package provider

import (
	"context"
	"errors"
	"testing"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// restartNode is the agent's node restarting (or evicting the account's
// txs from its mempool): CometBFT's mempool is in memory only, so the txs
// the agent sent and the node accepted are gone, and the check state's
// sequence is the last block's again.
func (n *auditNode) restartNode() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mempool = nil
	n.check = n.committed
}

// The mirror of TestAttackStaleSequenceAfterRestartWedgesEverySend: not the
// agent but its node restarts (or drops the account's txs from its
// mempool) after a tx the agent sent was accepted. The client's sequence is
// now one AHEAD of the node's, and it is "sure" (seqSure: set by the
// accepted CheckTx), so simulateChecked never probes: every simulation is
// refused for its sequence and reported as ErrSimulation, which sendBatch
// takes for the chain refusing the messages. commitRefused then finds no
// commitment on chain and forgets the bid and skips the job. Only
// TxTimeoutBlocks (8) later does confirm re-read the account; every bid the
// agent decided on in between is thrown away — the commit message's "never
// a refusal of the messages" does not hold. Now a refusal at a sure
// sequence is checked too (chainclient/sequence.go): the account is re-read
// and the messages simulate at the last block's sequence, which the client
// takes, and job 2's commitment leaves in the first block after the restart.
func TestAttackNodeRestartMakesEverySendARefusalOfItsMessages(t *testing.T) {
	n := newAuditNode(t)
	a := n.agent(t)
	ctx := context.Background()

	first := gemmJob(1, 64, 40)
	first.State, first.CommitEnd, first.RevealEnd = computetypes.JobState_JOB_STATE_OPEN, 105, 112
	n.setJob(first)
	if err := a.step(ctx, chainclient.Block{Height: 101}); err != nil {
		t.Logf("height 101: %v", err)
	}
	if c, _ := n.sentFor(1); c != 1 {
		t.Fatalf("setup: %d commitments of job 1 reached the node, want 1", c)
	}

	n.restartNode() // the node restarts; its mempool (job 1's commitment) is gone

	second := gemmJob(2, 64, 40)
	second.State, second.CommitEnd, second.RevealEnd = computetypes.JobState_JOB_STATE_OPEN, 108, 114
	n.setJob(second)
	for h := int64(102); h <= 108; h++ {
		if err := a.step(ctx, chainclient.Block{Height: h}); err != nil {
			t.Logf("height %d: %v", h, err)
		}
		if c, _ := n.sentFor(2); h == 102 && c == 0 {
			t.Errorf("job 2's commitment did not leave in the first block after the node restarted")
		}
		n.land()
	}
	if c, _ := n.sentFor(2); c == 0 {
		refused := n.refusals()
		last := ""
		if len(refused) > 0 {
			last = refused[len(refused)-1]
		}
		_, skipped := a.skip[2]
		t.Fatalf("after the node dropped its mempool, job 2's commitment never reached it through its whole commit window "+
			"(record forgotten: %v, job skipped: %v); %d simulations were refused, the last: %s",
			a.recs[2] == nil, skipped, len(refused), last)
	}
}

// The other side of checking a refusal at a sure sequence: the node kept
// its mempool (the client's tx waits in it) and the messages are what it
// refuses. The probe finds no other sequence, so the client keeps the sure
// one — the next messages go at it, not at the last block's sequence the
// probe read — and the same messages are not probed again.
func TestAttackRefusalAtASureSequenceKeepsIt(t *testing.T) {
	n := newAuditNode(t)
	c := n.client(t)
	me := c.Address().String()
	ctx := context.Background()
	if _, err := c.Send(ctx, 0, commitMsg(me, 1)); err != nil { // sequence 0, in the mempool; 1 is sure
		t.Fatal(err)
	}
	n.commits[5] = computetypes.BidCommit{JobId: 5, Provider: me}
	for i := 0; i < 2; i++ {
		if _, err := c.Simulate(ctx, commitMsg(me, 5)); !errors.Is(err, chainclient.ErrSimulation) || errors.Is(err, chainclient.ErrWrongSequence) {
			t.Fatalf("a commitment the chain refuses, sure sequence: %v, want ErrSimulation", err)
		}
	}
	refused := len(n.refusals())
	if refused > 2+15 {
		t.Fatalf("the same refused message cost %d simulations: probed more than once", refused)
	}
	s, err := c.Send(ctx, 0, commitMsg(me, 2))
	if err != nil || s.Sequence != 1 {
		t.Fatalf("send after a refusal at the sure sequence 1: sequence %d, %v", s.Sequence, err)
	}
	if again := len(n.refusals()) - refused; again != 0 {
		t.Fatalf("the send after it was refused %d times: the client left the sure sequence for the last block's", again)
	}
}

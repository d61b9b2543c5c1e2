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
// now one AHEAD of the node's, and it was "sure" (set by the accepted
// CheckTx), so the client never probed: every simulation was refused for
// its sequence and reported as ErrSimulation, which sendBatch takes for the
// chain refusing the messages. commitRefused then finds no commitment on
// chain and forgets the bid and skips the job. Only TxTimeoutBlocks (8)
// later does confirm re-read the account; every bid the agent decided on
// in between was thrown away. Now an accepted tx proves nothing about the
// next sequence: a refusal after it is checked with the canary
// (chainclient/sequence.go), which the node refuses at the client's
// sequence and takes at the last block's; the client holds that one, and
// job 2's commitment leaves in the first block after the restart.
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

// The other side of checking a refusal after an accepted tx: the node
// kept its mempool (the client's tx waits in it) and the messages are what
// it refuses. The canary simulates at the client's sequence, so the
// refusal is the messages' (ErrSimulation), the client keeps its sequence —
// the next messages go at it, not at the last block's — and the sequence
// is checked once: the second refusal costs one simulation. (The rule this
// test was written for, "a probe that finds nothing keeps a sure
// sequence", is gone: the canary never leaves the client's sequence when
// it is right.)
func TestAttackRefusalAtASureSequenceKeepsIt(t *testing.T) {
	n := newAuditNode(t)
	c := n.client(t)
	me := c.Address().String()
	ctx := context.Background()
	if _, err := c.Send(ctx, 0, commitMsg(me, 1)); err != nil { // sequence 0, in the mempool; the node expects 1
		t.Fatal(err)
	}
	n.commits[5] = computetypes.BidCommit{JobId: 5, Provider: me}
	before := n.simulations()
	for i := 0; i < 2; i++ {
		if _, err := c.Simulate(ctx, commitMsg(me, 5)); !errors.Is(err, chainclient.ErrSimulation) || errors.Is(err, chainclient.ErrWrongSequence) {
			t.Fatalf("a commitment the chain refuses, right sequence: %v, want ErrSimulation", err)
		}
	}
	if sims := n.simulations() - before; sims > 2+1 {
		t.Fatalf("the same refused message twice cost %d simulations: the sequence was checked more than once", sims)
	}
	refused := len(n.refusals())
	s, err := c.Send(ctx, 0, commitMsg(me, 2))
	if err != nil || s.Sequence != 1 {
		t.Fatalf("send after a refusal at the right sequence 1: sequence %d, %v", s.Sequence, err)
	}
	if again := len(n.refusals()) - refused; again != 0 {
		t.Fatalf("the send after it was refused %d times: the client left its sequence for the last block's", again)
	}
}

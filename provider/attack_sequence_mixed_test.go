package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// mixedSend sends one batch of commitments for ids through sendAll and
// returns the ids it handed to refused and to sent.
func mixedSend(t *testing.T, a *Agent, ids ...uint64) (refused, sent []uint64) {
	t.Helper()
	var items []item
	for _, id := range ids {
		items = append(items, item{id: id, msg: commitMsg(a.me, id)})
	}
	err := a.sendAll(context.Background(), "commit", items,
		func(its []item, _ chainclient.Sent) {
			for _, it := range its {
				sent = append(sent, it.id)
			}
		},
		func(it item, _ error) { refused = append(refused, it.id) })
	if err != nil {
		t.Fatalf("sendAll: %v", err)
	}
	sort.Slice(refused, func(i, j int) bool { return refused[i] < refused[j] })
	sort.Slice(sent, func(i, j int) bool { return sent[i] < sent[j] })
	return refused, sent
}

// The probed-messages memory (chainclient/sequence.go: rememberProbed)
// recorded every message of a batch whose probe found no sequence as
// "refused", though the probe only said the batch as a whole is refused:
// one message the chain refuses (a requester cancels a job the agent just
// bid on; here another commitment of this provider on job 2) made every
// other message of the batch fail the probe too. While the client's
// sequence was not the node's (the agent restarted with its last tx in the
// mempool), the bisection's halves were then simulated at the wrong
// sequence, refused, found "probed before" and reported as ErrSimulation
// without any probe: the good commitments were handed to refused, which
// forgets their bids and skips their jobs. Now the sequence is checked
// apart from the messages, with a canary that only a wrong sequence makes
// the node refuse: the client finds and holds the node's sequence, and the
// bisection refuses job 2's commitment alone.
func TestAttackMixedBatchBehindTheMempoolRefusesGoodMessages(t *testing.T) {
	n := newAuditNode(t)
	n.pending(1) // the previous process's last tx, not yet in a block
	a := n.agent(t)
	n.commits[2] = computetypes.BidCommit{JobId: 2, Provider: a.me, Commitment: []byte{1}} // job 2's commitment is refused

	refused, sent := mixedSend(t, a, 1, 2, 3, 4)
	if fmt.Sprint(refused) != "[2]" || fmt.Sprint(sent) != "[1 3 4]" {
		t.Fatalf("a batch of 4 commitments, only job 2's refused by the chain, sent one tx behind the mempool: "+
			"refused %v, sent %v; want only [2] refused — good commitments were taken for refusals of their messages", refused, sent)
	}
}

// The same after the node restarted (or evicted the agent's txs): the
// client's sequence was sure and one ahead of the node's. The probe of the
// mixed batch found nothing, the sure (wrong) sequence was kept, the
// batch's messages were remembered as refused, and the good ones among
// them were refused without a probe. The canary finds the last block's
// sequence instead.
func TestAttackMixedBatchAfterNodeRestartRefusesGoodMessages(t *testing.T) {
	n := newAuditNode(t)
	a := n.agent(t)
	if refused, sent := mixedSend(t, a, 10); len(sent) != 1 || len(refused) != 0 {
		t.Fatalf("setup: refused %v, sent %v", refused, sent)
	}
	n.restartNode() // the accepted tx is gone; the client's sure sequence 1 is one ahead
	n.commits[2] = computetypes.BidCommit{JobId: 2, Provider: a.me, Commitment: []byte{1}}

	refused, sent := mixedSend(t, a, 1, 2, 3, 4)
	if fmt.Sprint(refused) != "[2]" || fmt.Sprint(sent) != "[1 3 4]" {
		t.Fatalf("after the node dropped its mempool, a batch with one refused commitment (job 2): refused %v, sent %v; "+
			"want only [2] refused", refused, sent)
	}
}

// The operator sends a tx from the same key while the agent runs: the
// node expects one more than the client holds. A mixed batch was then
// handled as above (the good commitments refused); the canary finds the
// sequence after the operator's tx.
func TestAttackOperatorTxMeanwhileRefusesGoodMessagesOfAMixedBatch(t *testing.T) {
	n := newAuditNode(t)
	a := n.agent(t)
	if refused, sent := mixedSend(t, a, 10); len(sent) != 1 || len(refused) != 0 {
		t.Fatalf("setup: refused %v, sent %v", refused, sent)
	}
	n.pending(1) // the operator's tx, same key
	n.commits[2] = computetypes.BidCommit{JobId: 2, Provider: a.me, Commitment: []byte{1}}

	refused, sent := mixedSend(t, a, 1, 2, 3, 4)
	if fmt.Sprint(refused) != "[2]" || fmt.Sprint(sent) != "[1 3 4]" {
		t.Fatalf("after an operator tx from the same key, a batch with one refused commitment (job 2): refused %v, sent %v; "+
			"want only [2] refused", refused, sent)
	}
}

// A backlog of the account's txs in the mempool that the probe window did
// not reach (maxSequenceProbes = 16 covered sequences committed..committed+15,
// at most 15 txs waiting, not the 16 its comment promised) made the probe
// find nothing, and a refused simulation at an unsure sequence was then
// reported as ErrSimulation: sendBatch took it for the chain refusing the
// messages, and commitRefused forgot the bid and skipped the job — for
// good, not "found once enough of it is in blocks". A restart during
// congestion (full blocks, the agent sending every block) leaves such a
// backlog. Now the canary is tried up to 16 ahead inclusive, and a
// sequence it cannot find is ErrWrongSequence (Found false): sendAll stops
// without refusing anything, and the commitment waits for the next block.
func TestAttackMempoolBacklogMakesGoodMessagesRefused(t *testing.T) {
	for _, backlog := range []int{16, 20} {
		t.Run(fmt.Sprintf("backlog=%d", backlog), func(t *testing.T) {
			n := newAuditNode(t)
			n.pending(backlog)
			a := n.agent(t)
			refused, sent := mixedSend(t, a, 1)
			if len(refused) != 0 {
				t.Fatalf("a commitment the chain accepts, %d txs of the account in the mempool: refused %v, sent %v; "+
					"the unknown sequence was taken for a refusal of the message", backlog, refused, sent)
			}
			if backlog <= 16 && len(sent) != 1 {
				t.Fatalf("a backlog of %d is within the canary's window, but the commitment was not sent", backlog)
			}
			if len(sent) == 0 {
				n.land() // the backlog is in a block: the next block's send finds the sequence
				if refused, sent := mixedSend(t, a, 1); len(refused) != 0 || len(sent) != 1 {
					t.Fatalf("after the backlog landed: refused %v, sent %v; want the commitment sent", refused, sent)
				}
			}
		})
	}
}

// A node whose simulation queue is full answers ResourceExhausted (the
// app's simQueue: 2 open per caller, 64 waiting), as anyone can make it do
// for free. The client took that for the node refusing the messages
// (ErrSimulation), and the agent dropped a good commitment as refused: a
// flood of simulations at its node cost a provider its bids. A busy node
// is an error to retry, like an unavailable one.
func TestAttackSimulationQueueFullDropsGoodBids(t *testing.T) {
	n := newAuditNode(t)
	a := n.agent(t)
	n.busy = 1
	var refused, sent []uint64
	err := a.sendAll(context.Background(), "commit", []item{{id: 1, msg: commitMsg(a.me, 1)}},
		func(its []item, _ chainclient.Sent) { sent = append(sent, its[0].id) },
		func(it item, _ error) { refused = append(refused, it.id) })
	if len(refused) != 0 {
		t.Fatalf("a commitment simulated while the node's simulation queue was full was dropped as refused (%v)", refused)
	}
	if err == nil || errors.Is(err, chainclient.ErrSimulation) || status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("sendAll while the node is busy: %v (sent %v), want the busy answer back to retry", err, sent)
	}
	// Retried once the queue has room, it goes out.
	refused, sent = mixedSend(t, a, 1)
	if len(refused) != 0 || fmt.Sprint(sent) != "[1]" {
		t.Fatalf("retried: refused %v, sent %v", refused, sent)
	}
}

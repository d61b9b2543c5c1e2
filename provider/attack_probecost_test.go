package provider

import (
	"context"
	"testing"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Probing cost. While the client's sequence is only the last block's
// (after every start and every ResyncSequence), each refused simulation was
// followed by up to 15 more at the sequences after it (chainclient probe),
// and sendBatch bisects a refused batch into 2k-1 simulated sub-batches for
// k refused messages: every one of them probed again. A requester who gets
// the agent's messages refused (cancels the jobs it just bid on, say) right
// after a restart or a tx timeout made one block's sends cost 16 × (2k-1)
// simulations on the agent's node, all run inside one pipeline step. Now
// the sequence is checked apart from the messages, with one canary
// simulation that holds until a tx is accepted, the account read, or the
// next sendAll: the bisection and one canary, every simulation counted.
func TestAttackRefusedBatchProbesEverySubBatch(t *testing.T) {
	n := newAuditNode(t)
	a := n.agent(t)
	const k = 32
	var items []item
	for id := uint64(1); id <= k; id++ {
		// Another commitment of this provider is on chain already: the
		// chain refuses the message (ErrBidExists) at every sequence.
		n.commits[id] = computetypes.BidCommit{JobId: id, Provider: a.me, Commitment: []byte{1}}
		items = append(items, item{id: id, msg: &computetypes.MsgCommitBid{Provider: a.me, JobId: id, Commitment: []byte{2}}})
	}
	refused := 0
	err := a.sendAll(context.Background(), "commit", items, func([]item, chainclient.Sent) {}, func(item, error) { refused++ })
	if err != nil {
		t.Fatal(err)
	}
	if refused != k {
		t.Fatalf("setup: %d of %d messages refused", refused, k)
	}
	sims := n.simulations()
	if bisect := 2*k - 1; sims > bisect+1 {
		t.Fatalf("%d refused messages cost %d simulations on the node (bisecting alone needs %d, and one canary checks the sequence)",
			k, sims, bisect)
	}
}

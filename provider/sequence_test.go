package provider

import (
	"context"
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

func commitMsg(provider string, id uint64) sdk.Msg {
	return &computetypes.MsgCommitBid{Provider: provider, JobId: id, Commitment: make([]byte, 32)}
}

// A simulation refused while the client's sequence is only the last
// block's is told apart by what the node accepts, never by its words: the
// canary finds the sequence the node expects, and messages the chain takes
// are ErrWrongSequence naming it (taken by Resync), while messages it
// refuses at that sequence are ErrSimulation. Each case is a fresh client
// behind the mempool: the client holds the sequence the canary found, so a
// second simulation on the same client no longer starts behind.
func TestSimulationRefusalsAreToldApartFromTheSequence(t *testing.T) {
	n := newAuditNode(t)
	n.pending(2)
	refusedBy := n.client(t)
	me := refusedBy.Address().String()
	n.commits[1] = computetypes.BidCommit{JobId: 1, Provider: me}
	ctx := context.Background()

	_, err := refusedBy.Simulate(ctx, commitMsg(me, 1))
	if !errors.Is(err, chainclient.ErrSimulation) || errors.Is(err, chainclient.ErrWrongSequence) {
		t.Fatalf("a commitment the chain refuses, sequence behind: %v, want ErrSimulation", err)
	}
	if _, err := refusedBy.Simulate(ctx, commitMsg(me, 3)); err != nil {
		t.Fatalf("after the refusal, the client holds the sequence the canary found: %v", err)
	}

	c := n.client(t)
	_, err = c.Simulate(ctx, commitMsg(me, 2))
	var se *chainclient.SequenceError
	if !errors.As(err, &se) || !errors.Is(err, chainclient.ErrWrongSequence) || errors.Is(err, chainclient.ErrSimulation) ||
		!se.Found || se.Expected != 2 {
		t.Fatalf("a commitment the chain takes, sequence behind: %v, want ErrWrongSequence expecting 2", err)
	}
	if err := c.Resync(ctx, err); err != nil {
		t.Fatal(err)
	}
	gas, err := c.Simulate(ctx, commitMsg(me, 2))
	if err != nil {
		t.Fatalf("after Resync: %v", err)
	}
	s, err := c.Send(ctx, gas, commitMsg(me, 2))
	if err != nil || s.Sequence != 2 {
		t.Fatalf("send after Resync: sequence %d, %v", s.Sequence, err)
	}
}

// CheckTx's refusal of the sequence (sdk/32, by code) is not the end of a
// send: the client finds the sequence the node expects and sends once more.
func TestSendFindsTheSequenceCheckTxExpects(t *testing.T) {
	n := newAuditNode(t)
	c := n.client(t)
	me := c.Address().String()
	ctx := context.Background()
	if _, err := c.Simulate(ctx, commitMsg(me, 1)); err != nil { // the sequence is read and sure: 0
		t.Fatal(err)
	}
	n.pending(3) // another process of the same key sends meanwhile
	s, err := c.Send(ctx, 200_000, commitMsg(me, 1))
	if err != nil || s.Sequence != 3 {
		t.Fatalf("send behind the mempool: sequence %d, %v; want 3", s.Sequence, err)
	}
	if c, _ := n.sentFor(1); c != 1 {
		t.Fatalf("%d commitments reached the mempool, want 1", c)
	}
}

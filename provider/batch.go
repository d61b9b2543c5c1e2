package provider

import (
	"context"
	"errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
)

// item is one message of a batch, for one job.
type item struct {
	id  uint64
	msg sdk.Msg
	// party is the account whose own tx can make msg fail after its
	// simulation ("" for none): a commitment's requester, who may cancel
	// its job through the commit phase. A tx fails whole, so sendAll puts
	// msg only with messages of the same party
	// (TestAttackCancelledJobFailsEveryCommitBatch).
	party string
}

// sendAll sends items in transactions of at most BatchSize messages of
// one party (item.party; a run of the same party in items), each
// simulated first; a batch the node refuses, or whose fee is over the
// client's limit, is split in halves until the refused messages stand
// alone, and those are handed to refused. sent is
// called with each accepted tx's items. It stops at the first error that is
// not a refusal (the node is unreachable, the context ended). A sequence
// the client cannot align with the node's (send's resyncs spent, or no
// sequence found: a backlog of the account's txs beyond the client's
// window) is no refusal either: sendAll stops there without an error and
// the items not sent wait for the next block
// (TestAttackMempoolBacklogMakesGoodMessagesRefused). The client tells a
// wrong sequence from refused messages with one canary simulation, checked
// again once per sendAll: k refused messages cost their bisection (2k-1
// simulations) and one more (TestAttackRefusedBatchProbesEverySubBatch).
func (a *Agent) sendAll(ctx context.Context, kind string, items []item, sent func([]item, chainclient.Sent), refused func(item, error)) error {
	if len(items) > 0 {
		a.client.RecheckSequence()
	}
	for len(items) > 0 {
		n := 1
		for n < min(len(items), a.cfg.BatchSize) && items[n].party == items[0].party {
			n++
		}
		err := a.sendBatch(ctx, kind, items[:n], sent, refused)
		if errors.Is(err, chainclient.ErrWrongSequence) {
			a.log.Warn("the node's account sequence is not found; the messages wait for the next block",
				"kind", kind, "msgs", len(items), "err", err)
			return nil
		}
		if err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

func (a *Agent) sendBatch(ctx context.Context, kind string, items []item, sent func([]item, chainclient.Sent), refused func(item, error)) error {
	msgs := make([]sdk.Msg, len(items))
	for i, it := range items {
		msgs[i] = it.msg
	}
	s, err := a.send(ctx, kind, msgs)
	// A batch whose fee is over the operator's --max-fee is split like one
	// the node refuses: whole, it would be refused again every block, and
	// its halves cost less (TestAttackBatchOverMaxFeeNeverSent).
	if errors.Is(err, chainclient.ErrSimulation) || errors.Is(err, chainclient.ErrFeeOverLimit) {
		if len(items) == 1 {
			refused(items[0], err)
			return nil
		}
		half := len(items) / 2
		if err := a.sendBatch(ctx, kind, items[:half], sent, refused); err != nil {
			return err
		}
		return a.sendBatch(ctx, kind, items[half:], sent, refused)
	}
	if err != nil {
		return err
	}
	a.metrics.Txs.WithLabelValues(kind).Inc()
	a.metrics.Msgs.WithLabelValues(kind).Add(float64(len(items)))
	a.log.Debug("sent", "kind", kind, "msgs", len(items), "tx", s.Hash, "sequence", s.Sequence, "gas", s.Gas)
	sent(items, s)
	return nil
}

// maxSequenceResyncs bounds how often one batch is sent again after the
// node refused its account sequence; past it sendAll leaves the batch and
// the rest for the next block.
const maxSequenceResyncs = 3

// send simulates msgs and sends them. A refusal of the account's sequence
// (chainclient.ErrWrongSequence: after a restart, the node's mempool holds
// txs of the previous process that the last block does not; a restarted
// node lost the client's txs) re-syncs the client's sequence and sends
// again: it is never taken for the chain refusing the messages, which only
// ErrSimulation is (TestAttackStaleSequenceAfterRestartWedgesEverySend). A
// *chainclient.SequenceError that found no sequence re-reads the account
// (Resync) before the next try.
func (a *Agent) send(ctx context.Context, kind string, msgs []sdk.Msg) (chainclient.Sent, error) {
	for try := 0; ; try++ {
		gas, err := a.client.Simulate(ctx, msgs...)
		var s chainclient.Sent
		if err == nil {
			s, err = a.client.Send(ctx, gas, msgs...)
		}
		if !errors.Is(err, chainclient.ErrWrongSequence) || try == maxSequenceResyncs {
			return s, err
		}
		a.metrics.SequenceResyncs.Inc()
		a.log.Info("the node expects another account sequence; re-synced, sending again", "kind", kind, "err", err)
		if err := a.client.Resync(ctx, err); err != nil {
			return chainclient.Sent{}, err
		}
	}
}

package provider

import (
	"context"
	"sort"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// reveal opens every confirmed commitment whose job is in its reveal phase
// and whose reveal can still land in time, in as few txs as the batch size
// allows. It runs before anything else that sends: a missed reveal forfeits
// the bid's deposit.
func (a *Agent) reveal(ctx context.Context) error {
	h := a.height
	var items []item
	for id, r := range a.recs {
		if r.Phase != PhaseCommitted || r.PendingTx != "" || h+1 > r.RevealEnd {
			continue
		}
		if a.view[id].state != computetypes.JobState_JOB_STATE_REVEAL {
			continue
		}
		price, err := sdk.ParseCoinNormalized(r.Price)
		if err != nil {
			a.log.Error("stored bid price unreadable", "job", id, "price", r.Price, "err", err)
			continue
		}
		items = append(items, item{id: id, msg: &computetypes.MsgRevealBid{Provider: a.me, JobId: id, Price: price, Salt: r.Salt}})
	}
	if len(items) == 0 {
		return nil
	}
	sort.Slice(items, func(i, j int) bool { return a.recs[items[i].id].RevealEnd < a.recs[items[j].id].RevealEnd })
	return a.sendAll(ctx, "reveal", items, a.markSent, a.revealRefused(ctx))
}

// markSent records the tx that carries each item's message.
func (a *Agent) markSent(items []item, s chainclient.Sent) {
	for _, it := range items {
		if r, ok := a.recs[it.id]; ok {
			r.PendingTx, r.SentAt = s.Hash, a.height
			a.touch(r)
		}
	}
}

// resultSent marks the records of results sent in a tx, whose models'
// weights the validators may now ask for (authorizer.addJob).
func (a *Agent) resultSent(items []item, s chainclient.Sent) {
	a.markSent(items, s)
	for _, it := range items {
		if r, ok := a.recs[it.id]; ok {
			a.auth.addJob(r)
		}
	}
}

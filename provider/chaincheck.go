package provider

import (
	"bytes"
	"context"
	"fmt"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Asking the chain before letting go of a bid. A commitment or a reveal can
// be in a block without the agent knowing: SIGTERM arrives while its tx is
// being broadcast (the node took it, Send returned the cancellation, the
// record was saved as not sent), or its tx is found late. A record holds
// the bid's salt, the only way to reveal the commitment; forgetting it
// while the commitment is on chain forfeits the bid's deposit, and
// forgetting a revealed bid forgets a job the chain may award it. So a
// record is never dropped in its commit or reveal window on the node's
// refusal or on a window passing without the agent asking the chain what it
// has (TestAttackCommitLandedAtShutdownIsForgottenOnRestart,
// TestAttackRevealLandedAtShutdownForgetsAWonJob).

// maxBidPages bounds the pages of a job's commitments read to find this
// provider's (200 each).
const maxBidPages = 50

// myCommit returns this provider's commitment to job id on chain, or nil.
func (a *Agent) myCommit(ctx context.Context, id uint64) (*computetypes.BidCommit, error) {
	var key []byte
	for page := 0; page < maxBidPages; page++ {
		// The node reads this provider's commitment by key (provider set);
		// a node that predates the field answers pages of every
		// commitment, walked in turn (TestAttackCrowdedJobHidesALandedCommitment).
		// Each page has its own wait: a job's commitments can outnumber
		// what one wait reads from a slow node.
		pctx, cancel := context.WithTimeout(ctx, a.callWait())
		res, err := a.query.Bids(pctx, &computetypes.QueryBidsRequest{JobId: id, Provider: a.me,
			Pagination: &query.PageRequest{Key: key, Limit: 200}})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("bids of job %d: %w", id, err)
		}
		for i := range res.Commits {
			if res.Commits[i].Provider == a.me {
				return &res.Commits[i], nil
			}
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return nil, nil
		}
		key = res.Pagination.NextKey
	}
	return nil, fmt.Errorf("bids of job %d: more than %d pages", id, maxBidPages)
}

// commitment is the commitment of r's bid.
func (a *Agent) commitment(r *Record) ([]byte, error) {
	price, err := sdk.ParseCoinNormalized(r.Price)
	if err != nil {
		return nil, fmt.Errorf("stored bid price %q: %w", r.Price, err)
	}
	return computetypes.BidCommitment(r.ID, a.me, price, r.Salt), nil
}

// committed reports whether the chain holds r's commitment (this salt's):
// nil when it holds none, or one it cannot be (another salt's).
func (a *Agent) committed(ctx context.Context, r *Record) (*computetypes.BidCommit, error) {
	c, err := a.myCommit(ctx, r.ID)
	if err != nil || c == nil {
		return nil, err
	}
	want, err := a.commitment(r)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(c.Commitment, want) {
		a.log.Error("a commitment of this provider with another salt is on chain; it cannot be revealed", "job", r.ID)
		return nil, nil
	}
	return c, nil
}

// commitRefused handles a commitment the node refuses: already on chain
// (it landed unknown to the agent), the record moves to committed and is
// revealed in its window; not on chain, the job is skipped and the record
// forgotten (no commitment, no deposit at stake); the chain not answering,
// the record is kept and the commitment sent again next block.
func (a *Agent) commitRefused(ctx context.Context) func(item, error) {
	return func(it item, err error) {
		r, ok := a.recs[it.id]
		if !ok {
			return
		}
		c, qerr := a.committed(ctx, r)
		switch {
		case qerr != nil:
			a.log.Warn("commitment refused by the node, and the chain cannot say whether it holds it; keeping the bid", "job", it.id, "err", err, "query_err", qerr)
		case c != nil:
			a.log.Info("commitment refused by the node: it is already on chain; revealing it in its window", "job", it.id)
			a.advance(r)
		default:
			a.log.Info("commitment refused by the node; not bidding", "job", it.id, "err", err)
			a.skip[it.id] = r.CommitEnd
			a.forget(it.id)
		}
	}
}

// revealRefused handles a reveal the node refuses: already revealed on
// chain (it landed unknown to the agent), the record moves to revealed and
// waits for the award; otherwise it is tried again next block while the
// window is open.
func (a *Agent) revealRefused(ctx context.Context) func(item, error) {
	return func(it item, err error) {
		r, ok := a.recs[it.id]
		if !ok {
			return
		}
		c, qerr := a.committed(ctx, r)
		if qerr == nil && c != nil && c.Revealed {
			a.log.Info("reveal refused by the node: the bid is already revealed on chain", "job", it.id)
			a.advance(r)
			return
		}
		a.log.Warn("reveal refused by the node; tried again next block while its window is open", "job", it.id, "err", err, "query_err", qerr)
	}
}

// expireBids settles the bids whose window has passed, asking the chain
// first while what it holds matters: a commitment never seen to land
// (PendingTx empty) whose reveal window is still ahead is revealed if the
// chain holds it; a commitment whose reveal window passed unrevealed is a
// missed reveal only if the chain does not hold its reveal. A record the
// chain cannot be asked about now is kept for the next block; at most
// maxQueriesPerBlock are asked each block, and none is begun once the
// stage has asked for callWait: each record's pages have their own wait
// (myCommit), not one for the whole stage, so a record whose commitments
// take long to read is still settled, and the rest wait for the next block.
func (a *Agent) expireBids(ctx context.Context) error {
	h, asked, start := a.height, 0, time.Now()
	for id, r := range a.recs {
		unsent := r.Phase == PhaseBid && r.PendingTx == "" && r.CommitEnd < h+1
		missed := r.Phase == PhaseCommitted && h > r.RevealEnd
		switch {
		case a.view[id].state.IsTerminal():
			continue // over on chain: retire forgets it
		case unsent && h > r.RevealEnd:
			a.forget(id) // its reveal window is over too: nothing left to do with it
			continue
		case !unsent && !missed:
			continue
		case asked >= maxQueriesPerBlock || asked > 0 && time.Since(start) >= a.callWait():
			return nil
		}
		asked++
		c, err := a.committed(ctx, r)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err // the rest next block
		}
		switch {
		case unsent && c != nil, missed && c != nil && c.Revealed:
			a.log.Info("the chain holds what the agent had not seen land", "job", id, "phase", r.Phase.String())
			a.advance(r)
		case missed:
			a.metrics.MissedReveals.Inc()
			a.log.Error("reveal missed: the bid's deposit is forfeited", "job", id, "reveal_end", r.RevealEnd)
			a.forget(id)
		default:
			a.forget(id)
		}
	}
	return nil
}

package provider

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// openJobs lists every OPEN job, page by page.
func (a *Agent) openJobs(ctx context.Context) ([]computetypes.Job, error) {
	var out []computetypes.Job
	var key []byte
	for {
		res, err := a.query.Jobs(ctx, &computetypes.QueryJobsRequest{
			State: computetypes.JobState_JOB_STATE_OPEN, Pagination: &query.PageRequest{Key: key, Limit: 200},
		})
		if err != nil {
			return nil, fmt.Errorf("list open jobs: %w", err)
		}
		out = append(out, res.Jobs...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
}

// retryableBids reports whether a bid waits to be (re)sent.
func (a *Agent) retryableBids() bool {
	for _, r := range a.recs {
		if r.Phase == PhaseBid && r.PendingTx == "" {
			return true
		}
	}
	return false
}

// bid decides on the open jobs it has not seen, saves each bid (price and
// salt) before its commitment leaves, and commits them all in batches.
func (a *Agent) bid(ctx context.Context) error {
	open, err := a.openJobs(ctx)
	if err != nil {
		return err
	}
	prov, found, err := a.provider(ctx)
	if err != nil || !found || prov.Status != computetypes.ProviderStatus_PROVIDER_STATUS_ACTIVE {
		return err
	}
	a.decideOpen(ctx, open, a.freeBond(prov))
	// The salts are on disk before any commitment is sent.
	if err := a.flush(); err != nil {
		return err
	}
	return a.commit(ctx)
}

// decideOpen decides on the open jobs it has not seen, earliest commit end
// first, within budget (the free bond): a bid becomes a record, a refusal
// is remembered until the job's commit end.
func (a *Agent) decideOpen(ctx context.Context, open []computetypes.Job, budget sdk.Coin) {
	// A job still being sized (its model or dataset server is slow) waits
	// for a later step; this one does not wait for it beyond bidWait.
	a.sizing.prune(a.height)
	ctx, cancel := context.WithTimeout(ctx, a.bidWait())
	defer cancel()
	sort.Slice(open, func(i, j int) bool { return open[i].CommitEnd < open[j].CommitEnd })
	for _, job := range open {
		if _, seen := a.recs[job.Id]; seen {
			continue
		}
		if _, skipped := a.skip[job.Id]; skipped {
			continue
		}
		r, why := a.decide(ctx, job, &budget)
		if why == whySizing {
			continue
		}
		if r == nil {
			a.skip[job.Id] = job.CommitEnd
			a.metrics.Skipped.WithLabelValues(why).Inc()
			a.log.Debug("not bidding", "job", job.Id, "why", why)
			continue
		}
		a.recs[r.ID] = r
		a.touch(r)
	}
}

// freeBond is the bond not locked on chain nor by commitments in flight.
func (a *Agent) freeBond(p computetypes.Provider) sdk.Coin {
	free := p.Bond.Sub(p.Locked)
	for _, r := range a.recs {
		if r.Phase != PhaseBid || r.PendingTx == "" {
			continue
		}
		if c, err := sdk.ParseCoinNormalized(r.Collateral); err == nil && c.Denom == free.Denom {
			if free.IsLT(c) {
				return sdk.NewInt64Coin(free.Denom, 0)
			}
			free = free.Sub(c)
		}
	}
	return free
}

// decide returns the record of a bid on job, or nil and why not.
func (a *Agent) decide(ctx context.Context, job computetypes.Job, budget *sdk.Coin) (*Record, string) {
	if job.Requester == a.me {
		return nil, "own job"
	}
	if !a.cfg.Hardware.Meets(job.MinHardware, job.Workload.Kind) {
		return nil, "hardware"
	}
	if job.CommitEnd < a.height+2 {
		return nil, "commit window closing"
	}
	if !a.cfg.Pricing.Accepts(job.MaxPrice.Denom) {
		return nil, "denom"
	}
	price, ok := a.cfg.Pricing.Price(job)
	if !ok {
		return nil, "price above max_price"
	}
	// The lock from the bond; a job in another denom also takes its price
	// collateral from the account (a commit the chain refuses for want of it
	// is skipped, see commit).
	collateral, _ := a.params.BidCollateral(job)
	if budget.Denom != collateral.Denom || budget.IsLT(collateral) {
		return nil, "bond"
	}
	shape, est, why := a.estimateShape(ctx, job)
	if why != "" {
		return nil, why
	}
	// Priced again on its sized work: the model's, for an mlp job.
	if price, ok = a.cfg.Pricing.Sized(job, shape.GFLOP); !ok {
		return nil, "price above max_price"
	}
	bs := a.cap.blockTime().Seconds()
	self := plan(&Record{ID: job.Id, RevealEnd: job.RevealEnd, ExecBlocks: job.ExecBlocks, EstSeconds: est}, a.height, bs, a.cfg.Safety)
	if !a.cap.admits(a.recs, self, a.height, a.cfg.Safety) {
		return nil, "capacity"
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, "no randomness"
	}
	sha, why := a.pinWeights(ctx, job)
	if why != "" {
		return nil, why
	}
	*budget = budget.Sub(collateral)
	return &Record{
		ID: job.Id, Requester: job.Requester, Phase: PhaseBid, Price: price.String(), Salt: salt,
		Collateral: collateral.String(), CommitEnd: job.CommitEnd, RevealEnd: job.RevealEnd,
		ExecBlocks: job.ExecBlocks, EstSeconds: est, ModelSha: sha,
	}, ""
}

// commit sends the commitments of every bid not yet sent whose commit
// window is open long enough for the tx to land.
func (a *Agent) commit(ctx context.Context) error {
	var items []item
	for id, r := range a.recs {
		if r.Phase != PhaseBid || r.PendingTx != "" || r.CommitEnd < a.height+1 {
			continue
		}
		commitment, err := a.commitment(r)
		if err != nil {
			continue
		}
		items = append(items, item{id: id, msg: &computetypes.MsgCommitBid{Provider: a.me, JobId: id, Commitment: commitment}})
	}
	if len(items) == 0 {
		return nil
	}
	sort.Slice(items, func(i, j int) bool { return a.recs[items[i].id].CommitEnd < a.recs[items[j].id].CommitEnd })
	return a.sendAll(ctx, "commit", items, a.markSent, a.commitRefused(ctx))
}

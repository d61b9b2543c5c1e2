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

// maxOpenPages bounds the pages of open jobs (200 each) one step lists;
// the rest are listed by the next steps, from where this one stopped.
const maxOpenPages = 50

// listOpen lists the next pages of OPEN jobs from the cursor a.openKey, as
// many as ctx (one stage's wait) and maxOpenPages allow, and moves the
// cursor past them; a listing that reaches the last page starts again from
// the first at the next listing. Open jobs anyone may post cheaply, so
// their listing can outlast any one step's wait on a remote node: a step
// that listed them all before deciding on any never bid while they stayed
// open (TestAttackOpenJobFloodOutlastsTheBidStageWait). Each step thus
// decides on what it listed, and the next step lists on.
func (a *Agent) listOpen(ctx context.Context) ([]computetypes.Job, error) {
	var out []computetypes.Job
	for page := 0; page < maxOpenPages; page++ {
		res, err := a.query.Jobs(ctx, &computetypes.QueryJobsRequest{
			State: computetypes.JobState_JOB_STATE_OPEN, Pagination: &query.PageRequest{Key: a.openKey, Limit: 200},
		})
		if err != nil {
			if page > 0 && ctx.Err() != nil {
				return out, nil // the stage's time is spent: the next step lists on
			}
			a.openKey = nil // a key the node no longer takes must not wedge the listing
			return out, fmt.Errorf("list open jobs: %w", err)
		}
		out = append(out, res.Jobs...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			a.openKey = nil
			return out, nil
		}
		a.openKey = res.Pagination.NextKey
	}
	return out, nil
}

// listing reports whether a listing of the open jobs stopped short and
// goes on at the next step.
func (a *Agent) listing() bool { return a.openKey != nil }

// retryableBids reports whether a bid waits to be (re)sent.
func (a *Agent) retryableBids() bool {
	for _, r := range a.recs {
		if r.Phase == PhaseBid && r.PendingTx == "" {
			return true
		}
	}
	return false
}

// bid lists the next open jobs (listOpen), decides on those it has not
// seen, saves each bid (price and salt) before its commitment leaves, and
// commits them all in batches. The listing and the rest are two stages,
// each with its own wait: a long listing leaves the commitments their time.
func (a *Agent) bid(ctx context.Context) error {
	var open []computetypes.Job
	if err := a.within(ctx, func(ctx context.Context) (err error) {
		open, err = a.listOpen(ctx)
		return err
	}); err != nil {
		return err
	}
	return a.within(ctx, func(ctx context.Context) error {
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
	})
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
	collateral, _ := job.Terms.Under(a.params).BidCollateral(job) // the job's terms, as the chain sizes it
	if budget.Denom != collateral.Denom || budget.IsLT(collateral) {
		return nil, "bond"
	}
	shape, est, why := a.estimateShape(ctx, job)
	if why != "" {
		return nil, why
	}
	// Priced again on its sized work: the model's, for an mlp job, and the
	// worker time its drawn values and output take (pricedGFLOP).
	if price, ok = a.cfg.Pricing.Sized(job, a.cap.pricedGFLOP(shape)); !ok {
		return nil, "price above max_price"
	}
	if why := a.admitDisk(job, shape); why != "" {
		return nil, why
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
	dsBytes, why := a.admitDatasetRoom(ctx, job, shape)
	if why != "" {
		// Its pin goes (the held records' stay): the jobs decided next in
		// this step would find less room (TestAttackRefusedJobsPinsRefuseAnHonestJob).
		a.keepModels()
		return nil, why
	}
	*budget = budget.Sub(collateral)
	return &Record{
		ID: job.Id, Requester: job.Requester, Phase: PhaseBid, Price: price.String(), Salt: salt,
		Collateral: collateral.String(), CommitEnd: job.CommitEnd, RevealEnd: job.RevealEnd,
		ExecBlocks: job.ExecBlocks, EstSeconds: est, ModelSha: sha, OutputBytes: outputDiskBytes(job, shape),
		DatasetBytes: dsBytes, DatasetID: shape.DatasetID, DatasetVersion: job.DatasetVersion,
	}, ""
}

// commit sends the commitments of every bid not yet sent whose commit
// window is open long enough for the tx to land, each tx carrying one
// requester's: a requester may cancel its job until the commit end, and
// its cancel landing ahead of a tx fails the whole tx. One that posted a
// job the agent bid on at each step and cancelled it ahead of the step's
// batch failed every commit tx, and the honest requesters' commitments in
// them, until their commit phases were over
// (TestAttackCancelledJobFailsEveryCommitBatch). Reveals, results and
// aborts go in txs of their own kind, which no one else's message can make
// the chain refuse: a job leaves its reveal phase, and a won job its
// execution window, only by height or by the winner's own message.
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
		items = append(items, item{id: id, msg: &computetypes.MsgCommitBid{Provider: a.me, JobId: id, Commitment: commitment}, party: r.Requester})
	}
	if len(items) == 0 {
		return nil
	}
	// One requester's commitments together (its cancel fails only its own
	// jobs' tx), the requester whose commit phase ends first first, and
	// each's earliest first.
	first := map[string]int64{}
	for _, it := range items {
		if end, ok := first[it.party]; !ok || a.recs[it.id].CommitEnd < end {
			first[it.party] = a.recs[it.id].CommitEnd
		}
	}
	sort.Slice(items, func(i, j int) bool {
		ri, rj := a.recs[items[i].id], a.recs[items[j].id]
		switch pi, pj := items[i].party, items[j].party; {
		case first[pi] != first[pj]:
			return first[pi] < first[pj]
		case pi != pj:
			return pi < pj
		case ri.CommitEnd != rj.CommitEnd:
			return ri.CommitEnd < rj.CommitEnd
		}
		return ri.ID < rj.ID
	})
	return a.sendAll(ctx, "commit", items, a.markSent, a.commitRefused(ctx))
}

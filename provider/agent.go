// Package provider is the aichain provider agent: it keeps a GPU (or CPU)
// provider registered, bids on open jobs by its pricing policy in the sealed
// auction, runs the jobs it wins with its backend, stores the output chunks,
// submits the Merkle root, and serves each chunk with its proof to the
// validators' verifier sidecars.
package provider

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aichain/aichain/chainclient"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Pricing is the bid policy, in Floor's denom: the highest of Floor,
// ceil(PerGFLOP × GFLOP) and ceil(PerKRows × rows / 1000), with the job's
// work as its kind's row in the jobexec table estimates it (GFLOP for a gemm
// job; rows for an mlp job: the dataset's rows, as the job records them),
// and no bid above a job's max_price. A nil rate prices by the floor alone.
type Pricing struct {
	PerGFLOP sdkmath.LegacyDec
	PerKRows sdkmath.LegacyDec
	Floor    sdk.Coin
}

// Price returns the bid for a job, or false to skip it.
func (p Pricing) Price(job computetypes.Job) (sdk.Coin, bool) {
	amount := p.Floor.Amount
	raise := func(rate sdkmath.LegacyDec, work sdkmath.LegacyDec) {
		if rate.IsNil() || !work.IsPositive() {
			return
		}
		if by := rate.Mul(work).Ceil().TruncateInt(); by.GT(amount) {
			amount = by
		}
	}
	work := jobexec.WorkOf(job)
	if work.GFLOP > 0 {
		raise(p.PerGFLOP, sdkmath.LegacyMustNewDecFromStr(fmt.Sprintf("%.9f", work.GFLOP)))
	}
	if work.Rows > 0 {
		raise(p.PerKRows, sdkmath.LegacyNewDec(int64(min(work.Rows, 1<<62))).QuoInt64(1000))
	}
	price := sdk.NewCoin(p.Floor.Denom, amount)
	if job.MaxPrice.Denom != price.Denom || price.Amount.GT(job.MaxPrice.Amount) {
		return price, false
	}
	return price, true
}

// Fault makes the agent misbehave on purpose, for test networks only.
type Fault struct {
	// CorruptChunk, when ≥ 0, flips a bit in that output chunk (modulo the
	// chunk count) before committing: the root is consistent, the data wrong.
	CorruptChunk int
	// ChangeToken, when set, changes one generated token before committing
	// (see TokenChange).
	ChangeToken *TokenChange
}

// Config configures an Agent.
type Config struct {
	Moniker      string
	Endpoint     string // public URL of this agent's chunk server
	Bond         sdk.Coin
	Register     bool // register (with Bond) when not yet a provider
	Pricing      Pricing
	PollInterval time.Duration
	// Hardware is registered with the provider; NewAgent sets its Workloads
	// to the kinds of the jobexec table that this configuration can run.
	Hardware computetypes.Hardware
	Fault    Fault
	// MLP supplies the models and datasets of the kinds that need them
	// (mlp-f32; nil: the agent runs only kinds that need neither).
	MLP MLPResolver
}

// MLPResolver is what the agent needs for kinds that read models and
// datasets (mlp-f32): the model and the dataset to run them, and the
// dataset's chunks and tree to serve the input rows of each output chunk
// with their proofs. jobexec.ChainResolver is one.
type MLPResolver = jobexec.ProviderSource

// Workloads returns the kinds of the jobexec table that an agent with this
// configuration can run: what it advertises and bids on.
func (c Config) Workloads() []string {
	return jobexec.Runnable(jobexec.Needs{Model: c.MLP != nil, Dataset: c.MLP != nil})
}

// Agent is a running provider agent.
type Agent struct {
	cfg     Config
	client  *chainclient.Client
	query   computetypes.QueryClient
	backend workload.Backend
	state   *State
	store   *ChunkStore
	log     *slog.Logger
	metrics *Metrics
	me      string
}

// NewAgent returns an agent; it does nothing until Run.
func NewAgent(cfg Config, client *chainclient.Client, backend workload.Backend, state *State, store *ChunkStore, logger *slog.Logger, m *Metrics) *Agent {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	cfg.Hardware.Workloads = cfg.Workloads()
	return &Agent{
		cfg: cfg, client: client, query: computetypes.NewQueryClient(client.Conn), backend: backend,
		state: state, store: store, log: logger, metrics: m, me: client.Address().String(),
	}
}

// Run works until ctx ends: one pass every PollInterval.
func (a *Agent) Run(ctx context.Context) error {
	a.log.Info("provider agent started", "address", a.me, "backend", a.backend.Name(), "endpoint", a.cfg.Endpoint)
	for {
		if err := a.Step(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("pass failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(a.cfg.PollInterval):
		}
	}
}

// Step makes one pass: registration, new bids, reveals, awarded jobs.
func (a *Agent) Step(ctx context.Context) error {
	registered, err := a.ensureRegistered(ctx)
	if err != nil || !registered {
		return err
	}
	return errors.Join(a.bidOnOpenJobs(ctx), a.revealBids(ctx), a.runAwardedJobs(ctx))
}

func (a *Agent) ensureRegistered(ctx context.Context) (bool, error) {
	res, err := a.query.Provider(ctx, &computetypes.QueryProviderRequest{Address: a.me})
	if err == nil {
		if res.Provider.Status != computetypes.ProviderStatus_PROVIDER_STATUS_ACTIVE {
			a.log.Debug("provider is not active", "status", res.Provider.Status.String())
			return false, nil
		}
		return true, nil
	}
	if !strings.Contains(err.Error(), "not found") {
		return false, fmt.Errorf("query provider: %w", err)
	}
	if !a.cfg.Register {
		return false, fmt.Errorf("%s is not a registered provider (run with --register)", a.me)
	}
	a.log.Info("registering as a provider", "bond", a.cfg.Bond.String(), "endpoint", a.cfg.Endpoint)
	_, err = a.client.Broadcast(ctx, &computetypes.MsgRegisterProvider{
		Operator: a.me, Moniker: a.cfg.Moniker, Endpoint: a.cfg.Endpoint, Hardware: a.cfg.Hardware, Bond: a.cfg.Bond,
	})
	if err != nil {
		return false, fmt.Errorf("register: %w", err)
	}
	return true, nil
}

// jobs lists every job in a state or of a provider, page by page.
func (a *Agent) jobs(ctx context.Context, req computetypes.QueryJobsRequest) ([]computetypes.Job, error) {
	var out []computetypes.Job
	var key []byte
	for {
		req.Pagination = &query.PageRequest{Key: key, Limit: 100}
		res, err := a.query.Jobs(ctx, &req)
		if err != nil {
			return nil, err
		}
		out = append(out, res.Jobs...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
}

func (a *Agent) supports(kind string) bool {
	for _, w := range a.cfg.Hardware.Workloads {
		if w == kind {
			return true
		}
	}
	return false
}

func (a *Agent) bidOnOpenJobs(ctx context.Context) error {
	open, err := a.jobs(ctx, computetypes.QueryJobsRequest{State: computetypes.JobState_JOB_STATE_OPEN})
	if err != nil {
		return fmt.Errorf("list open jobs: %w", err)
	}
	var errs []error
	for _, job := range open {
		if _, seen := a.state.Get(job.Id); seen || !a.supports(job.Workload.Kind) {
			continue
		}
		price, ok := a.cfg.Pricing.Price(job)
		if !ok {
			a.log.Info("not bidding: price above the job's max_price", "job", job.Id, "price", price.String(), "max_price", job.MaxPrice.String())
			errs = append(errs, a.state.Update(job.Id, func(r *JobRecord) { r.Done, r.Error = true, "price above max_price" }))
			continue
		}
		salt := make([]byte, 32)
		if _, err := rand.Read(salt); err != nil {
			return err
		}
		// Remember the salt before the commitment is on chain: a restart must be able to reveal.
		if err := a.state.Update(job.Id, func(r *JobRecord) { r.Price, r.Salt = price.String(), salt }); err != nil {
			return err
		}
		commitment := computetypes.BidCommitment(job.Id, a.me, price, salt)
		if _, err := a.client.Broadcast(ctx, &computetypes.MsgCommitBid{Provider: a.me, JobId: job.Id, Commitment: commitment}); err != nil {
			a.log.Warn("commit bid failed", "job", job.Id, "err", err)
			errs = append(errs, a.state.Update(job.Id, func(r *JobRecord) { r.Done, r.Error = true, "commit failed: "+err.Error() }))
			continue
		}
		a.metrics.BidsCommitted.Inc()
		a.log.Info("committed a sealed bid", "job", job.Id, "price", price.String())
		errs = append(errs, a.state.Update(job.Id, func(r *JobRecord) { r.Committed = true }))
	}
	return errors.Join(errs...)
}

func (a *Agent) revealBids(ctx context.Context) error {
	var errs []error
	for _, rec := range a.state.Pending() {
		if !rec.Committed || rec.Revealed {
			continue
		}
		res, err := a.query.Job(ctx, &computetypes.QueryJobRequest{JobId: rec.JobID})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch res.Job.State {
		case computetypes.JobState_JOB_STATE_OPEN:
			continue // not yet
		case computetypes.JobState_JOB_STATE_REVEAL:
		default:
			errs = append(errs, a.state.Update(rec.JobID, func(r *JobRecord) { r.Done, r.Error = true, "reveal window missed" }))
			continue
		}
		price, err := sdk.ParseCoinNormalized(rec.Price)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := a.client.Broadcast(ctx, &computetypes.MsgRevealBid{Provider: a.me, JobId: rec.JobID, Price: price, Salt: rec.Salt}); err != nil {
			a.log.Warn("reveal failed", "job", rec.JobID, "err", err)
			errs = append(errs, err)
			continue
		}
		a.metrics.BidsRevealed.Inc()
		a.log.Info("revealed bid", "job", rec.JobID, "price", rec.Price)
		errs = append(errs, a.state.Update(rec.JobID, func(r *JobRecord) { r.Revealed = true }))
	}
	return errors.Join(errs...)
}

func (a *Agent) runAwardedJobs(ctx context.Context) error {
	won, err := a.jobs(ctx, computetypes.QueryJobsRequest{Provider: a.me})
	if err != nil {
		return fmt.Errorf("list my jobs: %w", err)
	}
	var errs []error
	for _, job := range won {
		if job.Winner != a.me {
			continue
		}
		rec, _ := a.state.Get(job.Id)
		if job.State != computetypes.JobState_JOB_STATE_ASSIGNED {
			if !rec.Done && job.State.IsTerminal() {
				errs = append(errs, a.state.Update(job.Id, func(r *JobRecord) { r.Done = true }))
				a.log.Info("job ended", "job", job.Id, "state", job.State.String(), "reason", job.CloseReason.String())
			}
			continue
		}
		if rec.Submitted {
			continue
		}
		if err := a.execute(ctx, job); err != nil {
			a.log.Error("job failed", "job", job.Id, "err", err)
			errs = append(errs, a.state.Update(job.Id, func(r *JobRecord) { r.Error = err.Error() }))
		}
	}
	return errors.Join(errs...)
}

// execute runs an awarded job (unless a restart finds it already run),
// stores its chunks and submits the root.
func (a *Agent) execute(ctx context.Context, job computetypes.Job) error {
	rec, _ := a.state.Get(job.Id)
	if !rec.Executed {
		if err := a.compute(ctx, job); err != nil {
			return err
		}
		rec, _ = a.state.Get(job.Id)
	}
	if _, err := a.client.Broadcast(ctx, &computetypes.MsgSubmitResult{
		Provider: a.me, JobId: job.Id, OutputRoot: rec.OutputRoot, ChunkCount: rec.ChunkCount,
	}); err != nil {
		return fmt.Errorf("submit result: %w", err)
	}
	a.metrics.ResultsSubmitted.Inc()
	a.log.Info("submitted result", "job", job.Id, "root", fmt.Sprintf("%x", rec.OutputRoot))
	return a.state.Update(job.Id, func(r *JobRecord) { r.Submitted = true })
}

// compute runs an awarded job through its kind's row, stores its chunks and
// records the result and what serving its chunks needs.
func (a *Agent) compute(ctx context.Context, job computetypes.Job) error {
	var resolver jobexec.Resolver
	if a.cfg.MLP != nil {
		resolver = a.cfg.MLP
	}
	w, err := jobexec.FromJob(ctx, job.Workload, job.DatasetVersion, resolver)
	if err != nil {
		return err
	}
	n, err := workload.JobChunkCount(w)
	if err != nil {
		return err
	}
	a.log.Info("executing job", "job", job.Id, "kind", w.Kind(), "rows", w.Rows(), "cols", w.Cols(), "chunks", n, "deadline", job.ExecDeadline)
	start := time.Now()
	chunks, err := a.computeChunks(ctx, job.Id, w, n, start)
	if err != nil {
		return err
	}
	if c := a.cfg.Fault.CorruptChunk; c >= 0 {
		i := c % n
		chunks[i][0] ^= 0x01
		a.log.Warn("FAULT MODE: corrupted an output chunk before committing", "job", job.Id, "chunk", i)
	}
	if tc := a.cfg.Fault.ChangeToken; tc != nil {
		chunk, row, from, to := tc.Apply(chunks, w.Cols())
		a.log.Warn("FAULT MODE: changed a generated token before committing", "job", job.Id, "chunk", chunk, "row", row, "from", from, "to", to)
	}
	tree, err := a.store.Put(job.Id, chunks)
	if err != nil {
		return err
	}
	root := tree.Root()
	a.metrics.ExecSeconds.Observe(time.Since(start).Seconds())
	a.metrics.JobsExecuted.Inc()
	a.log.Info("job executed", "job", job.Id, "chunks", n, "seconds", math.Round(time.Since(start).Seconds()*1000)/1000)
	served := jobexec.ServedOf(job)
	return a.state.Update(job.Id, func(r *JobRecord) {
		r.Executed, r.OutputRoot, r.ChunkCount = true, root[:], uint64(n)
		r.Kind, r.DatasetID, r.DatasetVersion, r.ChunkRows = served.Kind, served.DatasetID, served.DatasetVersion, served.ChunkRows
	})
}

// computeChunks computes the n output chunks of w one by one, logging
// progress every 5 seconds.
func (a *Agent) computeChunks(ctx context.Context, jobID uint64, w workload.Job, n int, start time.Time) ([][]byte, error) {
	chunks := make([][]byte, n)
	lastLog := time.Now()
	for i := 0; i < n; i++ {
		var err error
		if chunks[i], err = workload.ComputeChunk(ctx, w, a.backend, i); err != nil {
			return nil, fmt.Errorf("chunk %d: %w", i, err)
		}
		if time.Since(lastLog) > 5*time.Second {
			a.log.Info("job progress", "job", jobID, "chunks_done", i+1, "of", n, "elapsed", time.Since(start).Round(time.Millisecond))
			lastLog = time.Now()
		}
	}
	return chunks, nil
}

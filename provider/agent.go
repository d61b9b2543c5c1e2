// Package provider is the aichain provider agent: it keeps a GPU (or CPU)
// provider registered, bids in the sealed auctions of the jobs it can
// finish, runs the ones it wins in a bounded worker pool, submits their
// Merkle roots, and serves each output chunk with its proof to the job's
// requester and the validators' sidecars (signed requests only).
//
// It is a pipeline driven by new blocks (a websocket subscription to the
// node's NewBlock events, or polling when that is down). Each block it
// first confirms its transactions in flight, then reveals (a missed reveal
// forfeits a deposit), then submits finished results and aborts (each due
// by a deadline), then commits new bids — each kind many messages to a
// transaction (a commitment only with those on its requester's jobs),
// signed with a tracked account sequence and never waited for. Execution runs beside the pipeline
// and never delays a reveal. Its state is a compact record per job in an
// embedded store, written once per block, purged after settlement.
package provider

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Fault makes the agent misbehave on purpose, for test networks only; the
// command sets it only in binaries built with the faultinject tag.
type Fault struct {
	// CorruptChunk, when ≥ 0, flips a bit in that output chunk (modulo the
	// chunk count) before committing: the root is consistent, the data wrong.
	CorruptChunk int
	// WithholdFor, when positive, makes the chunk server answer 503 to every
	// request for a job's chunks for this long after the job's first chunk
	// request: an endpoint down for a while (a short outage, or withholding
	// for the whole verification window).
	WithholdFor time.Duration
	// ChangeToken, when set, changes one generated token before committing
	// (see TokenChange).
	ChangeToken *TokenChange
	// WeightsTransfers, when positive, makes the weights route send this
	// many files in all and answer busy to every later request: an uplink
	// too slow to send every validator a taken-down model's weights
	// (the sidecars then have them from each other).
	WeightsTransfers int
}

// Config configures an Agent.
type Config struct {
	Moniker  string
	Endpoint string // public URL of this agent's chunk server
	// Bond to register with; zero: the chain's min_provider_bond.
	Bond     sdk.Coin
	Register bool // register when not yet a provider
	Pricing  Pricing
	// Hardware is registered with the provider; NewAgent sets its Workloads
	// to the kinds of the jobexec table that this configuration can run.
	Hardware computetypes.Hardware
	Fault    Fault
	// MLP supplies the models and datasets of the kinds that need them
	// (mlp-f32; nil: the agent runs only kinds that need neither).
	MLP MLPResolver
	// Weights opens a model's weights file by its sha256 in the agent's
	// cache (jobexec.ChainResolver.OpenCachedWeights), streamed to
	// validators whose fetch from the model's uri failed. Nil: none served.
	Weights func(sha string) (*os.File, error)
	// Workers execute jobs at once (default 2).
	Workers int
	// Fetchers fetch won jobs' models and datasets at once, ahead of the
	// workers (default 2 × Workers), one requester's jobs at most half of
	// them: a slow or hostile server holds a fetch slot for as long as the
	// fetch policy lets it, never a worker nor a job with nothing to fetch
	// (fetch.go).
	Fetchers int
	// WeightsSlots is how many weights files the agent sends validators at
	// once (default 8, at most MaxWeightsSlots): on a slow uplink, fewer
	// slots each complete a copy sooner (weights.go).
	WeightsSlots int
	// BatchSize is the most messages in one transaction (default 100).
	BatchSize int
	// Safety is the share of a job's execution window the agent plans to
	// use, queue included (default 0.5).
	Safety float64
	// MaxChunkBytes and MaxOutputBytes bound the jobs it bids on (default
	// 16 MiB and 4 GiB).
	MaxChunkBytes, MaxOutputBytes uint64
	// MaxMemoryBytes is the memory the jobs it holds at once may take
	// (admitMemory; default half the host's or its cgroup's memory).
	MaxMemoryBytes uint64
	// MaxDiskBytes is the disk the outputs of the jobs it holds may take
	// together, from their bids until they are purged (admitDisk; default
	// the chunk directory's free space at start plus the outputs already
	// in it, 64 GiB where that cannot be read).
	MaxDiskBytes uint64
	// DownloadRate is the rate, in bytes per second, at which the agent
	// counts a won job's dataset download in its estimate (downloadSeconds;
	// default jobexec.FetchDefaults().AvgRate: the slowest average its
	// fetch policy accepts from a server).
	DownloadRate int64
	// Retention is how long a finished job's chunks are kept (default 24 h).
	Retention time.Duration
	// TxTimeoutBlocks: a tx not in a block after this many blocks is checked
	// against the chain (default 8).
	TxTimeoutBlocks int64
	// Watch is how new blocks are seen (websocket RPC address, polling).
	Watch chainclient.WatchConfig
	// Prefix is the bech32 account prefix (default "aic").
	Prefix string
}

func (c *Config) defaults() {
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.Fetchers <= 0 {
		c.Fetchers = 2 * c.Workers
	}
	if c.WeightsSlots <= 0 {
		c.WeightsSlots = maxWeightsTransfers
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.Safety <= 0 || c.Safety > 1 {
		c.Safety = 0.5
	}
	if c.MaxChunkBytes == 0 {
		c.MaxChunkBytes = 16 << 20
	}
	if c.MaxOutputBytes == 0 {
		c.MaxOutputBytes = 4 << 30
	}
	if c.MaxMemoryBytes == 0 {
		c.MaxMemoryBytes = DefaultMemoryBytes()
	}
	if c.DownloadRate <= 0 {
		c.DownloadRate = jobexec.FetchDefaults().AvgRate
	}
	if c.Retention <= 0 {
		c.Retention = 24 * time.Hour
	}
	if c.TxTimeoutBlocks <= 0 {
		c.TxTimeoutBlocks = 8
	}
	if c.Prefix == "" {
		c.Prefix = "aic"
	}
}

// MLPResolver is what the agent needs for kinds that read models and
// datasets (mlp-f32). jobexec.ChainResolver is one.
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
	store   *Store
	chunks  *ChunkStore
	log     *slog.Logger
	metrics *Metrics
	me      string
	auth    *authorizer
	cap     *capacity
	sizing  sizer // jobs sized for a bid off the pipeline goroutine

	withheldSince sync.Map     // job id → time of its first chunk request (Fault.WithholdFor)
	weightsSent   atomic.Int64 // weights requests admitted (Fault.WeightsTransfers)
	// weights are the weights transfers to validators, their queue and
	// their pace (weightSlots, made on first use).
	weights     *jobexec.WeightsSlots
	weightsOnce sync.Once
	chunkXfers  chunkSlots // chunk responses under way, their queue and pace (serveChunk, chunkserve.go)
	fetches     fetchQueue // won jobs whose inputs are fetched or wait to be (fetch.go)

	mu      sync.Mutex
	recs    map[uint64]*Record
	view    map[uint64]jobView // what the agent knows of each record's job on chain (not persisted)
	dirty   map[uint64]bool
	deleted []uint64

	// Owned by the pipeline goroutine.
	height   int64
	listedAt int64  // height of the last listing of open jobs
	openKey  []byte // where the listing of open jobs goes on (nil: from the first page)
	params   computetypes.Params
	skip     map[uint64]int64 // open jobs decided against, until their commit end
	queued   map[uint64]bool  // won jobs handed to the fetchers and workers, until their records go (forget)
	execCh   chan uint64      // won jobs, to the fetchers
	ready    workQueue        // jobs with their inputs, fetchers to workers, earliest deadline first
	execs    execCuts         // executions under way, and jobs ended before theirs (execcut.go)
	doneCh   chan execResult
	backlog  []uint64
	// paramsDue: a block of a height divisible by 100, when the params are
	// read again, was merged into a later one (catchUp).
	paramsDue bool

	// A won job's download that finds no room on disk tries again every
	// cacheRetry for up to cacheWait (0: defaultCacheRetry,
	// defaultCacheWait; prefetch.go).
	cacheRetry, cacheWait time.Duration
}

// jobView is what the agent last saw of a job: its state and winner, and
// at which height.
type jobView struct {
	state  computetypes.JobState
	winner string
	at     int64
	asked  int64 // height of the last query about it
	// missing counts the node's NotFound answers about it in a row
	// (notFound).
	missing int
}

// NewAgent returns an agent; it does nothing until Run.
func NewAgent(cfg Config, client *chainclient.Client, backend workload.Backend, store *Store, chunks *ChunkStore, logger *slog.Logger, m *Metrics) *Agent {
	cfg.defaults()
	cfg.Hardware.Workloads = cfg.Workloads()
	if cfg.MaxDiskBytes == 0 {
		cfg.MaxDiskBytes = defaultDiskBytes(chunks.dir)
	}
	a := &Agent{
		cfg: cfg, client: client, query: computetypes.NewQueryClient(client.Conn), backend: backend,
		store: store, chunks: chunks, log: logger, metrics: m, me: client.Address().String(),
		recs: map[uint64]*Record{}, view: map[uint64]jobView{}, dirty: map[uint64]bool{},
		skip: map[uint64]int64{}, queued: map[uint64]bool{},
		execCh: make(chan uint64, 4096), doneCh: make(chan execResult, 4096),
	}
	a.auth = newAuthorizer(a, cfg.Prefix)
	a.cap = newCapacity(cfg.Workers)
	a.cap.scratch = chunks.dir
	return a
}

// ErrNotProvider is an account that is not a provider and may not register.
var ErrNotProvider = errors.New("not a registered provider")

// Run works until ctx ends, then returns within a few seconds whatever the
// backlog: executions in progress are abandoned (and run again after a
// restart), everything decided is already in the store.
func (a *Agent) Run(ctx context.Context) error {
	recs, err := a.store.Load()
	if err != nil {
		return err
	}
	a.recs = recs
	a.keepModels() // before any sizing can evict a held job's weights
	a.keepDatasets(ctx)
	a.auth.loadJobs(recs)
	a.cap.calibrate(ctx, a.backend, a.log)
	a.sizing.start(ctx)
	if err := a.start(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for i := 0; i < a.cfg.Workers; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); a.worker(ctx) }()
	}
	for i := 0; i < a.cfg.Fetchers; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); a.fetcher(ctx) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); a.auth.refreshValidators(ctx, a.log) }()
	a.log.Info("provider agent started", "address", a.me, "backend", a.backend.Name(), "endpoint", a.cfg.Endpoint,
		"workers", a.cfg.Workers, "fetchers", a.cfg.Fetchers, "gflops", fmt.Sprintf("%.2f", a.cap.gflops), "jobs_in_store", len(recs))
	err = a.loop(ctx)
	done := make(chan struct{})
	go func() { wg.Wait(); a.fetches.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		a.log.Warn("workers still busy at shutdown; their jobs run again after a restart")
	}
	return errors.Join(err, a.flush())
}

// start reads the params and registers the provider if needed.
func (a *Agent) start(ctx context.Context) error {
	for {
		err := a.refreshParams(ctx)
		if err == nil {
			err = a.ensureRegistered(ctx)
		}
		if err == nil || errors.Is(err, ErrNotProvider) || errors.Is(err, ErrBondTooSmall) {
			return err
		}
		a.log.Warn("cannot reach the chain yet; retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// loop runs the pipeline on every new block (at the newest of those
// waiting, catchUp) and records finished executions, until ctx ends.
func (a *Agent) loop(ctx context.Context) error {
	blocks := a.client.WatchBlocks(ctx, a.cfg.Watch)
	for {
		select {
		case <-ctx.Done():
			return nil
		case res := <-a.doneCh:
			a.executed(res)
		case b, ok := <-blocks:
			if !ok {
				return nil
			}
			a.drainDone()
			b = a.catchUp(b, blocks)
			if err := a.step(ctx, b); err != nil && ctx.Err() == nil {
				a.log.Warn("block step failed; the next block retries", "height", b.Height, "err", err)
			}
		}
	}
}

func (a *Agent) drainDone() {
	for {
		select {
		case res := <-a.doneCh:
			a.executed(res)
		default:
			return
		}
	}
}

func (a *Agent) refreshParams(ctx context.Context) error {
	res, err := a.query.Params(ctx, &computetypes.QueryParamsRequest{})
	if err != nil {
		return fmt.Errorf("params: %w", err)
	}
	a.params = res.Params
	return nil
}

// touch marks a record changed (saved at the end of the step).
func (a *Agent) touch(r *Record) {
	a.mu.Lock()
	a.dirty[r.ID] = true
	a.mu.Unlock()
}

// forget deletes a record (and its chunks) at the end of the step, and
// its job's mark in queued: kept, it was one entry per job won for the
// life of the process (TestQueuedKeepsEveryWonJobForTheProcessLife).
// Pipeline goroutine.
func (a *Agent) forget(id uint64) {
	a.mu.Lock()
	delete(a.recs, id)
	delete(a.view, id)
	delete(a.dirty, id)
	a.deleted = append(a.deleted, id)
	a.mu.Unlock()
	delete(a.queued, id)
	a.auth.dropJob(id)
	a.execs.forget(id)
}

// flush writes the changed records and deletions in one transaction.
func (a *Agent) flush() error {
	a.mu.Lock()
	recs := make([]*Record, 0, len(a.dirty))
	for id := range a.dirty {
		if r, ok := a.recs[id]; ok {
			c := *r
			recs = append(recs, &c)
		}
	}
	deleted := a.deleted
	a.dirty, a.deleted = map[uint64]bool{}, nil
	a.mu.Unlock()
	if err := a.store.Save(recs, deleted); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	var errs []error
	for _, id := range deleted {
		errs = append(errs, a.chunks.Remove(id))
	}
	return errors.Join(errs...)
}

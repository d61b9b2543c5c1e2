// Package sidecar is the validator's verifier: it reads the jobs under
// verification from its node, fetches each sampled chunk and its Merkle proof
// from the job's provider, checks the proof against the on-chain root,
// recomputes the chunk with its own backend, and keeps a verdict ready for
// the node's next vote extension. Verification runs in the background on a
// bounded worker pool, the most urgent window first (schedule.go), in
// slices of workers' time (slice.go), the models' loads outside it
// (modelload.go); the node's call only reads what is ready.
package sidecar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Config configures a Verifier.
type Config struct {
	PollInterval time.Duration // how often to read PendingVerifications (default 1 s)
	// PollTimeout bounds one read of PendingVerifications, every page of it
	// (default ten poll intervals, at least 5 s: node.go).
	PollTimeout  time.Duration
	Workers      int           // concurrent jobs under check (default 2)
	FetchTimeout time.Duration // per chunk request (default 5 s)
	FetchRetries int           // attempts per chunk at each check (default 3)
	RetryBackoff time.Duration // wait between attempts (default 1 s; longer when a busy server asks: busy.go)
	MaxChunkSize int64         // largest chunk accepted whatever the chain says (default 64 MiB)
	// CheckSlice is the workers' time a job's checks take before a job that
	// has had less goes first, and the least a running check runs before a
	// job already checked may take its worker (default FetchRetries ×
	// (FetchTimeout + RetryBackoff), one chunk's longest fetch: slice.go).
	CheckSlice time.Duration
	// MaxRetryAfter caps the wait that a busy answer (503 or 429) asks for
	// with Retry-After before the next attempt, and the waits on busy
	// answers of one check of a job's chunks all together (default 30 s;
	// busy.go).
	MaxRetryAfter time.Duration
	// MaxWeightsBytes bounds a model's weights asked of a provider when
	// their uri fails (default 1 GiB, the parsers' file limit).
	MaxWeightsBytes int64
	// ModelLoadBytes bounds the weights the model loads hold, those
	// running (MaxWeightsBytes each) and the bytes the paused ones keep to
	// resume, together: at most ModelLoadBytes / MaxWeightsBytes loads run
	// at once, and at most Workers, at least one (default
	// jobexec.DefaultModelMemoryBytes, the resolver's memory budget for
	// models; at least MaxWeightsBytes: modelload.go, loadbytes.go).
	ModelLoadBytes int64
	// Models reads a model's record for its weights file's sha256, which
	// keys the model's load: jobs on model ids that register one file share
	// one load (loadkey.go). Nil: loads are keyed by model id.
	Models ModelRecords
	// MaxWeightsHashed bounds what is read of a provider's weights past
	// MaxWeightsBytes to tell them from junk (default 1 GiB: the provider
	// agent parses no larger weights file, so it ran no larger one).
	MaxWeightsHashed int64
	// Connectivity is the sidecar's check of its own network, run before it
	// counts a failed fetch against a provider: when it fails, the sidecar
	// abstains (and restarts the provider's span), so a validator with a
	// broken network never votes UNAVAILABLE. Nil: the network is assumed up
	// (ProbeConnectivity builds one from probe URLs).
	Connectivity func(ctx context.Context) error
	// MLP, when set, lets the verifier check the kinds that read models and
	// datasets (mlp-f32); without it the sidecar abstains on them.
	MLP MLPSource
	// Signer signs chunk requests (the validator's operator key: providers
	// serve chunks to bonded validators' operators only). Nil: the sidecar
	// abstains, since no provider would serve it.
	Signer signedreq.Signer
	// Peers are the other validators' sidecars asked for a model's weights
	// that neither the model's uri nor the job's provider sends (peers.go;
	// nil: none).
	Peers *PeerSet
	// PeerTransferTimeout bounds one weights transfer from a peer (default
	// 10 s and MaxWeightsBytes at 16 MiB/s: 74 s for 1 GiB). A peer slower
	// than that is of little use within a span, and a hostile one
	// trickling the weights holds a walk's lane this long once
	// (peerwalk.go).
	PeerTransferTimeout time.Duration
	// Fetch is how provider endpoints are reached (public hosts only unless
	// AllowLocal).
	Fetch jobexec.FetchPolicy
}

func (c *Config) defaults() {
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.PollTimeout <= 0 {
		c.PollTimeout = max(10*c.PollInterval, minPollTimeout)
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = 5 * time.Second
	}
	if c.FetchRetries <= 0 {
		c.FetchRetries = 3
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = time.Second
	}
	if c.CheckSlice <= 0 {
		c.CheckSlice = time.Duration(c.FetchRetries) * (c.FetchTimeout + c.RetryBackoff)
	}
	if c.MaxRetryAfter <= 0 {
		c.MaxRetryAfter = 30 * time.Second
	}
	if c.MaxChunkSize <= 0 {
		c.MaxChunkSize = 64 << 20
	}
	if c.MaxWeightsBytes <= 0 {
		c.MaxWeightsBytes = workload.DefaultLimits().MaxFileBytes
	}
	if c.PeerTransferTimeout <= 0 {
		c.PeerTransferTimeout = peerPace.End(c.MaxWeightsBytes)
	}
	if c.MaxWeightsHashed <= 0 {
		c.MaxWeightsHashed = workload.DefaultLimits().MaxFileBytes
	}
	if c.ModelLoadBytes <= 0 {
		c.ModelLoadBytes = jobexec.DefaultModelMemoryBytes
	}
	c.ModelLoadBytes = max(c.ModelLoadBytes, c.MaxWeightsBytes)
}

// Pending is one read of the jobs under verification, at a block height.
type Pending struct {
	Height int64
	Jobs   []computetypes.PendingVerification
	// Truncated: Jobs is not the whole list (more jobs than one poll keeps,
	// maxPollJobs: Jobs holds the most urgent read; or the read ended
	// early), so a job not in Jobs may still be pending.
	Truncated bool
}

// PendingSource lists the jobs under verification (the node's query).
type PendingSource interface {
	PendingVerifications(ctx context.Context) (Pending, error)
}

// Verifier keeps verdicts ready (schedule.go: which job it checks next,
// when a failure becomes UNAVAILABLE, which verdicts it sends).
type Verifier struct {
	cfg     Config
	source  PendingSource
	backend workload.Backend
	http    *http.Client
	log     *slog.Logger
	metrics *Metrics

	mu     sync.Mutex
	jobs   map[uint64]*jobState // jobs pending at the last poll
	height int64                // the height of the last poll
	wake   chan struct{}

	walkMu sync.Mutex
	walks  map[string]*peerWalk // weights asked of the peers, by sha256 (peerwalk.go)
	life   context.Context      // Run's: walks end with it
	// peerBodies bounds the peers' weights read or held at once
	// (peerBodiesPerWorker × Workers, each up to MaxWeightsBytes).
	peerBodies chan struct{}
	partials   partialWeights // weights checks gave up on, for the next (partials.go)
	loads      *modelLoads    // the models' loads, outside the worker pool (modelload.go)
}

// New returns a verifier; it does nothing until Run.
func New(cfg Config, source PendingSource, backend workload.Backend, logger *slog.Logger, m *Metrics) *Verifier {
	cfg.defaults()
	v := &Verifier{
		cfg: cfg, source: source, backend: backend, log: logger, metrics: m,
		http: cfg.Fetch.HTTPClient(),
		jobs: map[uint64]*jobState{},
		wake: make(chan struct{}, cfg.Workers), walks: map[string]*peerWalk{},
		peerBodies: make(chan struct{}, peerBodiesPerWorker*cfg.Workers),
		partials:   partialWeights{max: cfg.MaxWeightsBytes}, loads: newModelLoads(cfg),
	}
	v.loads.partials.onDrop = v.droppedLocked
	if cfg.MLP != nil && cfg.Models == nil {
		logger.Warn("no model registry: model loads are keyed by model id, so one file registered under several ids loads once per id")
	}
	return v
}

// Run polls and verifies until ctx ends.
func (v *Verifier) Run(ctx context.Context) {
	v.walkMu.Lock()
	v.life = ctx
	v.walkMu.Unlock()
	var wg sync.WaitGroup
	for i := 0; i < v.cfg.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.work(ctx)
		}()
	}
	for {
		if err := v.Poll(ctx); err != nil && ctx.Err() == nil {
			v.log.Warn("cannot read pending verifications", "err", err)
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			v.stopLoads()
			return
		case <-time.After(v.cfg.PollInterval):
		}
	}
}

// MLPSource gives a verifier what kinds that read models and datasets
// (mlp-f32) need: the model's weights (public, fetched by uri and checked
// against the on-chain sha256) and the dataset's on-chain record (its
// content_root). jobexec.ChainResolver without a signing key is one.
type MLPSource = jobexec.VerifySource

// Verify checks one job once (its sampled chunks, or an aborted job's
// inputs) and returns the verdict and why. An input check whose dataset
// server was busy is an abstention here; the scheduler decides when busy
// counts as unavailable (schedule.go).
func (v *Verifier) Verify(ctx context.Context, pv computetypes.PendingVerification) (computetypes.Verdict, string) {
	o := v.checkOnce(ctx, ctx, pv, &chunkProgress{})
	return o.verdict, o.reason
}

// verify is Verify, and tells whether the check ended on a busy dataset
// server (an aborted job's input check, inputs.go).
func (v *Verifier) verify(ctx context.Context, pv computetypes.PendingVerification) (computetypes.Verdict, string, bool) {
	o := v.checkOnce(ctx, ctx, pv, &chunkProgress{})
	return o.verdict, o.reason, o.busy
}

// outcome is one check of a job: its verdict and why, and what the
// scheduler reads besides (schedule.go).
type outcome struct {
	verdict computetypes.Verdict
	reason  string
	// busy: an input check ended on a busy dataset server (inputs.go).
	busy bool
	// served: the check fetched sampled chunks and every fetch succeeded,
	// whatever it ended with (an abstention when this sidecar's own
	// recomputation failed): the provider was up at this poll.
	served bool
	// yielded: the scheduler took the worker back before the check ended
	// (slice.go); no verdict, its progress is kept for the next slice.
	yielded bool
}

// checkOnce checks one job from where p left off: its sampled chunks, or an
// aborted job's inputs (inputs.go). What may take long (its model's load,
// the provider's answers) it waits on under fetchCtx, which the scheduler
// may cancel to take the worker back (slice.go).
func (v *Verifier) checkOnce(ctx, fetchCtx context.Context, pv computetypes.PendingVerification, p *chunkProgress) outcome {
	if pv.InputsCheck {
		return v.checkInputs(ctx, fetchCtx, pv, p)
	}
	return v.verifyChunks(ctx, fetchCtx, pv, p)
}

// verifyChunks checks one job's sampled chunks from p.verified on, records
// each one verified in p, and returns the verdict, why, and whether the
// provider served every chunk the check fetched; or, fetchCtx cancelled
// with ctx still alive, that it yielded (no verdict: VALID needs every
// sampled chunk verified). The check waits under fetchCtx on its model's
// load, which runs outside the worker pool (modelload.go), prepares the
// recomputer and asks the provider, its chunks and the weights it sends
// when their uri fails (slicedMirror): taking the worker back cuts these
// short, not the model's load (it goes on for the next slice) nor a
// recomputation, this sidecar's own work.
func (v *Verifier) verifyChunks(ctx, fetchCtx context.Context, pv computetypes.PendingVerification, p *chunkProgress) outcome {
	if v.cfg.Signer == nil {
		return abstain("no signing key: providers serve chunks to validators' operators only")
	}
	if ended, _ := v.awaitModel(ctx, fetchCtx, pv, time.Time{}); !ended {
		return cut(ctx) // the load goes on
	}
	// A model whose uri fails is asked of the job's provider, which ran the
	// job with it: weights neither serves are the provider's to have held.
	// Busy answers, from the mirror and every chunk, share one wait budget,
	// that of the check across all its slices (slice.go).
	budget := v.resume(p)
	mirror := slicedMirror(fetchCtx, v.weightsFrom(pv.ProviderEndpoint, budget))
	rc, err := jobexec.NewRecomputer(jobexec.WithWeightsMirror(fetchCtx, mirror), pv, v.cfg.MLP, v.backend)
	if err != nil && yielded(ctx, fetchCtx) {
		// Cut in the provider's weights transfer (its bytes are kept:
		// partialWeights), or loading here a model the resolver no longer
		// held: the next slice waits on a new load outside the pool.
		v.forgetLoad(ctx, pv)
		return outcome{yielded: true}
	}
	if errors.Is(err, jobexec.ErrWeightsUnavailable) && errors.Is(err, workload.ErrTooLarge) {
		// The uri or the provider has weights larger than this sidecar
		// takes: its limit, not the provider's fault (--max-fetch-bytes).
		return abstain("model weights over this sidecar's size limit: " + err.Error())
	}
	if errors.Is(err, jobexec.ErrWeightsUnavailable) {
		return outcome{verdict: computetypes.Verdict_VERDICT_UNAVAILABLE, reason: "model weights: " + err.Error()}
	}
	if errors.Is(err, jobexec.ErrChunkTooLarge) {
		return v.tooLarge(pv, err)
	}
	if err != nil {
		// The chain accepted this workload: failing to run it is this
		// sidecar's limit, not the provider's fault, so abstain.
		return abstain("cannot run workload: " + err.Error())
	}
	if p.verified > len(pv.Indices) {
		p.verified = 0 // counted against other chunks: start again
	}
	for ; p.verified < len(pv.Indices); p.verified++ {
		idx := pv.Indices[p.verified]
		resp, err := v.fetch(fetchCtx, pv, idx, rc, budget)
		if err != nil && yielded(ctx, fetchCtx) {
			return outcome{yielded: true}
		}
		if err != nil {
			return outcome{verdict: computetypes.Verdict_VERDICT_UNAVAILABLE, reason: fmt.Sprintf("chunk %d: %v", idx, err)}
		}
		want, err := rc.Recompute(ctx, resp)
		if errors.Is(err, jobexec.ErrChunkTooLarge) {
			o := v.tooLarge(pv, err)
			o.served = true
			return o
		}
		if err != nil {
			// Every chunk asked for so far was served: this sidecar failed.
			o := abstain(fmt.Sprintf("recompute chunk %d: %v", idx, err))
			o.served = true
			return o
		}
		if !bytes.Equal(want, resp.Data) {
			return outcome{verdict: computetypes.Verdict_VERDICT_INVALID, reason: fmt.Sprintf("chunk %d differs from its recomputation", idx)}
		}
	}
	return outcome{verdict: computetypes.Verdict_VERDICT_VALID, reason: fmt.Sprintf("%d sampled chunks match", len(pv.Indices)), served: len(pv.Indices) > 0}
}

// abstain is a check that ended without a verdict, for why.
func abstain(why string) outcome {
	return outcome{verdict: computetypes.Verdict_VERDICT_UNSPECIFIED, reason: why}
}

// tooLarge is the abstention on a job whose sampled chunks hold more, while
// recomputed, than this sidecar allows (jobexec.ErrChunkTooLarge: a job the
// chain admitted before it bounded that, or a model registered without its
// layer widths): refused before anything is allocated, and with no
// recomputation there is no evidence to vote on.
func (v *Verifier) tooLarge(pv computetypes.PendingVerification, err error) outcome {
	v.log.Warn("abstaining: the job's sampled chunks are too large to recompute", "job", pv.JobId, "kind", pv.Workload.Kind, "err", err)
	return abstain("cannot recompute the sampled chunks: " + err.Error())
}

// fetch gets one chunk with its proof and checks the proof against the
// on-chain root and its material with rc.Check, retrying on network errors
// and bad answers (after a busy answer, when its Retry-After says and the
// check's budget covers it: pause).
func (v *Verifier) fetch(ctx context.Context, pv computetypes.PendingVerification, idx uint64,
	rc jobexec.Recomputer, budget *busyBudget) (jobexec.ChunkResponse, error) {
	url := fmt.Sprintf("%s/v1/jobs/%d/chunks/%d", strings.TrimRight(pv.ProviderEndpoint, "/"), pv.JobId, idx)
	want := chunkWant{bytes: v.chunkLimit(pv)}
	if rc.InputChunks != nil {
		want.inputs = rc.InputChunks(idx)
	}
	var lastErr error
	for attempt := 0; attempt < v.cfg.FetchRetries; attempt++ {
		if attempt > 0 {
			if err := v.pause(ctx, lastErr, budget); err != nil {
				return jobexec.ChunkResponse{}, err
			}
		}
		resp, err := v.fetchOnce(ctx, pv.ProviderEndpoint, url, want)
		if err == nil {
			if err = resp.Verify(pv.OutputRoot, pv.ChunkCount, idx); err != nil {
				err = fmt.Errorf("proof does not verify against the on-chain root: %w", err)
			} else if err = rc.Check(resp); err != nil {
				err = fmt.Errorf("served input rows do not verify: %w", err)
			} else {
				return resp, nil
			}
		}
		lastErr = err
		v.log.Debug("chunk fetch failed", "url", url, "attempt", attempt+1, "err", err)
	}
	return jobexec.ChunkResponse{}, lastErr
}

// chunkLimit bounds the chunk data a provider may send for one sampled
// chunk: the chain's max_chunk_bytes (which admission holds every job to),
// at most MaxChunkSize.
func (v *Verifier) chunkLimit(pv computetypes.PendingVerification) int64 {
	if pv.MaxChunkBytes > 0 && int64(pv.MaxChunkBytes) < v.cfg.MaxChunkSize {
		return int64(pv.MaxChunkBytes)
	}
	return v.cfg.MaxChunkSize
}

// chunkWant bounds one chunk response: its chunk's bytes (chunkLimit) and
// the dataset chunks it carries (Recomputer.InputChunks).
type chunkWant struct {
	bytes  int64
	inputs uint64
}

// fetchOnce asks for one chunk and decodes the response, reading at most
// twice the chunk's bytes and a margin (base64 data, its proof and, mlp,
// the input rows with theirs: admission holds the served JSON of every
// job's chunk to twice max_chunk_bytes, types.WorkloadShape.EncodedChunkBytes)
// and decoding no more inputs and proof siblings than the chunk and those
// bytes hold (jobexec.DecodeChunkResponse: a refused response is a bad
// answer like any other).
func (v *Verifier) fetchOnce(ctx context.Context, endpoint, url string, want chunkWant) (jobexec.ChunkResponse, error) {
	var out jobexec.ChunkResponse
	ctx, cancel := context.WithTimeout(ctx, v.cfg.FetchTimeout)
	defer cancel()
	res, err := v.signedGet(ctx, endpoint, url)
	if err != nil {
		return out, err
	}
	defer res.Body.Close()
	readMax := 2*want.bytes + 64<<10
	body, err := io.ReadAll(io.LimitReader(res.Body, readMax+1))
	if err != nil {
		return out, fmt.Errorf("read chunk response: %w", err)
	}
	if int64(len(body)) > readMax {
		return out, fmt.Errorf("chunk response over %d bytes", readMax)
	}
	if out, err = jobexec.DecodeChunkResponse(body, want.inputs); err != nil {
		return out, fmt.Errorf("decode chunk response: %w", err)
	}
	if int64(len(out.Data)) > want.bytes {
		return out, fmt.Errorf("chunk of %d bytes, the chain allows %d", len(out.Data), want.bytes)
	}
	return out, nil
}

// signedGet sends a GET signed with the validator's operator key to a
// provider's endpoint; a status other than 200 is an error, a busy one (503
// or 429) a *dataserver.BusyError with the provider's Retry-After.
func (v *Verifier) signedGet(ctx context.Context, endpoint, url string) (*http.Response, error) {
	return v.signedGetFrom(ctx, endpoint, url, 0)
}

// signedGetFrom is signedGet of the body from byte from on (a Range
// request when from > 0, whose 206 answer is accepted too).
func (v *Verifier) signedGetFrom(ctx context.Context, endpoint, url string, from int64) (*http.Response, error) {
	audience, err := signedreq.Audience(endpoint)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if from > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", from))
	}
	if err := signedreq.Sign(req, v.cfg.Signer, audience, time.Now()); err != nil {
		return nil, err
	}
	res, err := v.http.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK && (from == 0 || res.StatusCode != http.StatusPartialContent) {
		body, err := io.ReadAll(io.LimitReader(res.Body, 512))
		res.Body.Close()
		err = errors.Join(fmt.Errorf("HTTP %d: %s", res.StatusCode, strings.TrimSpace(string(body))), err)
		return nil, dataserver.WrapBusy(res, err, time.Now())
	}
	return res, nil
}

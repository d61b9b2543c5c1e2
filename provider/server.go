package provider

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/chainclient/bonded"
	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
)

// servedJob is what the chunk server knows of an executed job, in memory,
// so that who may read it is decided without disk or chain work.
type servedJob struct {
	requester  string
	count      uint64
	chunkBytes uint64
	// root is the output root the agent committed to: a tree rebuilt
	// for its chunks must have it (ChunkStore.Tree).
	root   []byte
	served jobexec.Served
	// model is the sha256 of its model's weights from when its result is
	// sent until the job is over (its validators may ask for them:
	// serveWeights); empty before and after.
	model string
	// over: the job is over on chain. Its chunks stay for the requester's
	// download (--retention) and no validator verifies it any more, so
	// they are the requester's alone
	// (TestAttackValidatorReadsRowsAndOutputsOfAJobOver).
	over bool
}

// authorizer decides who reads which chunk: a job's output chunks go to its
// requester and to the operators of bonded validators (whose sidecars sign
// with the operator's account key); the input rows served with an mlp
// chunk go to the validators only (the requester may hold no dataset
// licence). Once the job is over, its chunks go to its requester alone.
type authorizer struct {
	a        *Agent
	prefix   string
	verifier *signedreq.Verifier
	nonces   *signedreq.NonceStore
	now      func() time.Time // the clock (time.Now; a test's fake)

	mu         sync.RWMutex
	jobs       map[uint64]servedJob
	models     map[string]int // the jobs whose result is sent and not over, by their model's sha256
	validators map[string]bool
}

func newAuthorizer(a *Agent, prefix string) *authorizer {
	z := &authorizer{a: a, prefix: prefix, jobs: map[uint64]servedJob{}, models: map[string]int{}, validators: map[string]bool{},
		nonces: &signedreq.NonceStore{}, now: time.Now}
	z.verifier = &signedreq.Verifier{Prefix: prefix, Now: func() time.Time { return z.now() }}
	if aud, err := signedreq.Audience(a.cfg.Endpoint); err == nil {
		z.verifier.Audiences = []string{aud}
	}
	return z
}

func (z *authorizer) loadJobs(recs map[uint64]*Record) {
	for _, r := range recs {
		if r.Phase >= PhaseExecuted {
			z.addJob(r)
		}
	}
}

func (z *authorizer) addJob(r *Record) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.endJobLocked(r.ID)
	j := servedJob{requester: r.Requester, count: r.ChunkCount, chunkBytes: r.ChunkBytes, root: r.OutputRoot, served: r.served(),
		over: r.Phase >= PhaseEnded}
	if verifying := r.Phase == PhaseSubmitted || r.Phase == PhaseExecuted && r.PendingTx != ""; verifying && r.ModelSha != "" {
		j.model = strings.ToLower(r.ModelSha)
		z.models[j.model]++
	}
	z.jobs[r.ID] = j
}

// endJob marks a job over on chain: its chunks are still served to its
// requester (for the retention window), to the validators no longer, nor
// its model's weights.
func (z *authorizer) endJob(id uint64) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.endJobLocked(id)
	if j, ok := z.jobs[id]; ok {
		j.over = true
		z.jobs[id] = j
	}
}

func (z *authorizer) endJobLocked(id uint64) {
	j, ok := z.jobs[id]
	if !ok || j.model == "" {
		return
	}
	if z.models[j.model]--; z.models[j.model] <= 0 {
		delete(z.models, j.model)
	}
	j.model = ""
	z.jobs[id] = j
}

func (z *authorizer) dropJob(id uint64) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.endJobLocked(id)
	delete(z.jobs, id)
}

// servesModel reports whether a job whose result the agent sent and that
// is not over ran the model whose weights have sha256 sha.
func (z *authorizer) servesModel(sha string) bool {
	z.mu.RLock()
	defer z.mu.RUnlock()
	return z.models[strings.ToLower(sha)] > 0
}

// setValidators replaces the set of accounts allowed as verifiers.
func (z *authorizer) setValidators(accounts map[string]bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.validators = accounts
}

// refreshValidators reads the bonded validators every 30 s until ctx ends.
func (z *authorizer) refreshValidators(ctx context.Context, log *slog.Logger) {
	for {
		if accs, err := z.bondedOperators(ctx); err == nil {
			z.setValidators(accs)
		} else if ctx.Err() == nil {
			log.Warn("cannot read the bonded validators; keeping the last set", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(30 * time.Second):
		}
	}
}

// bondedOperators returns the account addresses of the bonded validators'
// operators.
func (z *authorizer) bondedOperators(ctx context.Context) (map[string]bool, error) {
	return bonded.OperatorAccounts(ctx, stakingtypes.NewQueryClient(z.a.client.Conn), z.prefix)
}

// Handler serves GET /v1/jobs/{id}/chunks/{i} (a jobexec.ChunkResponse, to
// signed requests only), GET /v1/models/{sha256} (weights, to bonded
// validators: serveWeights) and GET /healthz. Metrics are on MetricsHandler, for
// a separate listener.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/jobs/{id}/chunks/{i}", a.serveChunk)
	mux.HandleFunc("GET /v1/models/{sha}", a.serveWeights)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	return mux
}

// MetricsHandler serves GET /metrics.
func (a *Agent) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics.Registry, promhttp.HandlerOpts{}))
	return mux
}

func httpError(w http.ResponseWriter, code int, kind, msg string) {
	signedreq.WriteError(w, code, kind, msg, "aichain-provider")
}

// serveChunk checks, in order: the request's form, its signature (CPU
// only), that the signer may read the job (memory only), the nonce, that a
// transfer slot is free, or comes in the requester's turn (chunkSlots,
// chunkserve.go); only then does it read the chunk from disk, streamed at
// the signer's pace.
func (a *Agent) serveChunk(w http.ResponseWriter, r *http.Request) {
	id, err1 := strconv.ParseUint(r.PathValue("id"), 10, 64)
	i, err2 := strconv.ParseUint(r.PathValue("i"), 10, 64)
	if err1 != nil || err2 != nil {
		httpError(w, http.StatusBadRequest, "bad_request", "job id and chunk index must be non-negative numbers")
		return
	}
	if a.withholding(id) {
		httpError(w, http.StatusServiceUnavailable, "unavailable", "withheld (fault injection)")
		return
	}
	var job servedJob
	var validator bool
	var who string
	if !a.admit(w, r, func(signer string, validators map[string]bool) bool {
		var held bool
		job, held = a.auth.jobs[id]
		// A validator reads a job while it may be verified, not once over.
		validator, who = validators[signer] && !job.over, signer
		switch {
		case !held:
			a.metrics.Refused.WithLabelValues("not_found").Inc()
			httpError(w, http.StatusNotFound, "not_found", "this provider holds no result for that job")
			return false
		case signer != job.requester && !validator:
			a.metrics.Refused.WithLabelValues("no_access").Inc()
			httpError(w, http.StatusForbidden, "no_access", "only the job's requester, and bonded validators until the job is over, read its chunks")
			return false
		}
		return true
	}) {
		return
	}
	if i >= job.count {
		httpError(w, http.StatusNotFound, "not_found", "chunk index out of range")
		return
	}
	slot, busy := a.chunkXfers.take(r, who, validator)
	if busy != nil {
		a.refuseChunk(w, busy)
		return
	}
	defer slot.release()
	a.writeChunk(slot.guard(w), r, id, i, job, validator)
}

// refuseChunk answers a chunk request that got no transfer slot (chunkSlots).
func (a *Agent) refuseChunk(w http.ResponseWriter, busy *chunkBusy) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int((busy.retry+time.Second-1)/time.Second))))
	if busy.behind {
		a.metrics.Refused.WithLabelValues("behind_pace").Inc()
		httpError(w, http.StatusTooManyRequests, "behind_pace", "this signer's chunk transfers fell behind the pace; retry later")
		return
	}
	a.metrics.Refused.WithLabelValues("busy").Inc()
	httpError(w, http.StatusServiceUnavailable, "busy",
		"this provider is sending as many chunks as it sends at once; a requester keeps its place in the queue while it asks again")
}

// admit checks a signed request in the order that keeps unauthenticated
// work small: its signature (CPU only), then may, which reads the
// authorizer's memory under its lock and writes its own refusal, then the
// nonce. It reports whether the request may be served; a refusal is written.
func (a *Agent) admit(w http.ResponseWriter, r *http.Request, may func(signer string, validators map[string]bool) bool) bool {
	z := a.auth
	signed, err := z.verifier.Verify(r)
	// Signed ahead of the clock: refused, but a copy is fresh once the clock
	// gets there. If the signer may read, its nonce is recorded so that the
	// copy is refused as replayed (TestAttackFutureRefusalLeavesReplayableChunkCopy).
	future := signed != nil && errors.Is(err, signedreq.ErrFuture)
	if err != nil && !future {
		a.refuse(w, err)
		return false
	}
	z.mu.RLock()
	ok, validator := may(signed.Address, z.validators), z.validators[signed.Address]
	z.mu.RUnlock()
	if !ok {
		return false
	}
	if future {
		z.nonces.RecordFuture(signed, z.now(), validator)
		a.refuse(w, err)
		return false
	}
	use := z.nonces.Use
	if validator { // a sidecar verifying a job: never locked out by others' requests
		use = z.nonces.UseReserved
	}
	if err := use(signed, z.now()); err != nil {
		a.refuse(w, err)
		return false
	}
	return true
}

func (a *Agent) refuse(w http.ResponseWriter, err error) {
	if se := (*signedreq.Error)(nil); errors.As(err, &se) {
		a.metrics.Refused.WithLabelValues(se.Code()).Inc()
	}
	signedreq.WriteRefusal(w, err, "aichain-provider")
}

// withholding tells whether the Fault.WithholdFor outage of job id is on: it
// starts at the job's first chunk request.
func (a *Agent) withholding(id uint64) bool {
	d := a.cfg.Fault.WithholdFor
	if d <= 0 {
		return false
	}
	now := time.Now()
	first, _ := a.withheldSince.LoadOrStore(id, now)
	return now.Sub(first.(time.Time)) < d
}

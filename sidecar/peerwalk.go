package sidecar

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
)

// Asking peer sidecars for weights runs beside the provider's fetch, never
// in its way: a peer may be hostile, and one that trickles the weights at
// the fetch policy's average rate would otherwise hold a check for minutes
// while the provider freed a slot. A fetch of a model's weights that the
// uri does not serve starts a walk for its sha256 (walkFor), which asks the
// peers in a shuffled order, peersPerRound at a time, until one sends the
// weights, in the background; the provider is asked as before, under a
// context that ends when the walk has them (a provider transfer under way
// then stops, and frees its slot for a validator no peer served). A walk
// outlives the check that started it, so the next poll's check finds what
// it fetched, and ends when its weights are taken, when no check asked for
// them for peerIdle, or when the verifier stops. A peer's failure is no
// evidence against the provider: a check's error stays the provider's.

const (
	// peersPerRound is how many peers a walk asks before it pauses
	// RetryBackoff: a peer that does not hold the weights yet answers 404 at
	// once.
	peersPerRound = 3
	// peerLanes is how many peers a walk asks at once, and maxPeerBodies
	// how many of their bodies it reads at once (see peerOrder.read): each
	// holds up to MaxWeightsBytes in memory.
	peerLanes     = 3
	maxPeerBodies = 2
	// peerBodiesPerWorker × Workers bounds the peers' bodies a verifier
	// reads or holds at once, over all its walks (Verifier.peerBodies): a
	// walk no peer can serve costs nothing but 404s, so walks are many
	// (maxWalks) and their memory is what is bounded. Two walks for models
	// no peer holds took every walk when walks were bounded instead, and
	// the target job's check asked its provider only
	// (TestAttackWithheldModelsTakeEveryWalkSlot).
	peerBodiesPerWorker = 2
	maxWalks            = 64
)

// peerIdle is how long a walk goes on with no check asking for its weights.
var peerIdle = 30 * time.Second

// peerWalk is the background fetch of one weights file from the peers.
type peerWalk struct {
	done    chan struct{} // closed when data is set, or the walk gave up
	data    workload.Checked
	asked   time.Time          // the last check that asked (under Verifier.walkMu)
	waiting int                // checks waiting on it now (under Verifier.walkMu)
	cancel  context.CancelFunc // ends the walk: the provider sent the weights
	release func()             // frees data's share of Verifier.peerBodies (under Verifier.walkMu)
}

// peerResult is a lane's weights and the release of their body's share.
type peerResult struct {
	data    workload.Checked
	release func()
}

// walkFor returns the walk for sha, starting one if there is none and the
// bound allows (nil: no peers, or too many walks).
func (v *Verifier) walkFor(sha string) *peerWalk {
	if v.cfg.Peers == nil {
		return nil
	}
	v.walkMu.Lock()
	defer v.walkMu.Unlock()
	if w, ok := v.walks[sha]; ok {
		w.asked = time.Now()
		return w
	}
	if len(v.walks) >= maxWalks {
		return nil
	}
	ctx, cancel := context.WithCancel(v.lifetimeLocked())
	w := &peerWalk{done: make(chan struct{}), asked: time.Now(), cancel: cancel}
	v.walks[sha] = w
	go v.walk(ctx, sha, w)
	return w
}

// stopWalk ends w (the weights came from the provider) and forgets it.
func (v *Verifier) stopWalk(sha string, w *peerWalk) {
	if w == nil {
		return
	}
	w.cancel()
	v.walkMu.Lock()
	v.forgetLocked(sha, w)
	v.walkMu.Unlock()
}

// forgetLocked removes w from the walks and frees its weights' share of
// the body budget (the caller that took them holds them from here on).
// v.walkMu is held.
func (v *Verifier) forgetLocked(sha string, w *peerWalk) {
	if v.walks[sha] == w {
		delete(v.walks, sha)
	}
	if w.release != nil {
		w.release()
		w.release = nil
	}
}

// take returns w's weights if it has them, and forgets the walk (the
// resolver keeps the weights from here on).
func (v *Verifier) take(sha string, w *peerWalk) (workload.Checked, bool) {
	if w == nil {
		return workload.Checked{}, false
	}
	select {
	case <-w.done:
	default:
		return workload.Checked{}, false
	}
	v.walkMu.Lock()
	v.forgetLocked(sha, w)
	v.walkMu.Unlock()
	return w.data, w.data.Is(sha)
}

// walk asks the peers for sha, peerLanes at once, until one sends it, no
// check asked for peerIdle, or the verifier stops.
func (v *Verifier) walk(ctx context.Context, sha string, w *peerWalk) {
	// Weights no check takes are not held for ever: a job that got its
	// verdict, left the list or whose uri came back never asks again
	// (TestAttackFinishedWalkNobodyTakesHoldsItsSlotForEver).
	defer time.AfterFunc(peerIdle, func() {
		v.walkMu.Lock()
		v.forgetLocked(sha, w)
		v.walkMu.Unlock()
	})
	defer close(w.done)
	defer w.cancel()
	got := make(chan peerResult, peerLanes)
	order := &peerOrder{peers: v.cfg.Peers, skip: map[string]bool{}, stagger: v.cfg.PeerTransferTimeout / 4, bodies: v.peerBodies}
	var lanes sync.WaitGroup
	for range peerLanes {
		lanes.Add(1)
		go func() { defer lanes.Done(); v.lane(ctx, sha, order, got) }()
	}
	defer func() { // the lanes stop before done closes; a second copy is dropped
		w.cancel()
		lanes.Wait()
		for len(got) > 0 {
			(<-got).release()
		}
	}()
	for {
		select {
		case r := <-got:
			v.metrics.PeerWeights.Inc()
			v.walkMu.Lock()
			w.data, w.release = r.data, r.release
			v.walkMu.Unlock()
			return
		case <-ctx.Done():
			return
		case <-time.After(v.cfg.RetryBackoff):
		}
		v.walkMu.Lock()
		// Idle: no check waits on the walk, and none asked for longer than a
		// peer's transfer may take: one going idle while a check sat in a
		// long provider transfer lost the peer's weights, which would have
		// cut it short (TestAttackWalkIdlesOutMidTransfer).
		idle := w.waiting == 0 && time.Since(w.asked) > max(peerIdle, v.cfg.PeerTransferTimeout)
		if idle {
			v.forgetLocked(sha, w)
		}
		v.walkMu.Unlock()
		if idle {
			return
		}
	}
}

// lane is one of a walk's peer fetches at a time: it asks the next peer in
// order, pausing RetryBackoff after every peersPerRound, until one sends
// the weights (sent on got) or ctx ends. A peer that sent other bytes, or
// took longer than PeerTransferTimeout, is not asked again by this walk: a
// hostile validator's sidecar that trickles the weights holds one lane
// once, not the walk.
func (v *Verifier) lane(ctx context.Context, sha string, order *peerOrder, got chan<- peerResult) {
	for ctx.Err() == nil {
		for n := 0; n < peersPerRound && ctx.Err() == nil; n++ {
			peer, ok := order.next()
			if !ok {
				break
			}
			pctx, cancel := context.WithTimeout(ctx, v.cfg.PeerTransferTimeout)
			data, release, err := v.peerWeights(pctx, peer, sha, order.read)
			late := pctx.Err() != nil && ctx.Err() == nil
			cancel()
			var bad *peerBodyError
			if errors.As(err, &bad) && ctx.Err() == nil {
				// It sent headers, then no weights (cut before the timeout,
				// or over the limit): once per walk, as a late one
				// (TestAttackPeerAbortingBeforeTheTimeoutIsAskedAgain).
				late = true
			}
			if err == nil {
				v.log.Info("model weights from another validator's sidecar", "peer", peer, "sha256", sha, "bytes", len(data.Bytes()))
				got <- peerResult{data, release} // buffered for every lane
				return
			}
			if late || errors.Is(err, workload.ErrDigestMismatch) {
				order.drop(peer)
			}
			v.log.Debug("peer sidecar did not send the weights", "peer", peer, "sha256", sha, "err", err)
		}
		if !sleep(ctx, v.cfg.RetryBackoff) {
			return
		}
	}
}

// peerOrder hands a walk's lanes the peers to ask: each pass over them in
// a new shuffled order (so that the validators the provider did not serve
// spread over those that have the weights), less those dropped.
type peerOrder struct {
	peers   *PeerSet
	stagger time.Duration // see read
	bodies  chan struct{} // the verifier's body budget (Verifier.peerBodies)
	mu      sync.Mutex
	queue   []string
	skip    map[string]bool
	reading map[int]time.Time // the bodies being read, by when they started
	n       int
}

func (o *peerOrder) next() (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		if len(o.queue) == 0 {
			o.queue = o.peers.Endpoints()
			rand.Shuffle(len(o.queue), func(i, j int) { o.queue[i], o.queue[j] = o.queue[j], o.queue[i] })
			n := 0
			for _, p := range o.queue {
				if !o.skip[p] {
					o.queue[n] = p
					n++
				}
			}
			if o.queue = o.queue[:n]; n == 0 {
				return "", false
			}
		}
		p := o.queue[0]
		o.queue = o.queue[1:]
		return p, true
	}
}

// errOtherLaneReading is a peer's body left unread: another lane of the
// walk is reading one.
var errOtherLaneReading = errors.New("another peer's transfer is under way")

// read lets a lane read a peer's body: at once when no other lane reads
// one, or, up to maxPeerBodies, when every read under way has run stagger
// (a slow or trickling peer), so that a walk takes one copy of the weights
// at a time from honest peers, and a hostile one delays it by stagger, not
// by its lane's timeout.
func (o *peerOrder) read() (func(), bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	if len(o.reading) >= maxPeerBodies {
		return nil, false
	}
	for _, since := range o.reading {
		if now.Sub(since) < o.stagger {
			return nil, false
		}
	}
	select {
	case o.bodies <- struct{}{}:
	default:
		return nil, false // the verifier reads or holds as many as it may
	}
	o.n++
	id := o.n
	if o.reading == nil {
		o.reading = map[int]time.Time{}
	}
	o.reading[id] = now
	var once sync.Once
	return func() {
		once.Do(func() {
			o.mu.Lock()
			delete(o.reading, id)
			o.mu.Unlock()
			<-o.bodies
		})
	}, true
}

func (o *peerOrder) drop(peer string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.skip[peer] = true
}

// lifetimeLocked is the context walks run under: Run's, or, for a
// verifier not running (Verify called alone), one that never ends (a walk
// then ends idle). v.walkMu is held.
func (v *Verifier) lifetimeLocked() context.Context {
	if v.life == nil {
		return context.Background()
	}
	return v.life
}

// untilWalked is ctx, ended early when w has the weights (nil w: ctx);
// while it lasts, w is not idle.
func (v *Verifier) untilWalked(ctx context.Context, w *peerWalk) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	if w != nil {
		v.walkMu.Lock()
		w.waiting++
		v.walkMu.Unlock()
		stop := cancel
		cancel = func() {
			stop()
			v.walkMu.Lock()
			if w.waiting > 0 {
				w.waiting--
				w.asked = time.Now()
			}
			v.walkMu.Unlock()
		}
		go func() {
			select {
			case <-w.done:
				if w.data.Bytes() != nil {
					stop()
				}
			case <-ctx.Done():
			}
		}()
	}
	return ctx, cancel
}

// peerWeights is one peer's answer for the weights of sha: the whole file,
// at most MaxWeightsBytes, checked against sha. A peer that answers with a
// body is read only if read allows; the body's share of the budget is
// freed on failure, and returned with the weights (release) otherwise.
func (v *Verifier) peerWeights(ctx context.Context, peer, sha string, read func() (func(), bool)) (workload.Checked, func(), error) {
	res, err := v.signedGetFrom(ctx, peer, peer+"/v1/models/"+sha, 0)
	if err != nil {
		return workload.Checked{}, nil, err
	}
	defer res.Body.Close()
	release, ok := read()
	if !ok {
		return workload.Checked{}, nil, errOtherLaneReading
	}
	var f workload.Checked
	data, err := jobexec.ReadCapped(res.Body, nil, v.cfg.MaxWeightsBytes+1)
	switch {
	case err != nil:
		err = &peerBodyError{err}
	case int64(len(data)) > v.cfg.MaxWeightsBytes:
		err = &peerBodyError{fmt.Errorf("more than %d bytes", v.cfg.MaxWeightsBytes)}
	default:
		if f, err = workload.CheckFile(data, sha); err != nil {
			v.log.Warn("a peer sidecar sent bytes that are not the weights", "peer", peer, "sha256", sha, "err", err)
		}
	}
	if err != nil {
		release()
		return workload.Checked{}, nil, err
	}
	return f, release, nil
}

// peerBodyError is a peer's body that failed after its headers: the peer is
// not asked again by the walk.
type peerBodyError struct{ err error }

func (e *peerBodyError) Error() string { return e.err.Error() }
func (e *peerBodyError) Unwrap() error { return e.err }

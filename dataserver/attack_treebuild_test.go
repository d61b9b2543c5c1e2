package dataserver

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// validatorProbeTimeout stands for the sidecar's FetchTimeout (5 s by
// default): how long a validator's probe of an aborted job's dataset waits
// for an answer. Shorter here, to keep the test short: a server that makes
// a probe wait past it leaves it unanswered all the same.
const validatorProbeTimeout = 3 * time.Second

// TestAttackWinnerAbortsWhileTheTreeBuilds: a requester's own provider wins
// a job over a large dataset, downloads the whole file (a GET needs no chunk
// tree) and aborts, claiming the dataset unavailable, at a time the owner's
// server has to build the version's chunk tree to answer the validators'
// probes (after a restart, an eviction, or while the two build slots read
// other large versions, what an attacker's probes of those versions start).
// Each probe waited for the tree for as long as its request lasted, and the
// build belonged to the request that started it: the sidecar's probe was cut
// at its timeout with no answer, its build dropped with it, and the next
// probe started over. An unanswered probe at the sidecar's last attempt is a
// vote that the dataset is gone (VERDICT_DATASET_UNAVAILABLE): the abort
// stood and the requester had its dataset fee back, for a file its provider
// had downloaded. A probe (and a chunk request) now waits at most TreeWait
// and is answered 503 busy, which the sidecar asks again across its busy
// bound rather than voting; the build runs to its end whoever asked for it,
// and the next probe is answered 204.
func TestAttackWinnerAbortsWhileTheTreeBuilds(t *testing.T) {
	fx := newFixture(t, true)
	_, f := testNPY(t, fx.dir, 64, 3, 41)
	fx.listHeld(7, f, nil)
	winner := newAccount()
	fx.chain.register(winner.addr())
	fx.chain.award(7, winner.addr(), 1, 9)
	validators := []account{fx.validatorKey(), fx.validatorKey(), fx.validatorKey()}
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	file, err := winner.client(fx.url).Download(t.Context(), 7, 1, Expect{Sha256: f.Sha256, RowsSha256: f.RowsSha256, Rows: f.Rows, Cols: f.Cols})
	if err != nil || len(file) == 0 {
		t.Fatalf("the winner's download of the whole file: %d bytes, %v", len(file), err)
	}

	// The winner aborts. The server's two build slots are taken (builds of
	// other large versions): the version's tree cannot be built at once.
	fx.srv.building <- struct{}{}
	fx.srv.building <- struct{}{}
	errs := make([]error, len(validators))
	var wg sync.WaitGroup
	for i, v := range validators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(t.Context(), validatorProbeTimeout)
			defer cancel()
			errs[i] = v.client(fx.url).Holds(ctx, 7, 1)
		}()
	}
	wg.Wait()
	<-fx.srv.building
	<-fx.srv.building
	for i, err := range errs {
		var busy *BusyError
		if err != nil && !errors.As(err, &busy) {
			t.Errorf("validator %d's probe of the held version while its tree waits to be built: %v; "+
				"an unanswered probe at the sidecar's last attempt votes the dataset gone, and the winner, "+
				"which downloaded its %d bytes, keeps the requester's dataset fee", i, err, len(file))
		}
	}

	// Asked again, as the sidecar asks a busy server: the tree is built
	// whoever asked for it, and the probe answered 204.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := validators[0].client(fx.url).Holds(t.Context(), 7, 1)
		if err == nil {
			break
		}
		var busy *BusyError
		if !errors.As(err, &busy) || time.Now().After(deadline) {
			t.Fatalf("a validator's probe once the build slots are free: %v, want 204", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

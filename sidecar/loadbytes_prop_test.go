package sidecar

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestLoadPartialsKeepTheirBudget drives loadPartials as startLoadsLocked
// and runLoad do, at random: loads start (when they fit beside the running
// ones, or, none running, after makeRoom), pause with what a real fetch cut
// by its context kept (a buffer of the Content-Length it was sent, up to a
// third over a running load's reservation), or end; time passes (past
// partialTTL at times). After every step: held is the sum of the kept
// buffers, the running loads' reservations and held stay within the
// budget, a kept buffer is at most a reservation, one copy of a file is
// kept, at most partialsKept buffers and loadTimesKept loads.
func TestLoadPartialsKeepTheirBudget(t *testing.T) {
	const each = 64 << 10
	kept := partialFetches(t)
	rng := rand.New(rand.NewPCG(7, 11))
	p := loadPartials{max: 2 * each, each: each}
	var keys []loadKey
	for f := range 6 {
		for u := range 2 {
			keys = append(keys, loadKey{kind: "mlp-f32", sha: fmt.Sprintf("%064x", f), uri: fmt.Sprint("u", u)})
		}
	}
	running := map[loadKey]int64{} // the file's bytes each run began with
	now := time.Now()
	var puts, roomy, mostKept int
	for step := range 12000 {
		k := keys[rng.IntN(len(keys))]
		before, isRunning := running[k]
		switch op := rng.IntN(10); {
		case isRunning && op < 6:
			delete(running, k)
			size := each/2 + rng.IntN(each*5/6)
			p.put(k, kept(size, rng.IntN(size)), before, 1+rng.IntN(5), now)
			puts++
		case isRunning:
			delete(running, k)
		case op < 8 && !fileRunning(running, k):
			if !p.fits(k, len(running)) {
				if len(running) > 0 {
					break
				}
				p.makeRoom(k, 0, now)
				roomy++
				if !p.fits(k, 0) {
					t.Fatalf("step %d: no running load, and room was not made for one: %d held of %d", step, p.held, p.max)
				}
			}
			_, running[k] = p.take(k, now)
		default:
			now = now.Add(time.Duration(rng.IntN(60)) * time.Second)
		}
		checkLoadPartials(t, step, &p, len(running))
		mostKept = max(mostKept, int(p.held))
	}
	t.Logf("%d pauses, %d starts after makeRoom, at most %d bytes kept of %d", puts, roomy, mostKept, p.max)
	if puts < 500 || roomy < 4 || mostKept <= each {
		t.Fatal("the sequence did not exercise the budget")
	}
}

func fileRunning(running map[loadKey]int64, k loadKey) bool {
	for o := range running {
		if o.file() == k.file() {
			return true
		}
	}
	return false
}

func checkLoadPartials(t *testing.T, step int, p *loadPartials, running int) {
	t.Helper()
	var sum int64
	buffers, files := 0, map[loadKey]int{}
	for k, e := range p.m {
		sum += e.bytes
		if e.bytes != e.pf.Bytes() || e.bytes > p.each {
			t.Fatalf("step %d: %v keeps %d bytes (its buffer %d), a reservation %d", step, k, e.bytes, e.pf.Bytes(), p.each)
		}
		if e.bytes > 0 {
			buffers++
			files[k.file()]++
			if files[k.file()] > 1 {
				t.Fatalf("step %d: two copies of file %s kept", step, k.sha[60:])
			}
		}
	}
	if sum != p.held || p.held < 0 {
		t.Fatalf("step %d: held %d, the kept buffers %d", step, p.held, sum)
	}
	if int64(running)*p.each+p.held > p.max {
		t.Fatalf("step %d: %d running × %d + %d kept, over %d", step, running, p.each, p.held, p.max)
	}
	if buffers > partialsKept || len(p.m) > loadTimesKept {
		t.Fatalf("step %d: %d buffers, %d loads kept", step, buffers, len(p.m))
	}
}

// partialFetches returns kept(size, recv): a PartialFetch a fetch of a
// uri that sends a Content-Length of size and recv (< size) bytes of it
// left when its context ended, once the fetch had read them: its buffer
// of the size.
func partialFetches(t *testing.T) func(size, recv int) *jobexec.PartialFetch {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		recv, _ := strconv.Atoi(r.URL.Query().Get("recv"))
		w.Header().Set("Content-Length", strconv.Itoa(size))
		_, _ = w.Write(make([]byte, min(recv, size)))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // first
	reg := modelreg.Of()
	read := &readTransport{base: http.DefaultTransport.(*http.Transport).Clone(), reached: make(chan struct{}, 1)}
	t.Cleanup(read.base.CloseIdleConnections)
	res := jobexec.NewChainResolver(jobexec.ResolverConfig{Fetch: jobexec.FetchPolicy{AllowLocal: true},
		HTTP: &http.Client{Transport: read}, Models: reg})
	id := uint64(0)
	return func(size, recv int) *jobexec.PartialFetch {
		id++
		reg.ByID[id] = modelregistrytypes.Model{Id: id, Uri: fmt.Sprintf("%s/m?size=%d&recv=%d", srv.URL, size, recv),
			Sha256: workload.SHA256Hex([]byte(fmt.Sprint(id))), InputDim: 3, OutputDim: 2}
		read.want.Store(int64(recv))
		pf := &jobexec.PartialFetch{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		pv := computetypes.PendingVerification{JobId: id, Workload: mlpSpec, ModelId: id}
		pv.Workload.Mlp = &computetypes.MlpSpec{ModelId: id, DatasetId: 3}
		go func() {
			done <- jobexec.CheckInputs(jobexec.WithPartialFetch(jobexec.WithFreshFetch(ctx), pf), pv, res, nil)
		}()
		select {
		case <-read.reached:
		case err := <-done:
			t.Fatalf("model %d's fetch ended before it read %d bytes of %d: %v", id, recv, size, err)
		}
		cancel()
		if err := <-done; err == nil {
			t.Fatalf("a fetch of %d bytes of %d, cut, loaded", recv, size)
		}
		return pf
	}
}

// readTransport tells reached once a response body's reader asks for more
// after want bytes.
type readTransport struct {
	base    *http.Transport
	want    atomic.Int64
	reached chan struct{}
}

func (rt *readTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := rt.base.RoundTrip(r)
	if err == nil {
		res.Body = &readBody{ReadCloser: res.Body, rt: rt}
	}
	return res, err
}

type readBody struct {
	io.ReadCloser
	rt   *readTransport
	n    int64
	told bool
}

func (b *readBody) Read(p []byte) (int, error) {
	if !b.told && b.n >= b.rt.want.Load() {
		b.told = true
		b.rt.reached <- struct{}{}
	}
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

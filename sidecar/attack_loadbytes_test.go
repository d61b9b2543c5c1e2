package sidecar

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackPausedLoadsKeepBytesBesideRunningLoads: hostile party: the owner
// of several models (a registration and a job each) whose uris send most of
// a weights file at once and then trickle the rest. Sliced model loads keep
// what a paused load received, to resume it (loadslice.go); the bytes kept
// were bounded by ModelLoadBytes on their own, beside the running loads'
// ModelLoadBytes / MaxWeightsBytes slots of MaxWeightsBytes each: the
// loads held twice the budget the README stated (4 GiB at the defaults,
// beside the workers' provider transfers and the peers' bodies). The
// running loads' reservations and the paused loads' kept bytes are now
// drawn from the one budget. Scaled: MaxWeightsBytes 2 MiB, ModelLoadBytes
// 4 MiB, six hostile models each sending 1.5 MiB at once; measured by the
// loads' own counters (a running load may hold MaxWeightsBytes, and these
// do come close; a paused one holds its kept buffer), every 2 ms for 1.5 s,
// while an honest model must still load within 2 s.
func TestAttackPausedLoadsKeepBytesBesideRunningLoads(t *testing.T) {
	const each, budget, prefix = 2 << 20, 4 << 20, 3 << 19
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, prefix))
		trickleJunk(w, r, 16<<10)
	}))
	t.Cleanup(hostile.Close)
	small := mlpFile(t, 4)
	honest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(small) }))
	t.Cleanup(honest.Close)
	recs := []modelregistrytypes.Model{{Id: 1, Uri: honest.URL + "/m.safetensors", Sha256: workload.SHA256Hex(small), InputDim: 3, OutputDim: 2}}
	for id := uint64(10); id < 16; id++ {
		recs = append(recs, modelregistrytypes.Model{Id: id, Uri: fmt.Sprintf("%s/m%d.safetensors", hostile.URL, id),
			Sha256: workload.SHA256Hex([]byte(fmt.Sprint(id))), InputDim: 3, OutputDim: 2})
	}
	cfg := testConfig()
	cfg.Workers, cfg.MaxWeightsBytes, cfg.ModelLoadBytes, cfg.CheckSlice = 2, each, budget, 100*time.Millisecond
	cfg.Fetch.Timeout = time.Minute // no trickle ends within the test
	reg := modelreg.Of(recs...)
	cfg.Models = reg
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{Fetch: cfg.Fetch, Models: reg})
	v := New(cfg, staticSource{}, cpu.New(), quiet(), NewMetrics("cpu"))
	runVerifier(t, v)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	await := func(model uint64) chan error {
		res := make(chan error, 1)
		awaitModelInto(ctx, v, model, model, res)
		return res
	}
	for id := uint64(10); id < 16; id++ {
		await(id)
	}
	var most, kept int64
	var honestDone chan error
	for start := time.Now(); time.Since(start) < 1500*time.Millisecond; time.Sleep(2 * time.Millisecond) {
		held, k := loadBytesHeld(v)
		most, kept = max(most, held), max(kept, k)
		if honestDone == nil && time.Since(start) > 500*time.Millisecond {
			honestDone = await(1)
		}
	}
	t.Logf("the loads held at most %d bytes, the paused ones' kept bytes at most %d, of a budget of %d", most, kept, budget)
	select {
	case err := <-honestDone:
		if err != nil {
			t.Fatalf("the honest model's load beside the hostile ones: %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("the honest model did not load within 2 s of being asked for, beside six hostile loads")
	}
	if most > budget {
		t.Fatalf("the model loads held %d bytes (the running loads' MaxWeightsBytes each and the paused loads' kept bytes), "+
			"over their budget of %d (ModelLoadBytes)", most, budget)
	}
	if kept == 0 {
		t.Fatal("no paused load kept any bytes: the budget must leave room to resume")
	}
	var dropped dto.Metric
	if err := v.metrics.LoadPartialsDropped.Write(&dropped); err != nil || dropped.GetCounter().GetValue() == 0 {
		t.Fatal("six paused loads' bytes fit in a budget of two files: want the drops counted")
	}
}

// loadBytesHeld is what v's model loads hold now, by their own counters:
// MaxWeightsBytes for each running load, and the paused loads' kept
// buffers (kept).
func loadBytesHeld(v *Verifier) (held, kept int64) {
	v.loads.mu.Lock()
	defer v.loads.mu.Unlock()
	kept = v.loads.partials.held
	return int64(v.loads.running)*v.cfg.MaxWeightsBytes + kept, kept
}

// A paused load's bytes dropped for room keep their PartialFetch, which
// keeps the time its runs took (jobexec.PartialFetch.DropBytes): its next
// run is held to the fetch policy's rates over all of it. A fresh
// PartialFetch, as the drop gave before, was a fresh Timeout for a uri
// that sent a burst to take room and then trickled.
func TestDroppedLoadBytesKeepTheirTime(t *testing.T) {
	now := time.Now()
	p := loadPartials{max: 4 << 20, each: 2 << 20}
	hostile, honest := loadKey{kind: "mlp-f32", sha: "aa"}, loadKey{kind: "mlp-f32", sha: "bb"}
	pf := &jobexec.PartialFetch{}
	p.m = map[loadKey]loadPartial{hostile: {pf: pf, bytes: 3 << 20, recv: 3 << 20, gained: 3 << 20, slices: 2, at: now}}
	p.held = 3 << 20
	p.makeRoom(honest, 0, now)
	if p.held != 0 || p.m[hostile].bytes != 0 {
		t.Fatalf("room for a load of %d beside %d kept: %d still held", p.each, 3<<20, p.held)
	}
	got, recv := p.take(hostile, now)
	if got != pf || recv != 0 || p.slices(hostile) != 0 {
		t.Fatalf("the dropped load's next run: PartialFetch kept %v, %d bytes: want its own, with its time and none of its bytes", got == pf, recv)
	}
}

// Seventeen models whose uris trickle, their loads paused in turn, each
// with its time and slices kept (and no bytes: a trickle brings few):
// when the kept loads were bounded by partialsKept (16) whatever they
// held, each pause pushed the longest-kept one's out, and it came back
// with a fresh Timeout and no slices, ahead of the loads that had waited.
func TestAttackManyTricklingModelsPushOutEachOthersTime(t *testing.T) {
	now := time.Now()
	p := loadPartials{max: 4 << 20, each: 2 << 20}
	kept := map[loadKey]*jobexec.PartialFetch{}
	for i := range partialsKept + 1 {
		k := loadKey{kind: "mlp-f32", sha: fmt.Sprintf("%064x", i)}
		kept[k] = &jobexec.PartialFetch{}
		p.put(k, kept[k], 0, 3, now.Add(time.Duration(i)*time.Second))
	}
	for k, pf := range kept {
		if p.slices(k) != 3 {
			t.Fatalf("after %d paused loads, %s kept %d slices, want 3", len(kept), k.sha[60:], p.slices(k))
		}
		if got, _ := p.take(k, now.Add(time.Minute)); got != pf {
			t.Fatalf("after %d paused loads, %s comes back with a fresh PartialFetch (a fresh Timeout)", len(kept), k.sha[60:])
		}
	}
}

// A paused load of a file of exactly MaxWeightsBytes (the resolver's
// MaxFileBytes in aichain-sidecar), its length given, keeps its bytes: its
// fetch's buffer was the size and one byte more (to tell a longer body),
// over a running load's reservation, so its bytes were dropped at every
// pause and it never resumed.
func TestPausedLoadOfAFileAtTheLimitKeepsItsBytes(t *testing.T) {
	const each = 1 << 20
	p := loadPartials{max: 2 * each, each: each}
	pf := partialFetches(t)(each, each/2)
	k := loadKey{kind: "mlp-f32", sha: "cc"}
	p.put(k, pf, 0, 1, time.Now())
	if got := p.m[k]; got.bytes == 0 || got.bytes > each || got.recv != each/2 {
		t.Fatalf("a paused load of a %d-byte file at the limit: %d bytes kept of %d received, want its %d received in a buffer of at most %d",
			each, got.bytes, got.recv, each/2, each)
	}
}

// TestAttackLoadPausedPastTTLGetsAFreshTimeout: hostile party: the owner of
// a model whose uri trickles, with enough loads of other models (its own or
// honest ones) to keep its load paused past partialTTL (10 minutes). What
// was kept of a paused load, its time and slices too, was forgotten after
// partialTTL: the load came back with a fresh Timeout and no slices, ahead
// of the loads that had waited. Its bytes still go after partialTTL; its
// time and slices stay while it is among the loadTimesKept loads kept, for
// up to loadTimeTTL.
func TestAttackLoadPausedPastTTLGetsAFreshTimeout(t *testing.T) {
	t0 := time.Now()
	p := loadPartials{max: 4 << 20, each: 2 << 20}
	hostile := loadKey{kind: "mlp-f32", sha: "aa"}
	pf := partialFetches(t)(1<<20, 64<<10)
	p.put(hostile, pf, 0, 3, t0)
	// Other models' loads pause and resume for eleven minutes.
	for i := range 11 {
		k := loadKey{kind: "mlp-f32", sha: fmt.Sprintf("%064x", i)}
		at := t0.Add(time.Duration(i+1) * time.Minute)
		p.put(k, &jobexec.PartialFetch{}, 0, 1, at)
		p.take(k, at)
	}
	back := t0.Add(partialTTL + time.Minute)
	slices := p.slices(hostile)
	got, recv := p.take(hostile, back)
	if got != pf || slices != 3 {
		t.Fatalf("a load paused for %s comes back with its PartialFetch %v (its time) and %d slices: want its own, and 3",
			back.Sub(t0), got == pf, slices)
	}
	if recv != 0 || pf.Bytes() != 0 || p.held != 0 {
		t.Fatalf("a load paused for %s: %d bytes of the file kept in a buffer of %d (%d held), want them dropped after %s",
			back.Sub(t0), recv, pf.Bytes(), p.held, partialTTL)
	}
	// Paused again, then past loadTimeTTL: a check long ended; a later
	// job's load starts afresh.
	p.put(hostile, got, 0, 4, back)
	if again, _ := p.take(hostile, back.Add(loadTimeTTL+time.Minute)); again == pf || p.slices(hostile) != 0 {
		t.Fatalf("a load paused for %s kept its time: want it forgotten after %s", loadTimeTTL+time.Minute, loadTimeTTL)
	}
}

package provider

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
)

// TestAttackValidatorsWithACopyAskNearItsEndToHoldEverySlot: hostile
// requester that owns its job's model, with eight hostile bonded
// validators. Before the takedown each hostile validator reads the whole
// file from the provider once (nothing stops it: the weights route serves
// any bonded validator at any time), so the PaceBook counts the whole file
// as its progress. Once the model is taken down each asks, back to back,
// for the file from far into it (Range: bytes=N-, N = half its size here;
// its size less a few quanta of pace, e.g. 64 MiB, on a real model) and reads at just over
// the pace. Its rank is min(N, progress) = N: above every honest
// validator's, whose progress can only come from what this server sends
// it; a newcomer's aging (twice the pace per second) passes N only after
// N / (2 × rate), 256 s for 1 GiB at 2 MiB/s, twice the unavailable span;
// and an honest validator once served has progress and no aging at all.
// Each hostile key holds one slot, and ranks first again when its
// transfer is cut at the quantum (its Yield keeps a claim at its whole
// progress; its next ask ranks at N), so eight hold all eight of the
// provider's slots while reading only at the pace: the honest validator,
// served one quantum once its aging passes N, then ranks below them with
// the little it has, and gets the file within the span from neither the
// provider nor (no honest sidecar has a copy) the peers. It votes the honest
// provider UNAVAILABLE, and the provider forfeits its collateral.
//
// Scaled by 1/20 as TestAttackValidatorsWaitingTogetherGetNoWholeCopyWithinTheSpan.
func TestAttackValidatorsWithACopyAskNearItsEndToHoldEverySlot(t *testing.T) {
	const readRate, paceRead = 8 << 20, 12 * (2 << 20) / 10 // 2.4 MiB/s: 20% over weightsPace.Rate
	scaleWeightsPace(t)
	file := bytes.Repeat([]byte("weights!"), (24<<20)/8)
	sha := workload.SHA256Hex(file)
	a, url, honest, hostile := weightsServerWithHostile(t, file, maxWeightsTransfers)

	// Before the takedown: each hostile validator reads the file once, fast.
	from := int64(len(file)) / 2
	holds, read, stop := copyThenAskFrom(t, url, hostile, sha, file, from, paceRead)
	t.Logf("in flight when the honest validator asks: %d, queued %d, hostile transfers %d", a.weightSlots().InFlight(), a.weightSlots().Queued(), holds.Load())

	honestWithinTheSpan(t, url, honest, sha, file, readRate, func() string {
		stop()
		return fmt.Sprintf("eight hostile validators that had read the %d MiB file once, asking for it from byte %d at %.1f MiB/s: %d transfers, %.1f MiB read",
			len(file)>>20, from, float64(paceRead)/(1<<20), holds.Load(), float64(read.Load())/(1<<20))
	})
}

// copyThenAskFrom has each hostile validator read file (sha) once, fast,
// then read it from byte from at rate with rangeReader, asking again at
// once, and returns after a Grace (the hostile validators ask first): the
// transfers they were served and the bytes they read, and stop, which ends
// their readers and waits for them (deferred too).
func copyThenAskFrom(t *testing.T, url string, hostile []signedreq.Signer, sha string, file []byte, from, rate int64) (holds, read *atomic.Int64, stop func()) {
	t.Helper()
	var wg sync.WaitGroup
	for _, s := range hostile {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if took, _ := sidecarLikeReader(ctx, s, url, sha, file, 256<<20); took == 0 {
				t.Errorf("set-up: a hostile validator did not get the file %s", sha)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	ctx, cancel := context.WithCancel(context.Background())
	holds, read = new(atomic.Int64), new(atomic.Int64)
	for _, s := range hostile {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rangeReader(ctx, s, url, sha, from, rate, holds, read)
		}()
	}
	stop = sync.OnceFunc(func() { cancel(); wg.Wait() })
	t.Cleanup(stop)
	time.Sleep(weightsPace.Grace)
	return holds, read, stop
}

// rangeReader is a hostile validator's reader: it asks for the weights
// from byte from (Range: bytes=from-), reads at rate, and asks again at
// once when the transfer ends, 5 ms after a refusal.
func rangeReader(ctx context.Context, s signedreq.Signer, url, sha string, from, rate int64, holds, read *atomic.Int64) {
	client := smallBufferClient()
	defer client.CloseIdleConnections()
	readLoop(ctx, client, s, url, sha, from, rate, 5*time.Millisecond, holds, read, nil)
}

// TestAttackValidatorsRankOnAnotherModelToHoldEverySlot: as
// TestAttackValidatorsWithACopyAskNearItsEndToHoldEverySlot, but the
// hostile validators never read the model taken down: they read another,
// larger model of another job of the provider under verification, and ask for
// it from byte N, N past the whole size of the model taken down. A
// validator's rank compares its progress on the file it asks for, in
// bytes, with other validators' progress on other files, and the slots are
// shared by every file: no honest validator's progress on the smaller
// model can reach N, and a newcomer's aging reaches it only after
// N / (2 × rate).
func TestAttackValidatorsRankOnAnotherModelToHoldEverySlot(t *testing.T) {
	const readRate, paceRead = 8 << 20, 12 * (2 << 20) / 10
	scaleWeightsPace(t)
	file := bytes.Repeat([]byte("weights!"), (24<<20)/8)
	sha := workload.SHA256Hex(file)
	other := bytes.Repeat([]byte("other!!!"), (40<<20)/8)
	otherSHA := workload.SHA256Hex(other)
	otherPath := filepath.Join(t.TempDir(), otherSHA+".safetensors")
	if err := os.WriteFile(otherPath, other, 0o644); err != nil {
		t.Fatal(err)
	}
	a, url, honest, hostile := weightsServerWithHostile(t, file, maxWeightsTransfers)
	a.auth.addJob(&Record{ID: 2, Phase: PhaseSubmitted, ModelSha: otherSHA}) // another job under verification
	open := a.cfg.Weights
	a.cfg.Weights = func(s string) (*os.File, error) {
		if s == otherSHA {
			return os.Open(otherPath)
		}
		return open(s)
	}

	// Long before: each hostile validator reads the other model once, fast.
	from := int64(len(file)) // past every byte of the model taken down
	holds, read, stop := copyThenAskFrom(t, url, hostile, otherSHA, other, from, paceRead)

	honestWithinTheSpan(t, url, honest, sha, file, readRate, func() string {
		stop()
		return fmt.Sprintf("eight hostile validators asking for another, %d MiB model from byte %d at %.1f MiB/s: %d transfers, %.1f MiB read",
			len(other)>>20, from, float64(paceRead)/(1<<20), holds.Load(), float64(read.Load())/(1<<20))
	})
}

// TestAttackValidatorsBankAPositionToHoldEverySlot: as
// TestAttackValidatorsWithACopyAskNearItsEndToHoldEverySlot, but each
// hostile validator, before the takedown, reads the first half of the
// file alone (a bounded Range, fast), so that the file's rest resumes its
// last transfer, and then resumes it at just over the pace: a rank that
// was the validator's position in the file held it there, far above an
// honest newcomer's, for as long as the rest lasted. The rank is now the
// bytes sent lately (fileProgress), and the position bought before fades
// within a few quanta.
func TestAttackValidatorsBankAPositionToHoldEverySlot(t *testing.T) {
	const readRate, paceRead = 8 << 20, 12 * (2 << 20) / 10
	scaleWeightsPace(t)
	file := bytes.Repeat([]byte("weights!"), (24<<20)/8)
	sha := workload.SHA256Hex(file)
	_, url, honest, hostile := weightsServerWithHostile(t, file, maxWeightsTransfers)
	half := len(file) / 2
	takeTheStart(t, url, hostile, sha, int64(half))

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, s := range hostile {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for have := file[:half]; ctx.Err() == nil; have = nil {
				resumeReader(ctx, s, url, sha, file, have, paceRead)
			}
		}()
	}
	stop := func() { cancel(); wg.Wait() }
	defer stop()
	time.Sleep(weightsPace.Grace)

	honestWithinTheSpan(t, url, honest, sha, file, readRate, func() string {
		stop()
		return fmt.Sprintf("eight hostile validators that had read the first half of the %d MiB file, resuming it at %.1f MiB/s",
			len(file)>>20, float64(paceRead)/(1<<20))
	})
}

// spelled is sha with its i-th hex letter upper-cased.
func spelled(sha string, i int) string {
	b := []byte(sha)
	for j, c := range b {
		if c >= 'a' && c <= 'f' {
			if i == 0 {
				b[j] = c - 'a' + 'A'
				return string(b)
			}
			i--
		}
	}
	panic("set-up: too few letters in the sha256 to spell it")
}

// TestAttackUpperCasedNameTakesAFreedSlotBeforeALongerWaitingValidator:
// the agent's weights slots, as serveWeights takes them (the sha256 as
// the path spells it; found by review). Seven hostile validators hold seven slots under
// upper-cased spellings of the model's sha256, an honest validator the
// eighth under its name; a second honest validator has waited 0.6 s for a
// slot when a hostile one asks, under yet another spelling, and one
// hostile slot frees. Asking under the model's own name, the hostile
// validator ranks after the honest one, which waited longer (checked
// first, below); under another spelling, a group no slot serves, it ranks
// before it, whatever its wait. One file now has one name
// (jobexec.WeightsSlots.Take lower-cases it).
func TestAttackUpperCasedNameTakesAFreedSlotBeforeALongerWaitingValidator(t *testing.T) {
	scaleWeightsPaceHolding(t, 3*time.Second)
	file := bytes.Repeat([]byte("weights!"), (1<<20)/8)
	sha := workload.SHA256Hex(file)
	for _, upper := range []bool{false, true} {
		a, _, _, _ := weightsServerWithHostile(t, file, 0)
		ws := a.weightSlots()
		take := func(reader, name string) (*jobexec.WeightsSlot, error) {
			r := httptest.NewRequest(http.MethodGet, "/v1/models/"+name, nil)
			return ws.Take(httptest.NewRecorder(), r, reader, name)
		}
		honest, err := take("honest-1", sha)
		if err != nil {
			t.Fatal(err)
		}
		var held []*jobexec.WeightsSlot
		for i := range maxWeightsTransfers - 1 {
			s, err := take("hostile-"+strconv.Itoa(i), spelled(sha, i))
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, s)
		}
		got := make(chan string, 2)
		ask := func(reader, name string) {
			if s, err := take(reader, name); err == nil {
				got <- reader
				s.Release()
			}
		}
		go ask("honest-2", sha)
		time.Sleep(600 * time.Millisecond)
		name := sha
		if upper {
			name = spelled(sha, maxWeightsTransfers)
		}
		go ask("hostile-late", name)
		time.Sleep(100 * time.Millisecond)
		held[0].Release()
		first := <-got
		for _, s := range held[1:] {
			s.Release()
		}
		honest.Release()
		<-got
		t.Logf("asking as %q: the freed slot went to %s", name, first)
		if !upper && first != "honest-2" {
			t.Fatalf("set-up: asking under the model's own name, the late hostile validator took the slot before the honest one")
		}
		if upper && first != "honest-2" {
			t.Fatalf("a hostile validator asking 0.6 s after an honest one, under an upper-cased spelling of the sha256 (%s), "+
				"took the freed slot before it: it ranks by a group no slot serves", name)
		}
	}
}

// TestAttackValidatorWhoseTransferBrokeAtTheEndRanksLast: an honest
// validator's transfer of the model breaks near its end (a network cut):
// the agent wrote the file's last bytes into the connection's buffers,
// and the PaceBook counts the whole file sent (Rank.Done), though the
// validator has none of them. It asks again, and ranks after every
// validator that is not Done: a hostile validator asking 0.6 s after it
// takes the freed slot, as would any other, for as long as any waits
// (found by review). A reader once sent the whole file is no longer ranked
// last for it (dataserver.fileProgress).
func TestAttackValidatorWhoseTransferBrokeAtTheEndRanksLast(t *testing.T) {
	scaleWeightsPaceHolding(t, 3*time.Second)
	file := bytes.Repeat([]byte("weights!"), (1<<20)/8)
	sha := workload.SHA256Hex(file)
	a, url, honest, hostile := weightsServerWithHostile(t, file, maxWeightsTransfers+1)
	ws := a.weightSlots()

	// The honest validator's first transfer: the agent sends the whole MiB
	// into the connection, which breaks before the validator reads a byte.
	req, _ := http.NewRequest(http.MethodGet, url+"/v1/models/"+sha, nil)
	if err := signedreq.Sign(req, honest, url, time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the agent wrote it all
	_ = res.Body.Close()
	for ws.InFlight() > 0 {
		time.Sleep(10 * time.Millisecond)
	}

	take := func(reader, name string) (*jobexec.WeightsSlot, error) {
		r := httptest.NewRequest(http.MethodGet, "/v1/models/"+name, nil)
		return ws.Take(httptest.NewRecorder(), r, reader, name)
	}
	var held []*jobexec.WeightsSlot
	for i := range maxWeightsTransfers {
		s, err := take(hostile[i].Address(), sha)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, s)
	}
	got := make(chan string, 2)
	ask := func(reader string) {
		if s, err := take(reader, sha); err == nil {
			got <- reader
			s.Release()
		}
	}
	go ask(honest.Address())
	time.Sleep(600 * time.Millisecond)
	late := hostile[maxWeightsTransfers].Address()
	go ask(late)
	time.Sleep(100 * time.Millisecond)
	held[0].Release()
	first := <-got
	for _, s := range held[1:] {
		s.Release()
	}
	<-got
	if first == late {
		t.Fatalf("an honest validator whose transfer of the %d-byte file broke after the agent wrote it, waiting 0.6 s before "+
			"a hostile one asked, ranked after it: the freed slot went to the hostile validator (the honest one counts as Done)", len(file))
	}
}

package provider

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload"
)

// TestAttackValidatorsKeepingThePaceHoldEveryWeightsSlot: hostile requester
// that owns its job's model and takes the weights down after the award,
// with four hostile bonded validators (far below 1/3 of the power). The
// PaceBook (dataserver/pacebook.go) and the 10 s grace
// (jobexec.WeightsGrace) stop a validator that reads nothing from holding a
// slot past its one Grace while others wait, but a validator that simply
// reads at the pace (weightsPace: 2 MiB/s, the shipped default) is never
// cut: its account earns as much time as it spends. Each of the four
// hostile validators opens its two transfers (maxWeightsTransfersPerSigner)
// and reads them at 2.4 MiB/s, so that the four hold all 8 of the
// provider's weights slots (maxWeightsTransfers) for as long as the file
// lasts at that rate: a 1 GiB model lasts 427 s, past a job's unavailable
// span (20 blocks, about 2 minutes), and a Range request from byte 0 starts
// it again without a new Grace being needed. Every honest validator is
// answered busy at every poll; none gets the weights, so no sidecar can
// share them (sidecar/peers.go), and every honest validator votes the honest
// provider UNAVAILABLE: it forfeits the job's collateral to the requester,
// which keeps the result. The hostile validators' cost: 8 × 2.4 MiB/s of
// download for the span, about 2.2 GiB in 2 minutes, ingress that is free
// on most networks.
//
// Now, while a validator waits for a slot, a transfer that has run its
// quantum (two Graces) is cut (dataserver.PaceBook.Quantum), and the slot
// goes to the validator that has waited with nothing of the file
// (jobexec.WeightsSlots): the honest validator is served.
//
// Scaled: a Grace of 1 s at the default 2 MiB/s; the honest validator asks
// every 100 ms for 6 s, 4 s past the quantum.
func TestAttackValidatorsKeepingThePaceHoldEveryWeightsSlot(t *testing.T) {
	const readRate = 12 * (2 << 20) / 10 // 2.4 MiB/s: 20% over weightsPace.Rate
	old := weightsPace
	weightsPace.Grace = time.Second // the quantum, 2 Graces: 2 s
	t.Cleanup(func() { weightsPace = old })
	if weightsPace.Rate != 2<<20 {
		t.Fatalf("set-up: weightsPace %+v, want the default 2 MiB/s", weightsPace)
	}
	file := bytes.Repeat([]byte("weights!"), (48<<20)/8)
	sha := workload.SHA256Hex(file)
	a, url, honest, hostile := weightsServerWithHostile(t, file, 4)

	ctx, cancel := context.WithCancel(context.Background())
	var holds, read, refusals atomic.Int64
	var wg sync.WaitGroup
	for _, s := range hostile {
		for range maxWeightsTransfersPerSigner {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pacedReader(ctx, s, url, sha, readRate, &holds, &read, &refusals)
			}()
		}
	}
	stop := func() { cancel(); wg.Wait() }
	defer stop()
	for deadline := time.Now().Add(5 * time.Second); a.weightSlots().InFlight() < maxWeightsTransfers; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("set-up: the hostile validators hold %d slots, want %d", a.weightSlots().InFlight(), maxWeightsTransfers)
		}
	}

	start := time.Now()
	served, busy, other := 0, 0, 0
	client := &http.Client{Timeout: 5 * time.Second}
	for time.Since(start) < weightsPace.Grace+5*time.Second {
		req, _ := http.NewRequest(http.MethodGet, url+"/v1/models/"+sha, nil)
		if err := signedreq.Sign(req, honest, url, time.Now()); err != nil {
			t.Fatal(err)
		}
		if res, err := client.Do(req); err == nil {
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			switch {
			case err == nil && res.StatusCode == http.StatusOK && bytes.Equal(body, file):
				served++
			case res.StatusCode == http.StatusServiceUnavailable:
				busy++
			default:
				other++
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	elapsed := time.Since(start)
	inFlight := a.weightSlots().InFlight()
	stop()
	if served == 0 {
		t.Fatalf("four hostile validators reading at %.1f MiB/s (the pace is %.0f MiB/s after %s) held all %d of the provider's "+
			"weights slots for %s (%d takes in all, %d refusals, %d still held at the end; %.1f MiB read, %.1f MiB/s together): "+
			"an honest validator asking every 100 ms was served 0 times, answered busy %d times (other %d); a 1 GiB model at "+
			"that rate holds a slot %s, past the unavailable span",
			float64(readRate)/(1<<20), float64(weightsPace.Rate)/(1<<20), weightsPace.Grace, maxWeightsTransfers,
			elapsed.Round(time.Millisecond), holds.Load(), refusals.Load(), inFlight, float64(read.Load())/(1<<20),
			float64(read.Load())/(1<<20)/elapsed.Seconds(), busy, other,
			(time.Duration(1<<30) * time.Second / readRate).Round(time.Second))
	}
}

// pacedReader is one of a hostile validator's readers: it takes a weights
// slot and reads the transfer at rate (bytes per second), no faster, and
// asks again at once when a transfer ends, 10 ms after a refusal.
func pacedReader(ctx context.Context, s signedreq.Signer, url, sha string, rate int64, holds, read, refusals *atomic.Int64) {
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	readLoop(ctx, client, s, url, sha, -1, rate, 10*time.Millisecond, holds, read, refusals)
}

// readLoop asks client for the weights sha until ctx ends: the whole file
// (from -1) or from byte from (Range: bytes=from-), each transfer read at
// rate, no faster, counted in holds and its bytes in read, and asked again
// at once when it ends; a refusal (an answer other than 200, or 206 to a
// Range) is counted in refusals (when not nil) and asked again after pause.
func readLoop(ctx context.Context, client *http.Client, s signedreq.Signer, url, sha string, from, rate int64, pause time.Duration, holds, read, refusals *atomic.Int64) {
	served := http.StatusOK
	if from >= 0 {
		served = http.StatusPartialContent
	}
	buf := make([]byte, 32<<10)
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/models/"+sha, nil)
		if err != nil {
			return
		}
		if from >= 0 {
			req.Header.Set("Range", "bytes="+strconv.FormatInt(from, 10)+"-")
		}
		if err := signedreq.Sign(req, s, url, time.Now()); err != nil {
			return
		}
		res, err := client.Do(req)
		if err != nil {
			continue
		}
		if res.StatusCode != served {
			if refusals != nil {
				refusals.Add(1)
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
			_ = res.Body.Close()
			time.Sleep(pause)
			continue
		}
		holds.Add(1)
		began, n := time.Now(), int64(0)
		for ctx.Err() == nil {
			if want := int64(float64(rate) * time.Since(began).Seconds()); n < want {
				m, err := res.Body.Read(buf[:min(int64(len(buf)), want-n)])
				n += int64(m)
				read.Add(int64(m))
				if err != nil {
					break
				}
				continue
			}
			time.Sleep(pause)
		}
		_ = res.Body.Close()
	}
}

// TestAttackNetworkCutLocksAnHonestValidatorOutPastTheSpan: honest
// validator, honest provider. The validator's weights transfer stops for a
// few seconds after its first MiB (a network cut on either side: the bytes
// stop flowing, the connection is kept), long enough to fall behind the
// pace by its Grace; the provider cuts the transfer (as it must) and the
// sidecar asks for the rest with a Range request (weightsFrom: a cut
// transfer is asked again from where it stopped). The PaceBook now holds
// the validator's spent account for WeightsPaceMemory (10 minutes) after its
// last transfer and answers every request 429 with Retry-After 600 while
// every slot is free: the sidecar waits min(600 s, --max-retry-after 30 s),
// is refused again, and fails that poll's fetch; at every poll of the
// unavailable span (about 2 minutes) the same, so the honest validator
// votes the honest provider UNAVAILABLE for a cut of seconds. Before the
// PaceBook each transfer had its own Grace and the Range request was served;
// now a spent account is refused only while the slots are contended
// (dataserver.PaceBook.Admit), and starts afresh otherwise.
//
// Scaled: a Grace of 1 s at the default 2 MiB/s; a cut of 6 s; the span is
// 3 s of asking again every 100 ms.
func TestAttackNetworkCutLocksAnHonestValidatorOutPastTheSpan(t *testing.T) {
	old := weightsPace
	weightsPace.Grace = time.Second
	t.Cleanup(func() { weightsPace = old })
	file := bytes.Repeat([]byte("weights!"), (32<<20)/8)
	sha := workload.SHA256Hex(file)
	a, url, honest := weightsServer(t, file)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	res := getWeights(t, client, url, sha, honest)
	have := make([]byte, 1<<20)
	if _, err := io.ReadFull(res.Body, have); err != nil {
		t.Fatal(err)
	}
	// The cut: nothing flows for 6 s; the provider drops the transfer.
	time.Sleep(6 * time.Second)
	if n := a.weightSlots().InFlight(); n != 0 {
		t.Fatalf("set-up: %d transfers still in flight after the cut, want the provider to have dropped it", n)
	}
	got, _ := io.ReadAll(res.Body) // what the connection's buffers held
	res.Body.Close()
	have = append(have, got...)

	start := time.Now()
	var statuses []int
	retryAfter := ""
	for time.Since(start) < 3*time.Second {
		req, _ := http.NewRequest(http.MethodGet, url+"/v1/models/"+sha, nil)
		req.Header.Set("Range", "bytes="+itoa(len(have))+"-")
		if err := signedreq.Sign(req, honest, url, time.Now()); err != nil {
			t.Fatal(err)
		}
		r, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		statuses = append(statuses, r.StatusCode)
		if r.StatusCode == http.StatusPartialContent && err == nil && bytes.Equal(append(have, body...), file) {
			return // resumed and served
		}
		if retryAfter == "" {
			retryAfter = r.Header.Get("Retry-After")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("an honest validator whose transfer was cut after %d bytes by a 6 s network cut asked for the rest %d times over %s "+
		"with every one of the %d slots free (%d in flight): statuses %v (first %d), Retry-After %q; never served",
		len(have), len(statuses), time.Since(start).Round(time.Millisecond), maxWeightsTransfers, a.weightSlots().InFlight(),
		uniq(statuses), statuses[0], retryAfter)
}

func itoa(n int) string { return strconv.Itoa(n) }

func uniq(s []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

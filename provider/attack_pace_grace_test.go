package provider

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/workload"
)

// TestAttackValidatorsRestartTheGraceToHoldEveryWeightsSlot: hostile
// requester that owns its job's model and takes the weights down after the
// award, with four hostile bonded validators. weightsPace lets a transfer
// take nothing for its Grace (jobexec.WeightsPace: the fetch policy's
// Timeout, 2 minutes, about the whole unavailable span), and a validator
// whose transfer is cut for falling behind asks again at once, with a fresh
// Grace: four validators, two slots each, hold all 8 of the provider's
// weights slots through the span for a request per slot per Grace and the
// bytes the connection buffers absorb, not the file at the pace's rate
// (TestAttackSlowWeightsReaderFallsBehindThePace held a slot with one
// request). No honest validator has the weights from the provider, so none
// can share them (sidecar/peers.go); every honest validator votes the honest
// provider UNAVAILABLE and it forfeits the job's collateral to the
// requester, who keeps the result. The agent now keeps each validator's
// pace across its transfers (dataserver.PaceBook): one Grace per validator
// per jobexec.WeightsPaceMemory, and a validator whose account is spent is
// refused before it takes a slot.
//
// Scaled: a Grace of 1 s for 2 minutes, 16 MiB/s.
func TestAttackValidatorsRestartTheGraceToHoldEveryWeightsSlot(t *testing.T) {
	old := weightsPace
	weightsPace = dataserver.Pace{Grace: time.Second, Rate: 16 << 20}
	t.Cleanup(func() { weightsPace = old })
	file := bytes.Repeat([]byte("weights!"), (32<<20)/8)
	sha := workload.SHA256Hex(file)
	a, url, honest := weightsServer(t, file)
	bonded := map[string]bool{honest.Address(): true}
	var hostile []signedreq.Signer
	for range 4 {
		s := signer()
		hostile = append(hostile, s)
		bonded[s.Address()] = true
	}
	a.auth.setValidators(bonded)

	ctx, cancel := context.WithCancel(context.Background())
	var holders []*weightsHolder
	var wg sync.WaitGroup
	for _, s := range hostile {
		for range maxWeightsTransfersPerSigner {
			h := &weightsHolder{signer: s, aud: url, url: url + "/v1/models/" + sha, grace: weightsPace.Grace}
			holders = append(holders, h)
			wg.Add(1)
			go func() { defer wg.Done(); h.run(ctx) }()
		}
	}
	stop := func() { cancel(); wg.Wait() }
	defer stop()
	for deadline := time.Now().Add(5 * time.Second); a.weights.InFlight() < maxWeightsTransfers; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("set-up: the hostile validators hold %d slots, want %d", a.weights.InFlight(), maxWeightsTransfers)
		}
	}

	// An honest validator asks every 50 ms for six Graces.
	start := time.Now()
	served, refused := 0, 0
	for time.Since(start) < 6*time.Second {
		req, _ := http.NewRequest(http.MethodGet, url+"/v1/models/"+sha, nil)
		if err := signedreq.Sign(req, honest, url, time.Now()); err != nil {
			t.Fatal(err)
		}
		if res, err := http.DefaultClient.Do(req); err == nil {
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err == nil && res.StatusCode == http.StatusOK && bytes.Equal(body, file) {
				served++
			} else {
				refused++
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(start)
	stop()
	var took, asks, holds int64
	var heldFor time.Duration
	for _, h := range holders {
		took += h.took
		asks += h.asks
		holds += h.holds
		heldFor += h.heldFor
	}
	// One Grace per validator: each of its readers takes a slot once, and
	// once they are cut, for falling behind, it is refused before it takes
	// one (dataserver.PaceBook), and the honest validator is served.
	if holds > int64(len(holders)) || served == 0 {
		t.Fatalf("four hostile validators asking again at every cut took the provider's %d weights slots %d times (want at most %d: "+
			"one Grace each) with %d requests over %s, and received %d bytes (%.1f MiB); the slots held %s in all (up to their last "+
			"take); an honest validator asking every 50 ms was served %d times and refused %d",
			maxWeightsTransfers, holds, len(holders), asks, elapsed.Round(time.Millisecond), took,
			float64(took)/(1<<20), heldFor.Round(time.Millisecond), served, refused)
	}
}

// weightsHolder is one of a hostile validator's readers: it takes a weights
// slot and reads nothing; from just before the Grace ends it asks again,
// back to back (refused busy while its signer holds its slots), so that it
// takes a slot again as soon as a cut frees one. It then reads what the
// connection's buffers hold of the transfer cut: the bytes it received,
// its whole cost besides the requests.
type weightsHolder struct {
	signer   signedreq.Signer
	aud, url string
	grace    time.Duration
	took     int64         // bytes received (read after run)
	asks     int64         // requests sent
	holds    int64         // slots taken
	heldFor  time.Duration // slot-time held
}

func (h *weightsHolder) run(ctx context.Context) {
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	var held *http.Response
	var heldAt time.Time
	release := func(now time.Time) {
		n, _ := io.Copy(io.Discard, held.Body)
		h.took += n
		_ = held.Body.Close()
		h.heldFor += now.Sub(heldAt)
	}
	defer func() {
		if held != nil {
			release(time.Now())
		}
	}()
	for ctx.Err() == nil {
		if held != nil {
			if wait := time.Until(heldAt.Add(h.grace * 9 / 10)); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url, nil)
		if err != nil {
			return
		}
		if err := signedreq.Sign(req, h.signer, h.aud, time.Now()); err != nil {
			return
		}
		h.asks++
		res, err := client.Do(req)
		if err != nil {
			continue
		}
		if res.StatusCode != http.StatusOK {
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
			_ = res.Body.Close()
			continue
		}
		now := time.Now()
		if held != nil {
			release(now)
		}
		held, heldAt = res, now
		h.holds++
	}
}

package sidecar

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/testutil/signedhttp"
)

// Four hostile validators hold every weights slot of an honest sidecar for
// as long as they like, at almost no cost: the pace floor (peerPace) lets a
// transfer take nothing for its Grace, and a validator whose transfer was
// cut for falling behind asks again at once, with a fresh Grace. Each
// holds its slot a Grace (10 s in production) per request, taking only
// what the connection's buffers absorb, not the file's bandwidth at
// peerPace.Rate (16 MiB/s) that the pace was meant to charge
// (TestAttackFourValidatorsHoldEverySlotOfASidecar held a slot with one
// long request; this one holds it with a request per Grace). While they
// do, no honest validator is served the weights by this sidecar, so the
// weights sharing between sidecars stops, and the job's provider alone has
// to send them to every validator within the unavailable span. The sidecar
// now keeps each validator's pace across its transfers
// (dataserver.PaceBook): while others wait for a slot, a validator whose
// account is spent ranks after every validator whose account is not
// (jobexec.WeightsSlots), so it has one Grace while others wait.
func TestAttackValidatorsRestartTheGraceToHoldEverySlot(t *testing.T) {
	old := peerPace
	peerPace = dataserver.Pace{Grace: time.Second, Rate: 16 << 20}
	t.Cleanup(func() { peerPace = old })
	data, sha, open := peerFileOf(t, 4<<20) // 32 MiB: more than the connection buffers
	honest := newSigner()
	bonded := []signedreq.Signer{honest}
	var hostile []signedreq.Signer
	for range 4 {
		hostile = append(hostile, newSigner())
	}
	ts, _ := weightsServer(t, open, append(bonded, hostile...)...)
	url := ts.URL + "/v1/models/" + sha
	aud, err := signedreq.Audience(ts.URL)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	holders := make([]*signedhttp.SlotHolder, len(hostile))
	var wg sync.WaitGroup
	for i, h := range hostile {
		holders[i] = &signedhttp.SlotHolder{Signer: h, Aud: aud, URL: url, Grace: peerPace.Grace}
		wg.Add(1)
		go func() { defer wg.Done(); holders[i].Run(ctx) }()
	}
	stop := func() { cancel(); wg.Wait() }
	defer stop()

	// The hostile validators hold every slot.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n := 0
		for _, h := range holders {
			if h.Holding() {
				n++
			}
		}
		if n == len(holders) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("set-up: the hostile validators hold %d slots, want 4", n)
		}
	}

	// An honest validator asks every 50 ms for 6 s: six Graces.
	start := time.Now()
	served, refused := 0, 0
	var servedAt []time.Time
	for time.Since(start) < 6*time.Second {
		code, body := signedhttp.Do(t, signedGet(t, honest, ts.URL, url))
		if code == http.StatusOK && bytes.Equal(body, data) {
			served++
			servedAt = append(servedAt, time.Now())
		} else {
			refused++
		}
		time.Sleep(50 * time.Millisecond)
	}
	wait := signedhttp.LongestWait(start, time.Now(), servedAt)
	stop()
	t.Logf("the honest validator was served %d times; its longest wait %s", served, wait.Round(time.Millisecond))
	var took, asks, holds int64
	var heldFor time.Duration
	for _, h := range holders {
		took += h.Took
		asks += h.Asks
		holds += h.Holds
		heldFor += h.HeldFor
	}
	// One Grace per validator while others wait: once it is cut, for
	// falling behind, it ranks after the honest validator, which waits at
	// most about a Grace (the hostile ones'), and some slack.
	if wait > 3*peerPace.Grace {
		t.Fatalf("four hostile validators asking again at every cut took this sidecar's %d slots %d times with %d requests over %s, "+
			"and received %d bytes (%.1f MiB); the slots held %s in all (up to their last take); an honest validator asking every "+
			"50 ms was served %d times and refused %d, and went %s without being served (want at most %s: three Graces)",
			maxPeerTransfers, holds, asks, time.Since(start).Round(time.Millisecond), took, float64(took)/(1<<20),
			heldFor.Round(time.Millisecond), served, refused, wait.Round(time.Millisecond), 3*peerPace.Grace)
	}
}

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
	"github.com/aichain/aichain/testutil/signedhttp"
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
// pace across its transfers (dataserver.PaceBook): while others wait for a
// slot, a validator whose account is spent ranks after every validator
// whose account is not (jobexec.WeightsSlots), so it has one Grace while
// others wait.
//
// Scaled: a Grace of 1 s for 2 minutes, 16 MiB/s.
func TestAttackValidatorsRestartTheGraceToHoldEveryWeightsSlot(t *testing.T) {
	old := weightsPace
	weightsPace = dataserver.Pace{Grace: time.Second, Rate: 16 << 20}
	t.Cleanup(func() { weightsPace = old })
	file := bytes.Repeat([]byte("weights!"), (32<<20)/8)
	sha := workload.SHA256Hex(file)
	a, url, honest, hostile := weightsServerWithHostile(t, file, 4)

	ctx, cancel := context.WithCancel(context.Background())
	var holders []*signedhttp.SlotHolder
	var wg sync.WaitGroup
	for _, s := range hostile {
		for range maxWeightsTransfersPerSigner {
			h := &signedhttp.SlotHolder{Signer: s, Aud: url, URL: url + "/v1/models/" + sha, Grace: weightsPace.Grace}
			holders = append(holders, h)
			wg.Add(1)
			go func() { defer wg.Done(); h.Run(ctx) }()
		}
	}
	stop := func() { cancel(); wg.Wait() }
	defer stop()
	for deadline := time.Now().Add(5 * time.Second); a.weightSlots().InFlight() < maxWeightsTransfers; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("set-up: the hostile validators hold %d slots, want %d", a.weightSlots().InFlight(), maxWeightsTransfers)
		}
	}

	// An honest validator asks every 50 ms for six Graces.
	start := time.Now()
	served, refused := 0, 0
	var servedAt []time.Time
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
				servedAt = append(servedAt, time.Now())
			} else {
				refused++
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(start)
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
	if wait > 3*weightsPace.Grace {
		t.Fatalf("four hostile validators asking again at every cut took the provider's %d weights slots %d times with %d requests "+
			"over %s, and received %d bytes (%.1f MiB); the slots held %s in all (up to their last take); an honest validator asking "+
			"every 50 ms was served %d times and refused %d, and went %s without being served (want at most %s: three Graces)",
			maxWeightsTransfers, holds, asks, elapsed.Round(time.Millisecond), took, float64(took)/(1<<20),
			heldFor.Round(time.Millisecond), served, refused, wait.Round(time.Millisecond), 3*weightsPace.Grace)
	}
}

// weightsServerWithHostile is weightsServer serving file with n more bonded
// validators besides the honest one: the hostile ones' signers.
func weightsServerWithHostile(t *testing.T, file []byte, n int) (*Agent, string, signedreq.Signer, []signedreq.Signer) {
	t.Helper()
	a, url, honest := weightsServer(t, file)
	bonded := map[string]bool{honest.Address(): true}
	var hostile []signedreq.Signer
	for range n {
		s := signer()
		hostile = append(hostile, s)
		bonded[s.Address()] = true
	}
	a.auth.setValidators(bonded)
	return a, url, honest, hostile
}

package provider

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload"
)

// TestAttackValidatorsWaitingTogetherGetNoWholeCopyWithinTheSpan: hostile
// requester that owns its job's model and takes the weights down after the
// award; every validator is honest. All of them ask the provider at once,
// and the weights are large, so every transfer runs past its quantum
// (three Graces then) while others wait. The agent cut each at its quantum and
// then refused its validator (429) until no validator had been turned away
// for a Grace: with a few dozen validators asking, every validator was
// served one quantum before any was served a second, so none had the whole
// file until all had had a turn, and none could share it with the others
// (sidecar/peers.go) within the unavailable span: every validator votes the
// honest provider UNAVAILABLE, it forfeits its collateral, and the
// requester keeps the result. A freed slot now goes to the waiting
// validator with the most of the file (jobexec.WeightsSlots), and one cut
// for others asking for the rest at once keeps its turn: the uplink
// completes copies.
//
// Scaled by 1/20: 48 validators, each reading at 8 MiB/s (the uplink
// shared by the 8 slots), a 24 MiB file (3 s at that rate: two quanta of
// 1.5 s then, three of 1 s now), a span of 6 s; a busy answer is asked
// again 50 ms later (the sidecar's 1 s Retry-After). The first whole copy
// must come within the span, twice the file's time: it came after 11 s,
// and now after 3.1-3.9 s beside the end-to-end tests' chains (8.9 s and
// 9.9 s without slots.Rank.Fast). Until 2026-12-06 the test read at
// 16 MiB/s a 48 MiB file, whose 128 MiB/s through loopback HTTP the host's
// 2 cores could not carry beside two four-validator networks: no copy
// within 15 s in most runs, the agent's rules unchanged.
func TestAttackValidatorsWaitingTogetherGetNoWholeCopyWithinTheSpan(t *testing.T) {
	honestCrowdGetsACopyWithinTheSpan(t, 48, 8<<20, 24<<20)
}

// TestAttackHonestValidatorsOnSlowerLinksRotateWithoutACopy: no hostile
// validator (found by review of 5098c93): 48 honest validators, each
// reading at 4 MiB/s (the provider's uplink shared by its 8 slots: 256
// Mbit/s), a 12 MiB file (3 s at that rate). A validator cut at its first
// quantum ranked by its recent bytes, 4 MiB/s × 1 s × 2 (1 − e^(−1/2)) =
// 3.1 MiB, and no longer aged, where every waiting validator had aged
// 4 MiB/s × 1 s = 4 MiB by then: the slots went round all 48 a quantum
// at a time, and no validator had a copy within 9 s (2 runs of 2). On the
// real constants the same held for every validator whose share of the
// uplink was under about 5 MiB/s: the honest provider is voted
// UNAVAILABLE. A validator resuming at 1.5 × the pace or more now keeps
// its turn (slots.Rank.Fast).
func TestAttackHonestValidatorsOnSlowerLinksRotateWithoutACopy(t *testing.T) {
	honestCrowdGetsACopyWithinTheSpan(t, 48, 4<<20, 12<<20)
}

// honestCrowdGetsACopyWithinTheSpan has n honest validators, each reading at
// readRate, ask the provider together for a file of size bytes, its
// Grace scaled to 0.5 s, and fails unless the first whole copy comes
// within the span: twice the file's time at readRate.
func honestCrowdGetsACopyWithinTheSpan(t *testing.T, n int, readRate int64, size int) {
	honestCrowdOnSlots(t, maxWeightsTransfers, n, readRate, size)
}

// honestCrowdOnSlots is honestCrowdGetsACopyWithinTheSpan with the agent's
// weights slots (Config.WeightsSlots).
func honestCrowdOnSlots(t *testing.T, slots, n int, readRate int64, size int) {
	scaleWeightsPace(t)
	file := bytes.Repeat([]byte("weights!"), size/8)
	sha := workload.SHA256Hex(file)
	a, url, first, others := weightsServerWithHostile(t, file, n-1)
	a.cfg.WeightsSlots = slots
	validators := append([]signedreq.Signer{first}, others...)
	fileTime := time.Duration(len(file)) * time.Second / time.Duration(readRate)

	ctx, cancel := context.WithTimeout(context.Background(), 5*fileTime)
	defer cancel()
	start := time.Now()
	whole := make([]time.Duration, len(validators))
	stats := make([]readerStats, len(validators))
	peak := peakInFlight(a)
	var wg sync.WaitGroup
	for i, v := range validators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			whole[i], stats[i] = sidecarLikeReader(ctx, v, url, sha, file, readRate)
		}()
	}
	wg.Wait()
	if p := peak(); p != slots {
		t.Fatalf("set-up: at most %d weights transfers at once, want the agent's %d slots", p, slots)
	}
	var done []time.Duration
	for _, d := range whole {
		if d > 0 {
			done = append(done, d)
		}
	}
	slices.Sort(done)
	var all readerStats
	for _, s := range stats {
		all.served, all.busy, all.behind, all.cuts = all.served+s.served, all.busy+s.busy, all.behind+s.behind, all.cuts+s.cuts
	}
	t.Logf("%d validators at %d MiB/s, the file %s at that rate: whole copies after %v (of %s); %d transfers, %d cut, %d busy, %d behind the pace",
		len(validators), readRate>>20, fileTime, roundAll(done), time.Since(start).Round(time.Millisecond), all.served, all.cuts, all.busy, all.behind)
	if len(done) == 0 || done[0] > 2*fileTime {
		firstCopy := "none"
		if len(done) > 0 {
			firstCopy = done[0].Round(time.Millisecond).String()
		}
		t.Fatalf("%d honest validators reading at %d MiB/s asking the provider together: the first whole copy of a file each reads in %s came after %s "+
			"(want at most %s); %d transfers, %d cut for others, %d answered busy, %d refused as behind the pace",
			len(validators), readRate>>20, fileTime, firstCopy, 2*fileTime, all.served, all.cuts, all.busy, all.behind)
	}
}

// peakInFlight samples the agent's weights transfers under way until the
// returned func is called, which returns the most seen at once.
func peakInFlight(a *Agent) func() int {
	ws := a.weightSlots()
	stop, done := make(chan struct{}), make(chan int)
	go func() {
		peak := 0
		for {
			peak = max(peak, ws.InFlight())
			select {
			case <-stop:
				done <- peak
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() int { close(stop); return <-done }
}

// readerStats counts a sidecarLikeReader's answers.
type readerStats struct{ served, busy, behind, cuts int }

// heldPrefix is what a reader holds of file: its first pos bytes, ok while
// every byte it was sent matched the file's.
type heldPrefix struct {
	file []byte
	pos  int
	ok   bool
}

func (h *heldPrefix) reset() { h.pos, h.ok = 0, true }

// add appends b to what is held.
func (h *heldPrefix) add(b []byte) {
	end := h.pos + len(b)
	h.ok = h.ok && end <= len(h.file) && bytes.Equal(b, h.file[h.pos:end])
	h.pos = end
}

// sidecarLikeReader asks for file as a sidecar's weights mirror does
// (sidecar/mirror.go): it reads a transfer at rate, asks at once for the
// rest of one cut after it brought bytes (a Range request), and asks again
// 50 ms after a busy answer (its Retry-After, scaled). It returns when it
// has the whole file (how long that took) or ctx ends (0).
func sidecarLikeReader(ctx context.Context, s signedreq.Signer, url, sha string, file []byte, rate int64) (time.Duration, readerStats) {
	return resumeReader(ctx, s, url, sha, file, nil, rate)
}

// resumeReader is sidecarLikeReader holding have of the file already. It
// checks each piece against the file as it comes and keeps only where it
// is: gathering the bytes took most of these tests' CPU (growslice), which
// they need for the transfers they time.
func resumeReader(ctx context.Context, s signedreq.Signer, url, sha string, file, have []byte, rate int64) (time.Duration, readerStats) {
	h := heldPrefix{file: file, pos: len(have), ok: len(have) <= len(file) && bytes.Equal(have, file[:len(have)])}
	start := time.Now()
	var st readerStats
	client := smallBufferClient()
	defer client.CloseIdleConnections()
	buf := make([]byte, 32<<10)
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/models/"+sha, nil)
		if err != nil {
			return 0, st
		}
		if h.pos > 0 {
			req.Header.Set("Range", "bytes="+strconv.Itoa(h.pos)+"-")
		}
		if err := signedreq.Sign(req, s, url, time.Now()); err != nil {
			return 0, st
		}
		res, err := client.Do(req)
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusPartialContent {
			switch res.StatusCode {
			case http.StatusServiceUnavailable:
				st.busy++
			case http.StatusTooManyRequests:
				st.behind++
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
			_ = res.Body.Close()
			time.Sleep(50 * time.Millisecond)
			continue
		}
		st.served++
		if res.StatusCode == http.StatusOK {
			h.reset()
		}
		began, n := time.Now(), int64(0)
		for ctx.Err() == nil {
			if want := int64(float64(rate) * time.Since(began).Seconds()); n < want {
				m, err := res.Body.Read(buf[:min(int64(len(buf)), want-n)])
				n += int64(m)
				h.add(buf[:m])
				if err != nil {
					if err != io.EOF {
						st.cuts++
					}
					break
				}
				continue
			}
			time.Sleep(5 * time.Millisecond)
		}
		_ = res.Body.Close()
		if h.pos == len(file) && h.ok {
			return time.Since(start), st
		}
		if h.pos > len(file) {
			h.reset()
		}
	}
	return 0, st
}

func roundAll(ds []time.Duration) string {
	var b bytes.Buffer
	for i, d := range ds {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprint(&b, d.Round(100*time.Millisecond))
	}
	return b.String()
}

// TestAttackPaceKeepersClimbingTheFileStarveANewcomer: hostile requester
// that owns its job's model and takes the weights down after the award,
// with twelve hostile bonded validators. Each reads its two transfers at
// just over the pace and asks for the rest of each cut transfer (a Range
// request) at once. Given to whoever asked first, a freed slot went to the
// hostile validators asking back to back: in two runs of three the honest
// validator was not served within 9 s. Given to the waiting validator with
// the most of the file, the climbers' progress, a little more at each
// turn, ranked every one of them ahead of an honest validator that asked
// a moment later with nothing yet: it was never served (the first version
// of jobexec.WeightsSlots). Either way it votes the honest provider
// UNAVAILABLE and the provider forfeits its collateral. Now a validator
// with nothing of the file gains rank at twice the pace while it waits,
// and one holding a slot ranks after one holding none: the honest
// validator passes the validators that only keep the pace (4.7 s here).
//
// Scaled by 1/20 as TestAttackValidatorsWaitingTogetherGetNoWholeCopyWithinTheSpan:
// the honest validator reads at 8 MiB/s and must have the 24 MiB file
// within the span, 6 s.
func TestAttackPaceKeepersClimbingTheFileStarveANewcomer(t *testing.T) {
	climbersStarveANewcomer(t, 12, maxWeightsTransfersPerSigner, 12*(2<<20)/10) // 2.4 MiB/s: 20% over weightsPace.Rate
}

// TestAttackClimbersJustOverTheFastRateHoldEverySlot: as
// TestAttackPaceKeepersClimbingTheFileStarveANewcomer, with eight hostile
// validators, one transfer each (a validator holding a slot ranks after
// one holding none, so each holds one), reading at 1.6 × the pace: over
// the rate at which a validator resuming a file keeps its turn
// (slots.Rank.Fast), which the server cannot tell from an honest
// validator's on a slow link. Keeping its turn at that rate for as long as
// the file lasted, they held every slot for the 7.5 s the 24 MiB file takes
// at 3.2 MiB/s, past the 6 s span: the honest validator had the file after
// 9 s (found building Rank.Fast). Now a validator keeps its turn only near
// enough the end to have the rest within three quanta at its rate
// (PaceBook.FastHorizon): 4.8-4.9 s.
func TestAttackClimbersJustOverTheFastRateHoldEverySlot(t *testing.T) {
	climbersStarveANewcomer(t, maxWeightsTransfers, 1, 16*(2<<20)/10)
}

// climbersStarveANewcomer has n hostile validators read per transfers each
// of a 24 MiB file at paceRead, climbing it again once they have it, and an
// honest validator that asks a Grace later at 8 MiB/s; it fails unless the
// honest validator has the file within the span, twice its time.
func climbersStarveANewcomer(t *testing.T, n, per int, paceRead int64) {
	const readRate = 8 << 20
	scaleWeightsPace(t)
	if weightsPace.Rate != 2<<20 {
		t.Fatalf("set-up: weightsPace %+v, want the default 2 MiB/s", weightsPace)
	}
	file := bytes.Repeat([]byte("weights!"), (24<<20)/8)
	sha := workload.SHA256Hex(file)
	_, url, honest, hostile := weightsServerWithHostile(t, file, n)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	hostileStats := make([]readerStats, n*per)
	for i, s := range hostile {
		for j := range per {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil { // climb the file again once it has it
					_, hostileStats[per*i+j] = sidecarLikeReader(ctx, s, url, sha, file, paceRead)
				}
			}()
		}
	}
	stop := func() { cancel(); wg.Wait() }
	defer stop()
	time.Sleep(weightsPace.Grace) // the hostile validators ask first

	honestWithinTheSpan(t, url, honest, sha, file, readRate, func() string {
		stop()
		var hs readerStats
		for _, s := range hostileStats {
			hs.served, hs.busy, hs.cuts = hs.served+s.served, hs.busy+s.busy, hs.cuts+s.cuts
		}
		return fmt.Sprintf("%d hostile validators reading at %.1f MiB/s (the pace is 2 MiB/s) and resuming each cut transfer, their last climbs: %d transfers, %d cut, %d busy",
			n, float64(paceRead)/(1<<20), hs.served, hs.cuts, hs.busy)
	})
}

// honestWithinTheSpan has honest read file (sha) at readRate while hostile
// validators read, then calls stop, which stops them and says what they
// did, and fails unless the honest validator had the file within the span:
// twice the file's time at readRate (it gives up after three).
func honestWithinTheSpan(t *testing.T, url string, honest signedreq.Signer, sha string, file []byte, readRate int64, stop func() string) {
	t.Helper()
	honestWithin(t, url, honest, sha, file, readRate, 2*time.Duration(len(file))*time.Second/time.Duration(readRate), stop)
}

// honestWithin is honestWithinTheSpan with the span given.
func honestWithin(t *testing.T, url string, honest signedreq.Signer, sha string, file []byte, readRate int64, span time.Duration, stop func() string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*span/2)
	defer cancel()
	// The honest validator's link has 5% of headroom over readRate, from
	// which the span is counted: a 24 MiB file at 8 MiB/s is exactly three
	// scaled quanta, and a transfer woken for its turn on two loaded cores
	// started some tens of milliseconds after its quantum, a second of a
	// real 20 s one (a real link loses a round trip): the copy needed a
	// fourth transfer and missed the span by 0.05-0.1 s in CI, with no
	// attack (ca5697a, 224a385). The attacks these tests catch cost it
	// 0.7-3 s.
	took, st := sidecarLikeReader(ctx, honest, url, sha, file, readRate*21/20)
	hostile := stop()
	t.Logf("the honest validator had the file after %s (0: never): %d transfers, %d cut, %d busy, %d behind; %s",
		took.Round(time.Millisecond), st.served, st.cuts, st.busy, st.behind, hostile)
	if took == 0 || took > span {
		t.Fatalf("%s: an honest validator reading at %d MiB/s had the %d MiB file after %s (0: not within %s), want within the span %s; "+
			"it was served %d transfers, %d cut, answered busy %d times",
			hostile, readRate>>20, len(file)>>20, took.Round(time.Millisecond), 3*span/2, span, st.served, st.cuts, st.busy)
	}
}

// smallBufferClient is a client with a small receive buffer: the bytes a
// cut transfer's reader drains after the cut are a fraction of a quantum,
// as on a real link (megabytes of loopback buffer at 8 MiB/s are half the
// scaled quantum).
func smallBufferClient() *http.Client {
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 128<<10)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	return &http.Client{Transport: &http.Transport{DisableCompression: true, DialContext: dialer.DialContext}}
}

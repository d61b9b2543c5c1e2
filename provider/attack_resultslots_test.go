package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/signedhttp"
)

// resultSlots is a chunk server holding an honest requester's job (id 1,
// one chunk) and one job per attacker address (ids 2…, one chunk of
// attackerChunk bytes each), with cmd/aichain-provider's server timeouts
// (WriteTimeout 60 s, unscaled: longer than the tests) and its connections'
// send buffers scaled (scaledSendBufferListener).
type resultSlots struct {
	a         *Agent
	url       string
	honest    signedreq.PrivKeySigner
	chunk     []byte // the honest job's chunk
	root      []byte // the honest job's output root
	attackers []signedreq.PrivKeySigner
}

func newResultSlots(t *testing.T, attackers, attackerChunk int) *resultSlots {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	hs.Listener = scaledSendBufferListener{hs.Listener}
	url := "http://" + hs.Listener.Addr().String()
	a := &Agent{cfg: Config{Endpoint: url}, chunks: NewChunkStore(t.TempDir(), 1<<20), metrics: NewMetrics(),
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	a.auth = newAuthorizer(a, "aic")
	s := &resultSlots{a: a, url: url, honest: signer(), chunk: bytes.Repeat([]byte("honest result..."), (1<<20)/16)}
	s.root = serveJob(t, a, 1, s.honest.Address(), s.chunk)
	big := bytes.Repeat([]byte("cheap job chunk!"), attackerChunk/16)
	for i := range attackers {
		s.attackers = append(s.attackers, signer())
		serveJob(t, a, uint64(i+2), s.attackers[i].Address(), big)
	}
	hs.Config.Handler = a.Handler()
	hs.Config.ReadHeaderTimeout, hs.Config.ReadTimeout, hs.Config.WriteTimeout = 5*time.Second, 10*time.Second, 60*time.Second
	hs.Start()
	t.Cleanup(hs.Close)
	return s
}

// serveJob puts a job of requester, executed, with the one chunk, in a's
// chunk store and authorizer, and returns its output root.
func serveJob(t *testing.T, a *Agent, id uint64, requester string, chunk []byte) []byte {
	t.Helper()
	tree, err := a.chunks.Put(id, [][]byte{chunk})
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Root()
	a.auth.addJob(&Record{ID: id, Requester: requester, Phase: PhaseExecuted, OutputRoot: root[:], ChunkCount: 1, ChunkBytes: uint64(len(chunk))})
	return root[:]
}

func (s *resultSlots) chunkURL(id uint64) string {
	return s.url + "/v1/jobs/" + strconv.FormatUint(id, 10) + "/chunks/0"
}

// honestDownload is the honest requester's download of its chunk, as
// `aichaind q compute result` asks for it: again after each busy answer,
// when its Retry-After says (scaled: at most 100 ms), until ctx ends. It
// returns the chunk, verified against the job's root, or why not, with the
// answers it got.
func (s *resultSlots) honestDownload(ctx context.Context) (data []byte, asks, busy int, err error) {
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	for {
		req, rerr := http.NewRequestWithContext(ctx, http.MethodGet, s.chunkURL(1), nil)
		if rerr != nil {
			return nil, asks, busy, rerr
		}
		if err := signedreq.Sign(req, s.honest, s.url, time.Now()); err != nil {
			return nil, asks, busy, err
		}
		asks++
		res, err := client.Do(req)
		if err != nil {
			return nil, asks, busy, err
		}
		if res.StatusCode == http.StatusOK {
			var cr jobexec.ChunkResponse
			err := json.NewDecoder(res.Body).Decode(&cr)
			_ = res.Body.Close()
			if err == nil {
				err = cr.Verify(s.root, 1, 0)
			}
			return cr.Data, asks, busy, err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
		_ = res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable && res.StatusCode != http.StatusTooManyRequests {
			return nil, asks, busy, fmt.Errorf("HTTP %d", res.StatusCode)
		}
		busy++
		wait := min(max(dataserver.ParseRetryAfter(res.Header.Get("Retry-After"), time.Now()), 10*time.Millisecond), 100*time.Millisecond)
		select {
		case <-ctx.Done():
			return nil, asks, busy, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// scaleChunkPace sets the chunk transfers' pace to a Grace of 300 ms at
// 1 MiB/s for the test (10 s at 256 KiB/s shipped).
func scaleChunkPace(t *testing.T) {
	t.Helper()
	old := chunkPace
	chunkPace = dataserver.Pace{Grace: 300 * time.Millisecond, Rate: 1 << 20}
	t.Cleanup(func() { chunkPace = old })
}

// TestAttackSlowRequestersHoldEveryResultDownloadSlot: eight addresses, each
// the requester of a cheap job at this provider with a 16 MiB chunk
// (scaled: 4 MiB), ask for their chunks and read nothing
// (signedhttp.SlotHolder), two at a time each (maxChunkTransfersPerSigner),
// and ask again back to back from just before the pace's Grace: all 16 of
// the requesters' chunk slots (chunkTransfersFor(false)) are held. A chunk
// transfer had no minimum read rate, only the server's 60 s WriteTimeout,
// and a freed slot went to whichever asked first: every other requester
// was answered busy for as long as the attackers' chunks were kept
// (--retention, 24 h), and `aichaind q compute result` gave up after three
// busy answers, so a victim lost a result it paid for. Now a chunk
// transfer keeps a pace (chunkPace: dataserver.PaceBook, the weights
// route's), and a requester that waits is handed the next freed slot
// before those holding more (slots.Queue): the honest requester is served
// within a few Graces.
//
// Scaled: the pace's Grace is 300 ms at 1 MiB/s (10 s at 256 KiB/s
// shipped); the bound is 5 s, far below the 60 s WriteTimeout.
func TestAttackSlowRequestersHoldEveryResultDownloadSlot(t *testing.T) {
	const attackers, bound = 8, 5 * time.Second
	scaleChunkPace(t)
	s := newResultSlots(t, attackers, 4<<20)

	ctx, cancel := context.WithCancel(context.Background())
	var holders []*signedhttp.SlotHolder
	var wg sync.WaitGroup
	for i, who := range s.attackers {
		for range maxChunkTransfersPerSigner {
			h := &signedhttp.SlotHolder{Signer: who, Aud: s.url, URL: s.chunkURL(uint64(i + 2)), Grace: chunkPace.Grace}
			holders = append(holders, h)
			wg.Add(1)
			go func() { defer wg.Done(); h.Run(ctx) }()
		}
	}
	stop := func() { cancel(); wg.Wait() }
	defer stop()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
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
			t.Fatalf("set-up: %d of the %d slow readers took a chunk slot", n, len(holders))
		}
	}

	start := time.Now()
	dctx, dcancel := context.WithTimeout(context.Background(), bound)
	data, asks, busy, err := s.honestDownload(dctx)
	dcancel()
	took := time.Since(start)
	stop()
	var holds, readerAsks int64
	for _, h := range holders {
		holds, readerAsks = holds+h.Holds, readerAsks+h.Asks
	}
	if readerAsks <= int64(len(holders)) {
		t.Fatalf("set-up: the slow readers asked %d times, no more than once each: they did not keep asking", readerAsks)
	}
	if err != nil || !bytes.Equal(data, s.chunk) {
		t.Fatalf("%d requesters reading nothing of their chunks, %d transfers each, held every one of the %d requesters' chunk slots: "+
			"the honest requester asked %d times in %s (answered busy %d times) and has %d of its %d bytes (%v); the slow readers "+
			"took %d slots in %d requests, each held until the server's write timeout (60 s) or their next take",
			attackers, maxChunkTransfersPerSigner, chunkTransfersFor(false), asks, took.Round(time.Millisecond), busy,
			len(data), len(s.chunk), err, holds, readerAsks)
	}
	t.Logf("honest requester served in %s after %d asks (%d busy); the slow readers took %d slots in %d requests",
		took.Round(time.Millisecond), asks, busy, holds, readerAsks)
}

// TestPaceKeepingRequestersLeaveTheNextResultSlotToTheOneWaiting: the same
// eight addresses read their chunks (2 MiB, scaled) at 1.25 × the pace, so
// that no transfer of theirs is cut, four readers each: two holding their
// slots, and two asking again every millisecond for the next slots that free.
// A freed slot went to whichever asked first, and the attackers ask a hundred
// times as often as an honest requester waiting out its Retry-After; now
// the requester waiting with none in flight is handed it before those that
// hold one (slots.Queue), within a transfer at the pace of the attackers'
// chunk (Grace + its bytes / Rate) of its asking.
func TestPaceKeepingRequestersLeaveTheNextResultSlotToTheOneWaiting(t *testing.T) {
	const attackers, size = 8, 2 << 20
	scaleChunkPace(t)
	s := newResultSlots(t, attackers, size)
	rate := chunkPace.Rate * 5 / 4
	bound := chunkPace.End(size*4/3) + 2*time.Second

	ctx, cancel := context.WithCancel(context.Background())
	var holding, transfers, refusals atomic.Int64
	var wg sync.WaitGroup
	for i, who := range s.attackers {
		for range 2 * maxChunkTransfersPerSigner {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pacedChunkReader(ctx, who, s.url, s.chunkURL(uint64(i+2)), rate, &holding, &transfers, &refusals)
			}()
		}
	}
	stop := func() { cancel(); wg.Wait() }
	defer stop()
	for deadline := time.Now().Add(10 * time.Second); holding.Load() < int64(chunkTransfersFor(false)); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("set-up: the attackers hold %d chunk slots, want %d", holding.Load(), chunkTransfersFor(false))
		}
	}

	start := time.Now()
	dctx, dcancel := context.WithTimeout(context.Background(), bound)
	data, asks, busy, err := s.honestDownload(dctx)
	dcancel()
	took := time.Since(start)
	stop()
	if err != nil || !bytes.Equal(data, s.chunk) {
		t.Fatalf("%d requesters reading their %d MiB chunks at %.2f MiB/s (the pace: %.2f MiB/s after %s), two readers each asking "+
			"every millisecond for the next freed slot: the honest requester asked %d times in %s (answered busy %d times) and has %d of its "+
			"%d bytes (%v); the attackers made %d transfers, refused %d times",
			attackers, size>>20, float64(rate)/(1<<20), float64(chunkPace.Rate)/(1<<20), chunkPace.Grace, asks, took.Round(time.Millisecond),
			busy, len(data), len(s.chunk), err, transfers.Load(), refusals.Load())
	}
	t.Logf("honest requester served in %s (bound %s) after %d asks; the attackers made %d transfers, refused %d times",
		took.Round(time.Millisecond), bound, asks, transfers.Load(), refusals.Load())
}

// pacedChunkReader is one of a hostile requester's readers: it asks for
// the chunk at url and reads each transfer at rate (bytes per second), no
// faster, asking again at once when one ends and 1 ms after a refusal.
// holding counts the transfers under way.
func pacedChunkReader(ctx context.Context, who signedreq.Signer, aud, url string, rate int64, holding, transfers, refusals *atomic.Int64) {
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	buf := make([]byte, 16<<10)
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil || signedreq.Sign(req, who, aud, time.Now()) != nil {
			return
		}
		res, err := client.Do(req)
		if err != nil {
			continue
		}
		if res.StatusCode != http.StatusOK {
			refusals.Add(1)
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
			_ = res.Body.Close()
			select {
			case <-ctx.Done():
			case <-time.After(time.Millisecond):
			}
			continue
		}
		holding.Add(1)
		transfers.Add(1)
		began, n := time.Now(), int64(0)
		for ctx.Err() == nil {
			if want := int64(float64(rate) * time.Since(began).Seconds()); n < want {
				m, err := res.Body.Read(buf[:min(int64(len(buf)), want-n)])
				n += int64(m)
				if err != nil {
					break
				}
				continue
			}
			time.Sleep(5 * time.Millisecond)
		}
		holding.Add(-1)
		_ = res.Body.Close()
	}
}

package jobexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
)

// pacedFile serves file at about 2 MiB/s, honouring Range requests unless
// ignoreRange; it records each request's Range header and bytes sent.
type pacedFile struct {
	file        atomic.Pointer[[]byte]
	ignoreRange bool
	mu          sync.Mutex
	ranges      []string
	sent        []int64
	// serving counts the handlers running: a client can read the last
	// bytes before their handler has counted them.
	serving sync.WaitGroup
}

func (s *pacedFile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serving.Add(1)
	defer s.serving.Done()
	file := *s.file.Load()
	from := 0
	rg := r.Header.Get("Range")
	if v, ok := strings.CutPrefix(rg, "bytes="); ok && !s.ignoreRange {
		from, _ = strconv.Atoi(strings.TrimSuffix(v, "-"))
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(file)-1, len(file)))
		w.Header().Set("Content-Length", strconv.Itoa(len(file)-from))
		w.WriteHeader(http.StatusPartialContent)
	}
	s.mu.Lock()
	s.ranges, s.sent = append(s.ranges, rg), append(s.sent, 0)
	i := len(s.sent) - 1
	s.mu.Unlock()
	for b := file[from:]; len(b) > 0; b = b[min(len(b), 32<<10):] {
		n, err := w.Write(b[:min(len(b), 32<<10)])
		s.mu.Lock()
		s.sent[i] += int64(n)
		s.mu.Unlock()
		if err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(15 * time.Millisecond):
		}
	}
}

func (s *pacedFile) log() ([]string, []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...), append([]int64(nil), s.sent...)
}

// settled is log once every handler has returned, for a fetch that has
// ended on the client's side.
func (s *pacedFile) settled() ([]string, []int64) {
	s.serving.Wait()
	return s.log()
}

// cutOnce fetches the weights of s's file into p under a context cut
// once s has sent n bytes, and checks that the fetch was cut with bytes
// kept.
func cutOnce(t *testing.T, s *pacedFile, r *ChainResolver, p *PartialFetch, sha, uri string, n int64) {
	t.Helper()
	ctx, cut := context.WithCancel(context.Background())
	defer cut()
	go func() {
		for ctx.Err() == nil {
			if _, sent := s.log(); len(sent) > 0 && sent[0] >= n {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cut()
	}()
	if _, err := r.weights(WithPartialFetch(WithFreshFetch(ctx), p), 1, sha, uri); !errors.Is(err, context.Canceled) {
		t.Fatalf("the cut fetch: %v, want it cancelled", err)
	}
	if p.Received() == 0 {
		t.Fatalf("the cut fetch kept nothing of the %d bytes sent", n)
	}
}

func newPaced(t *testing.T, file []byte, ignoreRange bool) (*pacedFile, *ChainResolver, string) {
	s := &pacedFile{ignoreRange: ignoreRange}
	s.file.Store(&file)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	r := NewChainResolver(ResolverConfig{Fetch: FetchPolicy{AllowLocal: true}})
	return s, r, srv.URL + "/m.safetensors"
}

// TestPartialFetchResumesWithARange: a fetch cut by its context keeps what
// it received, and the next one asks for the rest with a Range: the file
// is sent once in all, and checked whole against its sha256.
func TestPartialFetchResumesWithARange(t *testing.T) {
	file := bytes.Repeat([]byte("weights!"), 128<<10) // 1 MiB
	s, r, uri := newPaced(t, file, false)
	sha, p := workload.SHA256Hex(file), &PartialFetch{}
	cutOnce(t, s, r, p, sha, uri, 256<<10)
	kept := p.Received()
	f, err := r.weights(WithPartialFetch(WithFreshFetch(context.Background()), p), 1, sha, uri)
	if err != nil || !f.Is(sha) {
		t.Fatalf("the resumed fetch: %v", err)
	}
	ranges, sent := s.settled()
	if len(ranges) != 2 || ranges[1] != "bytes="+strconv.FormatInt(kept, 10)+"-" || sent[1] != int64(len(file))-kept {
		t.Fatalf("requests %q sent %v after %d bytes kept: want the rest of the file asked with a Range", ranges, sent, kept)
	}
	if p.Received() != 0 || p.Bytes() != 0 {
		t.Fatalf("the whole file fetched, the partial fetch still holds %d bytes", p.Bytes())
	}
}

// TestPartialFetchFromAServerIgnoringRange: a server that answers the
// Range with the whole file is fetched afresh, the bytes kept discarded.
func TestPartialFetchFromAServerIgnoringRange(t *testing.T) {
	file := bytes.Repeat([]byte("weights!"), 128<<10)
	s, r, uri := newPaced(t, file, true)
	sha, p := workload.SHA256Hex(file), &PartialFetch{}
	cutOnce(t, s, r, p, sha, uri, 256<<10)
	f, err := r.weights(WithPartialFetch(WithFreshFetch(context.Background()), p), 1, sha, uri)
	if err != nil || !f.Is(sha) {
		t.Fatalf("the fetch after the cut, from a server ignoring Range: %v", err)
	}
	if _, sent := s.settled(); len(sent) != 2 || sent[1] != int64(len(file)) {
		t.Fatalf("sent %v: want the whole file sent again", sent)
	}
}

// TestPartialFetchResumedOntoOtherBytesFailsTheCheck: a uri whose file
// changed between the pieces fails the sha256 check of the whole, as a
// content mismatch, and the bytes kept are dropped.
func TestPartialFetchResumedOntoOtherBytesFailsTheCheck(t *testing.T) {
	file := bytes.Repeat([]byte("weights!"), 128<<10)
	s, r, uri := newPaced(t, file, false)
	sha, p := workload.SHA256Hex(file), &PartialFetch{}
	cutOnce(t, s, r, p, sha, uri, 256<<10)
	other := bytes.Repeat([]byte("junk!!!!"), 128<<10)
	s.file.Store(&other)
	_, err := r.weights(WithPartialFetch(WithFreshFetch(context.Background()), p), 1, sha, uri)
	if !errors.Is(err, ErrContentMismatch) {
		t.Fatalf("resumed onto other bytes: %v, want a content mismatch", err)
	}
	if p.Received() != 0 {
		t.Fatalf("the failed fetch kept %d bytes", p.Received())
	}
}

// TestAttackResumedTrickleGetsNoFreshTimeout: a uri that trickles under
// the policy's AvgRate, its fetch cut again and again before the policy's
// Timeout (a model load sliced), is still cut off as one transfer is: the
// pieces' time adds up, whether it honours Range or sends the whole file
// again at each, or its bytes are dropped between pieces (DropBytes: the
// sidecar frees a paused load's bytes for room). Scaled: Timeout 600 ms,
// pieces of 150 ms; a trickle at a third of AvgRate is cut at about 0.9 s.
func TestAttackResumedTrickleGetsNoFreshTimeout(t *testing.T) {
	for _, c := range []struct{ ignoreRange, drop bool }{{false, false}, {true, false}, {false, true}} {
		file := bytes.Repeat([]byte("junk"), 4<<20) // 16 MiB at 32 KiB per 15 ms: 2 MiB/s
		_, r, uri := newPaced(t, file, c.ignoreRange)
		r.cfg.HTTP = FetchPolicy{AllowLocal: true, Timeout: 600 * time.Millisecond, AvgRate: 6 << 20}.HTTPClient()
		if piece, err := piecesUntilCut(r, uri, workload.SHA256Hex(file), c.drop); piece > 12 || !errors.Is(err, ErrTooSlow) {
			t.Fatalf("ignoring Range %v, bytes dropped %v: %d pieces of 150 ms: want it cut off as too slow (%v)", c.ignoreRange, c.drop, piece, err)
		} else {
			t.Logf("ignoring Range %v, bytes dropped %v: cut off at piece %d: %v", c.ignoreRange, c.drop, piece, err)
		}
	}
}

// piecesUntilCut fetches uri in pieces of 150 ms into one PartialFetch
// (its bytes dropped after each when drop) until a piece fails with
// ErrTooSlow, at most 13 pieces, and returns how many it took and the last
// error.
func piecesUntilCut(r *ChainResolver, uri, sha string, drop bool) (int, error) {
	p := &PartialFetch{}
	for piece := 1; ; piece++ {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		_, err := r.weights(WithPartialFetch(WithFreshFetch(ctx), p), 1, sha, uri)
		cancel()
		if drop {
			p.DropBytes()
		}
		if errors.Is(err, ErrTooSlow) || !errors.Is(err, context.DeadlineExceeded) || piece > 12 {
			return piece, err
		}
	}
}

// TestPartialFetchOfAKnownLengthTakesABufferOfItsSize: a file whose
// length the server gives is read into a buffer of that size, resumed or
// not; a bytes.Buffer doubled, holding up to twice the file (three times
// while it copied), and a buffer of the size and one byte more was a kept
// file one byte over the sidecar's reservation at exactly its limit.
func TestPartialFetchOfAKnownLengthTakesABufferOfItsSize(t *testing.T) {
	file := bytes.Repeat([]byte("weights!"), 128<<10+1) // 1 MiB and 8 bytes
	s, r, uri := newPaced(t, file, false)
	sha, p := workload.SHA256Hex(file), &PartialFetch{}
	cutOnce(t, s, r, p, sha, uri, 256<<10)
	if kept, held := p.Received(), p.Bytes(); held > int64(len(file)) {
		t.Fatalf("cut after %d bytes of a %d-byte file: the buffer holds %d", kept, len(file), held)
	}
	ctx := WithPartialFetch(WithFreshFetch(context.Background()), p)
	p.mu.Lock()
	buf, err := r.fetchOnto(ctx, p)
	p.mu.Unlock()
	if err != nil || !bytes.Equal(buf, file) || cap(buf) > len(file) {
		t.Fatalf("resumed: %d bytes in a buffer of %d (%v), want the %d-byte file in a buffer of its size", len(buf), cap(buf), err, len(file))
	}
}

// ReadCapped stops at its limit, and grows its buffer no further.
func TestReadCappedStopsAtItsLimit(t *testing.T) {
	body := bytes.Repeat([]byte{7}, 3<<20)
	for _, limit := range []int64{1, 64 << 10, 1<<20 + 1, 3 << 20, 3<<20 + 1} {
		got, err := ReadCapped(bytes.NewReader(body), nil, limit)
		want := min(limit, int64(len(body)))
		if err != nil || int64(len(got)) != want || int64(cap(got)) > limit || !bytes.Equal(got, body[:want]) {
			t.Fatalf("limit %d: %d bytes in a buffer of %d (%v), want %d in at most %d", limit, len(got), cap(got), err, want, limit)
		}
	}
}

// ReadCapped into a buffer of exactly the body's size reads it without
// growing: the end is told by a one-byte read.
func TestReadCappedIntoABufferOfTheBodysSize(t *testing.T) {
	body := bytes.Repeat([]byte{9}, 100_000)
	got, err := ReadCapped(bytes.NewReader(body), make([]byte, 0, len(body)), int64(len(body))+1)
	if err != nil || !bytes.Equal(got, body) || cap(got) != len(body) {
		t.Fatalf("%d bytes in a buffer of %d (%v), want %d in one of its size", len(got), cap(got), err, len(body))
	}
	over := append(bytes.Clone(body), 1)
	got, err = ReadCapped(bytes.NewReader(over), make([]byte, 0, len(body)), int64(len(body))+1)
	if err != nil || len(got) != len(body)+1 {
		t.Fatalf("a body one byte over: %d bytes (%v), want the byte that tells it", len(got), err)
	}
}

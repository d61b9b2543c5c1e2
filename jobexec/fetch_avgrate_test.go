package jobexec

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// paced serves body in pieces of piece bytes, one every gap, flushing
// each, until the client goes away.
func paced(body []byte, piece int, gap time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := w.(http.Flusher)
		w.WriteHeader(http.StatusOK)
		for b := body; len(b) > 0; {
			n := min(len(b), piece)
			if _, err := w.Write(b[:n]); err != nil {
				return
			}
			f.Flush()
			b = b[n:]
			select {
			case <-r.Context().Done():
				return
			case <-time.After(gap):
			}
		}
	})
}

// avgPolicy: 300 ms for any body, then 64 KiB/s on average; 16 KiB/s over
// each 100 ms window at least.
var avgPolicy = FetchPolicy{AllowLocal: true, HeaderTimeout: time.Second, Timeout: 300 * time.Millisecond,
	AvgRate: 64 << 10, MinRate: 16 << 10, RateWindow: 100 * time.Millisecond}

func getAll(client *http.Client, url string) ([]byte, error) {
	res, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	return io.ReadAll(res.Body)
}

// TestFetchLongerThanTimeoutAtTheAverageRate: an honest server that sends a
// large file steadily, at 5 × the policy's average rate, takes longer than
// the policy's Timeout. A whole-fetch timeout cut it off at every try (a
// 1 GiB dataset or weights file needed 9 MB/s to arrive within the default
// 2 minutes, or a provider that won a job on it aborted the job and lost
// its collateral); a fetch past Timeout goes on while it averages AvgRate.
// Through the resolver too: a model's weights load.
func TestFetchLongerThanTimeoutAtTheAverageRate(t *testing.T) {
	body := bytes.Repeat([]byte{3}, 256<<10)
	srv := httptest.NewServer(paced(body, 16<<10, 50*time.Millisecond)) // 320 KiB/s: 0.8 s
	defer srv.Close()
	start := time.Now()
	got, err := getAll(avgPolicy.HTTPClient(), srv.URL)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("a steady transfer longer than Timeout: %d of %d bytes, %v", len(got), len(body), err)
	}
	if took := time.Since(start); took < avgPolicy.Timeout {
		t.Fatalf("the transfer took %v, not longer than Timeout %v: the test shows nothing", took, avgPolicy.Timeout)
	}

	model := &workload.Model{Layers: []workload.Layer{{In: 256, Out: 256, Weight: make([]float32, 256*256)}}}
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	msrv := httptest.NewServer(paced(file, 16<<10, 50*time.Millisecond))
	defer msrv.Close()
	r := NewChainResolver(ResolverConfig{Fetch: avgPolicy, Models: fakeModels{model: modelregistrytypes.Model{
		Id: 1, Sha256: workload.SHA256Hex(file), Uri: msrv.URL + "/w.safetensors", InputDim: 256, OutputDim: 256}}})
	if _, err := r.Model(context.Background(), 1); err != nil {
		t.Fatalf("weights that take longer than Timeout at the average rate: %v", err)
	}
}

// TestAttackSlowAverageIsCutOffPastTimeout: a server that keeps every
// window above MinRate but averages under AvgRate (here 25 KiB/s against
// 64) holds a fetch for Timeout/(1 − 25/64), about 0.5 s here, not for its
// file's whole length (10 s): it is cut off with ErrTooSlow.
func TestAttackSlowAverageIsCutOffPastTimeout(t *testing.T) {
	body := bytes.Repeat([]byte{5}, 256<<10)
	srv := httptest.NewServer(paced(body, 2<<10, 80*time.Millisecond)) // 25 KiB/s: 10 s
	defer srv.Close()
	start := time.Now()
	got, err := getAll(avgPolicy.HTTPClient(), srv.URL)
	took := time.Since(start)
	if !errors.Is(err, ErrTooSlow) {
		t.Fatalf("a body averaging under AvgRate past Timeout: %d bytes in %v, %v; want ErrTooSlow", len(got), took, err)
	}
	if took > 4*time.Second {
		t.Fatalf("cut off after %v, not soon after Timeout", took)
	}
	if len(got) < 4<<10 {
		t.Fatalf("only %d bytes read: cut off by the window check, not the average", len(got))
	}
}

package sidecar

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
)

// cutWriter ends a response abruptly once it has written limit bytes, as a
// transfer cut by the fetch policy's rates (or a dropped connection) ends.
type cutWriter struct {
	http.ResponseWriter
	left int
}

func (w *cutWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n, _ := w.ResponseWriter.Write(p[:w.left])
		w.left -= n
		w.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	n, err := w.ResponseWriter.Write(p)
	w.left -= n
	return n, err
}

// TestCutWeightsTransferResumesWhereItStopped: a weights transfer from the
// provider cut after it brought bytes is asked again for the rest (a Range
// request from where it stopped), within the check's attempts. It restarted
// from zero: on a provider's uplink shared by its transfers to every
// validator, each cut by the fetch policy's average rate before its end, no
// validator ever had the weights. Here every
// response is cut after 80 KiB of a 200 KiB file: three attempts bring it.
func TestCutWeightsTransferResumesWhereItStopped(t *testing.T) {
	file := bytes.Repeat([]byte("weights-"), (200<<10)/8)
	sha := workload.SHA256Hex(file)
	var mu sync.Mutex
	var ranges []string
	prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models/"+sha {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		mu.Unlock()
		http.ServeContent(&cutWriter{ResponseWriter: w, left: 80 << 10}, r, "", time.Time{}, bytes.NewReader(file))
	}))
	defer prov.Close()
	cfg := testConfig()
	cfg.FetchRetries = 3
	cfg.MaxWeightsBytes = 1 << 20
	v := New(cfg, nil, nil, quiet(), NewMetrics("cpu"))

	got, err := v.weightsFrom(prov.URL, v.newBusyBudget())(context.Background(), sha)
	if err != nil {
		t.Fatalf("a transfer cut every 80 KiB, in 3 attempts: %v (requests' ranges %q)", err, ranges)
	}
	if !bytes.Equal(got.Bytes(), file) || !got.Is(sha) {
		t.Fatalf("%d bytes checked against %q, not the weights' %d", len(got.Bytes()), got.SHA256(), len(file))
	}
	want := []string{"", "bytes=81920-", "bytes=163840-"}
	if strings.Join(ranges, ",") != strings.Join(want, ",") {
		t.Fatalf("requests' ranges %q, want %q", ranges, want)
	}
}

// TestWeightsCutAtEveryQuantumComeWhole: under contention the provider
// cuts every weights transfer after its quantum and keeps the validator's
// turn for the rest (jobexec.WeightsSlots). A 5 MiB file cut after every
// MiB came in 3 attempts' worth, 3 MiB, and the check gave up what it
// had; a cut that brought freeCutBytes now costs no attempt, while one
// that brought less still does (TestCutWeightsTransferResumesWhereItStopped).
func TestWeightsCutAtEveryQuantumComeWhole(t *testing.T) {
	file := bytes.Repeat([]byte("weights-"), (5<<20)/8)
	sha := workload.SHA256Hex(file)
	var mu sync.Mutex
	requests := 0
	prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		http.ServeContent(&cutWriter{ResponseWriter: w, left: freeCutBytes}, r, "", time.Time{}, bytes.NewReader(file))
	}))
	defer prov.Close()
	cfg := testConfig()
	cfg.FetchRetries = 3
	cfg.MaxWeightsBytes = 8 << 20
	v := New(cfg, nil, nil, quiet(), NewMetrics("cpu"))
	got, err := v.weightsFrom(prov.URL, v.newBusyBudget())(context.Background(), sha)
	if err != nil {
		t.Fatalf("a 5 MiB transfer cut after every MiB, with 3 attempts: %v (%d requests)", err, requests)
	}
	if !bytes.Equal(got.Bytes(), file) {
		t.Fatalf("%d bytes, not the weights' %d", len(got.Bytes()), len(file))
	}
	if requests != 5 {
		t.Fatalf("%d requests, want 5: one per MiB", requests)
	}
}

// A provider that answers a Range request from another byte than asked is
// a bad answer, not bytes appended where they do not belong.
func TestWeightsRangeAnswerFromAnotherByteRefused(t *testing.T) {
	file := bytes.Repeat([]byte("weights-"), (200<<10)/8)
	sha := workload.SHA256Hex(file)
	prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Range") != "" {
			w.Header().Set("Content-Range", "bytes 10-20/204800")
			w.WriteHeader(http.StatusPartialContent)
			_, _ = w.Write(file[10:21])
			return
		}
		http.ServeContent(&cutWriter{ResponseWriter: w, left: 80 << 10}, r, "", time.Time{}, bytes.NewReader(file))
	}))
	defer prov.Close()
	cfg := testConfig()
	cfg.FetchRetries = 3
	cfg.MaxWeightsBytes = 1 << 20
	v := New(cfg, nil, nil, quiet(), NewMetrics("cpu"))
	got, err := v.weightsFrom(prov.URL, v.newBusyBudget())(context.Background(), sha)
	if err == nil {
		t.Fatalf("a range answer from byte 10 after 80 KiB gave %d bytes and no error", len(got.Bytes()))
	}
}

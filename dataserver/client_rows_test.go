package dataserver

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aichain/aichain/workload"
)

// TestDownloadChecksTheRowsSha256: DownloadTo checks the sha256 of the
// body's last Rows·Cols·4 bytes against Expect.RowsSha256 (case aside): the
// file's rows' sha256 passes, any other (the whole file's) is ErrMismatch,
// with or without a sha256 of the file to check; a rows key with no shape to
// find the rows by is ErrMismatch too.
func TestDownloadChecksTheRowsSha256(t *testing.T) {
	fx := newFixture(t, false)
	c := fx.licensee.client(fx.url)
	rows := fx.file.RowsSha256
	if rows == "" || strings.EqualFold(rows, fx.file.Sha256) {
		t.Fatalf("the fixture's rows sha256 %q is not the rows' alone", rows)
	}
	for _, ok := range []string{rows, strings.ToUpper(rows), ""} {
		want := fx.expect()
		want.RowsSha256 = ok
		got, err := c.Download(t.Context(), 1, 1, want)
		if err != nil || string(got) != string(fx.file.Data) {
			t.Fatalf("rows sha256 %q: %v (%d bytes of %d)", ok, err, len(got), len(fx.file.Data))
		}
	}
	for name, want := range map[string]Expect{
		"the file's sha256 as the rows'": {Sha256: fx.file.Sha256, RowsSha256: fx.file.Sha256, Rows: fx.file.Rows, Cols: fx.file.Cols},
		"rows key alone, false":          {RowsSha256: fx.file.Sha256, Rows: fx.file.Rows, Cols: fx.file.Cols},
		"one row fewer":                  {RowsSha256: rows, Rows: fx.file.Rows - 1, Cols: fx.file.Cols},
		"no shape":                       {RowsSha256: rows, MaxBytes: 1 << 20},
	} {
		if _, err := c.Download(t.Context(), 1, 1, want); !errors.Is(err, ErrMismatch) {
			t.Errorf("%s: %v, want ErrMismatch", name, err)
		}
	}
}

// TestDownloadRowsNeedTheBodyLength: where the rows start is the body's
// length less theirs: an answer that does not say its length, or says one
// shorter than the rows, is ErrMismatch when a rows key is to be checked,
// and read as before when none is.
func TestDownloadRowsNeedTheBodyLength(t *testing.T) {
	m := &workload.Matrix{Rows: 10, Cols: 3, Data: make([]float32, 30)}
	for i := range m.Data {
		m.Data[i] = float32(i) / 3
	}
	data, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data[len(data)-10*3*4:])
	rows := hex.EncodeToString(sum[:])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush() // no Content-Length: chunked
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	c := newAccount().client(srv.URL)
	if _, err := c.Download(t.Context(), 1, 1, Expect{RowsSha256: rows, Rows: 10, Cols: 3}); !errors.Is(err, ErrMismatch) {
		t.Fatalf("a rows key, no Content-Length: %v, want ErrMismatch", err)
	}
	if got, err := c.Download(t.Context(), 1, 1, Expect{Rows: 10, Cols: 3}); err != nil || string(got) != string(data) {
		t.Fatalf("no rows key, no Content-Length: %v", err)
	}
	sized := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(data) }))
	t.Cleanup(sized.Close)
	c = newAccount().client(sized.URL)
	if _, err := c.Download(t.Context(), 1, 1, Expect{RowsSha256: rows, Rows: 10, Cols: 3}); err != nil {
		t.Fatalf("the rows key, with Content-Length: %v", err)
	}
	if _, err := c.Download(t.Context(), 1, 1, Expect{RowsSha256: rows, Rows: 100, Cols: 3}); !errors.Is(err, ErrMismatch) {
		t.Fatalf("a body shorter than the rows: %v, want ErrMismatch", err)
	}
}

// TestTailHashSkipsAcrossWrites: the rows' hash is the same however the
// body is cut into writes, the rows' start inside a write or on its edge.
func TestTailHashSkipsAcrossWrites(t *testing.T) {
	body := []byte(strings.Repeat("header--", 5) + strings.Repeat("rows", 25))
	const skip = 40
	want := sha256.Sum256(body[skip:])
	for _, step := range []int{1, 3, 7, 40, 41, 64, len(body)} {
		th := &tailHash{skip: skip, h: sha256.New()}
		for i := 0; i < len(body); i += step {
			if n, err := th.Write(body[i:min(i+step, len(body))]); err != nil || n != min(step, len(body)-i) {
				t.Fatalf("step %d: wrote %d, %v", step, n, err)
			}
		}
		if got := th.h.Sum(nil); string(got) != string(want[:]) {
			t.Errorf("step %d: %x, want %x", step, got, want)
		}
	}
}

package dataserver

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload/merkle"
	"github.com/aichain/aichain/x/datamarket/types"
)

func wantHTTPError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var he *HTTPError
	if !errors.As(err, &he) {
		t.Fatalf("want HTTP %d %s, got %v", status, code, err)
	}
	if he.Status != status || he.Code != code {
		t.Fatalf("want HTTP %d %s, got %d %s: %s", status, code, he.Status, he.Code, he.Message)
	}
}

func (fx *fixture) expect() Expect {
	return Expect{Sha256: fx.file.Sha256, Rows: fx.file.Rows, Cols: fx.file.Cols}
}

func (fx *fixture) chunk(c *Client, i uint64) (*ChunkResponse, error) {
	return c.Chunk(context.Background(), 1, 0, i, fx.file.Root(), fx.file.ChunkCount(), fx.file.RowsPerChunk, fx.file.Cols)
}

func TestServeLicensee(t *testing.T) {
	for _, byOwner := range []bool{false, true} {
		fx := newFixture(t, byOwner)
		c := fx.licensee.client(fx.url)
		data, err := c.Download(context.Background(), 1, 0, fx.expect())
		if err != nil {
			t.Fatalf("byOwner=%v: %v", byOwner, err)
		}
		if !bytes.Equal(data, fx.file.Data) {
			t.Fatal("served bytes differ from the file")
		}
		n := fx.file.ChunkCount()
		for i := uint64(0); i < n; i++ {
			cr, err := fx.chunk(c, i)
			if err != nil {
				t.Fatalf("chunk %d: %v", i, err)
			}
			want, err := merkle.NewChunk(fx.file.Tree, int(i), fx.file.Chunks[i])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(cr.Data, want.Data) || cr.RowStart != i*4 || cr.RowEnd != min((i+1)*4, 10) || cr.Cols != 3 {
				t.Fatalf("chunk %d: %+v", i, cr)
			}
		}
		cr, err := fx.chunk(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		cr.Data[0] ^= 1
		if err := VerifyChunk(cr, fx.file.Root()); !errors.Is(err, ErrMismatch) {
			t.Fatalf("tampered chunk: %v", err)
		}
		_, err = fx.chunk(c, n)
		wantHTTPError(t, err, 404, "not_found")
		wrong := fx.expect()
		wrong.Sha256 = hex.EncodeToString(make([]byte, 32))
		if _, err := c.Download(context.Background(), 1, 0, wrong); !errors.Is(err, ErrMismatch) {
			t.Fatalf("sha256 mismatch: %v", err)
		}
		small := Expect{Sha256: fx.file.Sha256, MaxBytes: 50}
		if _, err := c.Download(context.Background(), 1, 0, small); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("body beyond the chain's size: %v", err)
		}
	}
}

// The streamed chunk JSON is exactly what encoding/json writes.
func TestChunkStreamIsTheWireType(t *testing.T) {
	fx := newFixture(t, true)
	req, _ := http.NewRequest(http.MethodGet, fx.url+"/v1/datasets/1/chunks/2", nil)
	if err := signedreq.Sign(req, fx.licensee, fx.url, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	chunk, err := merkle.NewChunk(fx.file.Tree, 2, fx.file.Chunks[2])
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(ChunkResponse{DatasetID: 1, Version: 1, Chunk: chunk, ChunkCount: 3, RowsPerChunk: 4, Cols: 3,
		RowStart: 8, RowEnd: 10, ContentRoot: hex.EncodeToString(fx.file.Root())})
	if err != nil {
		t.Fatal(err)
	}
	if string(bytes.TrimSpace(got)) != string(want) {
		t.Fatalf("streamed\n%s\nencoding/json\n%s", got, want)
	}
}

func TestRangeRequest(t *testing.T) {
	fx := newFixture(t, true)
	req, _ := http.NewRequest(http.MethodGet, fx.url+"/v1/datasets/1", nil)
	req.Header.Set("Range", "bytes=10-19")
	if err := signedreq.Sign(req, fx.licensee, fx.url, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, fx.file.Data[10:20]) {
		t.Fatalf("range: %d %x", resp.StatusCode, got)
	}
}

func TestRefusals(t *testing.T) {
	fx := newFixture(t, false)
	ctx := context.Background()
	resp, err := http.Get(fx.url + "/v1/datasets/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d", resp.StatusCode)
	}
	_, err = fx.stranger.client(fx.url).Download(ctx, 1, 0, fx.expect())
	wantHTTPError(t, err, 403, "no_access")

	stale := fx.licensee.client(fx.url)
	stale.Now = func() time.Time { return time.Now().Add(-2 * time.Minute) }
	_, err = stale.Download(ctx, 1, 0, fx.expect())
	wantHTTPError(t, err, 401, "stale_request")

	// Replay: the same signed request twice.
	req, _ := http.NewRequest(http.MethodGet, fx.url+"/v1/datasets/1", nil)
	if err := signedreq.Sign(req, fx.licensee, fx.url, time.Now()); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{200, 401} {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("replay attempt %d: status %d, want %d", i, resp.StatusCode, want)
		}
	}
	// Signed a minute ahead: refused (its nonce recorded, the signer's
	// other requests served).
	future := fx.licensee.client(fx.url)
	future.Now = func() time.Time { return time.Now().Add(time.Minute) }
	_, err = future.Download(ctx, 1, 0, fx.expect())
	wantHTTPError(t, err, 401, "future_request")

	_, err = fx.licensee.client(fx.url).Download(ctx, 2, 0, fx.expect())
	wantHTTPError(t, err, 404, "not_found")
	_, err = fx.licensee.client(fx.url).Download(ctx, 1, 5, fx.expect())
	wantHTTPError(t, err, 404, "not_found")
	resp, err = http.Get(fx.url + "/v1/datasets/abc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("bad id: %d", resp.StatusCode)
	}
	// Access revoked on chain (the rental expired): refused once the short
	// access cache has passed.
	fx.chain.grant(1, fx.licensee.addr(), 1, false)
	time.Sleep(5100 * time.Millisecond)
	_, err = fx.licensee.client(fx.url).Download(ctx, 1, 0, fx.expect())
	wantHTTPError(t, err, 403, "no_access")
}

// A licence for version 1 does not open version 2, and the owner reads both.
func TestAccessIsPerDatasetAndVersion(t *testing.T) {
	fx := newFixture(t, true)
	path2, f2 := testNPY(t, fx.dir, 10, 3, 2)
	fx.chain.list(1, 2, fx.owner.addr(), f2)
	if err := fx.srv.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v2 := Expect{Sha256: f2.Sha256, Rows: 10, Cols: 3}
	_, err := fx.licensee.client(fx.url).Download(ctx, 1, 2, v2)
	wantHTTPError(t, err, 403, "no_access")
	_, err = fx.licensee.client(fx.url).Download(ctx, 1, 0, v2) // 0: the current version, now 2
	wantHTTPError(t, err, 403, "no_access")
	if _, err := fx.licensee.client(fx.url).Download(ctx, 1, 1, fx.expect()); err != nil {
		t.Fatalf("version 1 with a version-1 licence: %v", err)
	}
	got, err := fx.owner.client(fx.url).Download(ctx, 1, 2, v2)
	want, _ := os.ReadFile(path2)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("owner's download of version 2: %v", err)
	}
	// Another dataset of the same owner: the licence of dataset 1 is not for it.
	_, f3 := testNPY(t, fx.dir, 10, 3, 3)
	fx.chain.list(3, 1, fx.owner.addr(), f3)
	if err := fx.srv.Load(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = fx.licensee.client(fx.url).Download(ctx, 3, 0, Expect{Sha256: f3.Sha256, Rows: 10, Cols: 3})
	wantHTTPError(t, err, 403, "no_access")
}

func TestReloadServesNewFiles(t *testing.T) {
	fx := newFixture(t, true)
	_, f := testNPY(t, filepath.Join(fx.dir), 10, 3, 4)
	fx.chain.list(4, 1, fx.owner.addr(), f)
	fx.chain.grant(4, fx.licensee.addr(), 1, true)
	ctx := context.Background()
	_, err := fx.licensee.client(fx.url).Download(ctx, 4, 0, Expect{Sha256: f.Sha256})
	wantHTTPError(t, err, 404, "not_found") // not yet in the catalog
	if err := fx.srv.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.licensee.client(fx.url).Download(ctx, 4, 0, Expect{Sha256: f.Sha256}); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRefusesAMismatchedExplicitFile(t *testing.T) {
	dir := t.TempDir()
	path, f := testNPY(t, dir, 10, 3, 1)
	other, _ := testNPY(t, dir, 10, 3, 2)
	owner := newAccount().addr()
	for name, c := range map[string]struct {
		path    string
		badRoot bool
		onChain bool
	}{
		"another file":     {other, false, true},
		"wrong root":       {path, true, true},
		"unknown on chain": {path, false, false},
	} {
		chain := &fakeChain{datasets: map[uint64]types.Dataset{}, versions: map[[2]uint64]types.DatasetVersion{}, access: map[accessKey]bool{}}
		if c.onChain {
			chain.list(1, 1, owner, f)
		}
		if c.badRoot {
			dv := chain.versions[[2]uint64{1, 1}]
			dv.ContentRoot = make([]byte, 32)
			chain.versions[[2]uint64{1, 1}] = dv
		}
		srv, err := New(Config{Chain: chain, Datasets: map[uint64]string{1: c.path}, Audiences: []string{"http://x"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Load(context.Background()); err == nil {
			t.Errorf("%s: load accepted", name)
		}
	}
}

func TestNewRefusesNothingToServe(t *testing.T) {
	chain := &fakeChain{}
	for name, cfg := range map[string]Config{
		"no audience":   {Chain: chain, Owners: []string{"aic1x"}, DataDir: "."},
		"nothing":       {Chain: chain, Audiences: []string{"http://x"}},
		"owner, no dir": {Chain: chain, Owners: []string{"aic1x"}, Audiences: []string{"http://x"}},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A node that does not answer yet makes Load fail with ErrChainUnavailable
// (the command retries); a file that is none of its dataset's versions does
// not (the command stops).
func TestLoadTellsAnUnreadyChainFromAMismatch(t *testing.T) {
	fx := newFixture(t, true)
	fx.chain.mu.Lock()
	fx.chain.down = errors.New("aichain is not ready; please wait for first block")
	fx.chain.mu.Unlock()
	if err := fx.srv.Load(context.Background()); !errors.Is(err, ErrChainUnavailable) {
		t.Fatalf("node not ready: %v", err)
	}
	chain := &fakeChain{datasets: map[uint64]types.Dataset{}, versions: map[[2]uint64]types.DatasetVersion{}, access: map[accessKey]bool{}}
	path, _ := testNPY(t, t.TempDir(), 10, 3, 9)
	srv, err := New(Config{Chain: chain, Datasets: map[uint64]string{1: path}, Audiences: []string{"http://x"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Load(context.Background()); err == nil || errors.Is(err, ErrChainUnavailable) {
		t.Fatalf("explicit file of an unknown dataset: %v", err)
	}
}

// A validator's signed probe (an aborted job's input check, sidecar
// inputs.go) tells a version the server holds (403: no licence) from one it
// does not (404), and reads no byte of either.
func TestSignedProbeTellsHeldFromMissing(t *testing.T) {
	fx := newFixture(t, false)
	ctx := context.Background()
	got, err := fx.stranger.client(fx.url).Download(ctx, 1, 1, fx.expect())
	wantHTTPError(t, err, 403, "no_access")
	if len(got) != 0 {
		t.Fatalf("a probe read %d bytes", len(got))
	}
	_, f2 := testNPY(t, t.TempDir(), 10, 3, 2) // listed on chain, not in the server's folder
	fx.chain.list(1, 2, fx.owner.addr(), f2)
	_, err = fx.stranger.client(fx.url).Download(ctx, 1, 2, Expect{Sha256: f2.Sha256, Rows: 10, Cols: 3})
	wantHTTPError(t, err, 404, "not_found")
}

// A refusal is remembered a second at most: the winner of a job, refused
// just before its award (its bid's probe), reads the rows a second after
// the chain grants it access, where a granted access is reused for the
// whole AccessTTL.
func TestRefusalIsNotCachedLong(t *testing.T) {
	fx := newFixture(t, false)
	ctx := context.Background()
	_, err := fx.stranger.client(fx.url).Download(ctx, 1, 1, fx.expect())
	wantHTTPError(t, err, 403, "no_access")
	fx.chain.grant(1, fx.stranger.addr(), 1, true) // the award
	time.Sleep(1100 * time.Millisecond)
	if _, err := fx.stranger.client(fx.url).Download(ctx, 1, 1, fx.expect()); err != nil {
		t.Fatalf("a second after the grant: %v", err)
	}
}

package dataserver

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/x/datamarket/types"
)

type fakeChain struct {
	mu       sync.Mutex
	pubkeys  map[string]cryptotypes.PubKey
	datasets map[uint64]types.Dataset
	versions map[[2]uint64]types.DatasetVersion
	access   map[string]bool // address → access to every dataset
	calls    int
}

func (c *fakeChain) PubKey(_ context.Context, addr string) (cryptotypes.PubKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pk, ok := c.pubkeys[addr]
	if !ok {
		return nil, ErrNotFound
	}
	if pk == nil {
		return nil, ErrNoPubKey
	}
	return pk, nil
}

func (c *fakeChain) Dataset(_ context.Context, id uint64) (types.Dataset, error) {
	d, ok := c.datasets[id]
	if !ok {
		return d, ErrNotFound
	}
	return d, nil
}

func (c *fakeChain) DatasetVersion(_ context.Context, id, v uint64) (types.DatasetVersion, error) {
	dv, ok := c.versions[[2]uint64{id, v}]
	if !ok {
		return dv, ErrNotFound
	}
	return dv, nil
}

func (c *fakeChain) HasAccess(_ context.Context, _ uint64, addr string, _ uint64) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	return c.access[addr], nil
}

type account struct {
	priv *secp256k1.PrivKey
	addr string
}

func newAccount() account {
	priv := secp256k1.GenPrivKey()
	return account{priv: priv, addr: sdk.AccAddress(priv.PubKey().Address()).String()}
}

func (a account) client(url string) *Client {
	return &Client{BaseURL: url, Address: a.addr, Sign: a.priv.Sign}
}

// testNPY writes a rows×cols dataset and returns its path and description.
func testNPY(t *testing.T, dir string, rows, cols int, seed float32) (string, *dataset.Description) {
	t.Helper()
	m := &workload.Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = seed + float32(i)/7
	}
	data, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "data-"+strconv.Itoa(int(seed))+".npy")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Describe(data, 4)
	if err != nil {
		t.Fatal(err)
	}
	return path, f
}

type fixture struct {
	chain    *fakeChain
	srv      *Server
	url      string
	licensee account
	stranger account
	file     *dataset.Description
	now      time.Time
}

func newFixture(t *testing.T, useDir bool) *fixture {
	t.Helper()
	dir := t.TempDir()
	path, f := testNPY(t, dir, 10, 3, 1)
	licensee, stranger := newAccount(), newAccount()
	chain := &fakeChain{
		pubkeys:  map[string]cryptotypes.PubKey{licensee.addr: licensee.priv.PubKey(), stranger.addr: stranger.priv.PubKey()},
		datasets: map[uint64]types.Dataset{1: {Id: 1, Version: 1, Sha256: f.Sha256}},
		versions: map[[2]uint64]types.DatasetVersion{{1, 1}: {
			DatasetId: 1, Version: 1, Rows: 10, Cols: 3, RowsPerChunk: 4, ContentRoot: f.Root(), Sha256: f.Sha256,
		}},
		access: map[string]bool{licensee.addr: true},
	}
	cfg := Config{Chain: chain, Window: time.Minute}
	if useDir {
		cfg.DataDir = dir
	} else {
		cfg.Datasets = map[uint64]string{1: path}
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Preload(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &fixture{chain: chain, srv: srv, url: hs.URL, licensee: licensee, stranger: stranger, file: f}
}

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

func TestServeLicensee(t *testing.T) {
	for _, useDir := range []bool{false, true} {
		fx := newFixture(t, useDir)
		c := fx.licensee.client(fx.url)
		data, err := c.Download(context.Background(), 1, 0, fx.file.Sha256)
		if err != nil {
			t.Fatalf("dir=%v: %v", useDir, err)
		}
		if string(data) != string(fx.file.Data) {
			t.Fatal("served bytes differ from the file")
		}
		n := uint64(len(fx.file.Chunks))
		for i := uint64(0); i < n; i++ {
			cr, err := c.Chunk(context.Background(), 1, 0, i, fx.file.Root(), n)
			if err != nil {
				t.Fatalf("chunk %d: %v", i, err)
			}
			if string(cr.Data) != string(fx.file.Chunks[i]) || cr.RowStart != i*4 || cr.RowEnd != min((i+1)*4, 10) {
				t.Fatalf("chunk %d: %+v", i, cr)
			}
			rows, _, err := workload.DecodeChunkRows(cr.Data, 3)
			if err != nil || len(rows) != int(cr.RowEnd-cr.RowStart)*3 {
				t.Fatalf("chunk %d rows: %d, %v", i, len(rows), err)
			}
		}
		// A tampered chunk does not verify.
		cr, err := c.Chunk(context.Background(), 1, 0, 1, fx.file.Root(), n)
		if err != nil {
			t.Fatal(err)
		}
		cr.Data[0] ^= 1
		if err := VerifyChunk(cr, fx.file.Root()); err == nil {
			t.Fatal("tampered chunk verified")
		}
		if _, err := c.Chunk(context.Background(), 1, 0, n, fx.file.Root(), n); err == nil {
			t.Fatal("chunk beyond the end served")
		} else {
			wantHTTPError(t, err, 404, "not_found")
		}
		// A wrong expected sha256 is caught by the client.
		if _, err := c.Download(context.Background(), 1, 0, hex.EncodeToString(make([]byte, 32))); err == nil {
			t.Fatal("sha256 mismatch not detected")
		}
	}
}

func TestRefusals(t *testing.T) {
	fx := newFixture(t, false)
	ctx := context.Background()

	// Unsigned.
	resp, err := http.Get(fx.url + "/v1/datasets/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d", resp.StatusCode)
	}

	// Unlicensed (valid signature, no access).
	_, err = fx.stranger.client(fx.url).Download(ctx, 1, 0, "")
	wantHTTPError(t, err, 403, "no_access")

	// Foreign key: the stranger signs a request that claims the licensee's address.
	foreign := &Client{BaseURL: fx.url, Address: fx.licensee.addr, Sign: fx.stranger.priv.Sign}
	_, err = foreign.Download(ctx, 1, 0, "")
	wantHTTPError(t, err, 401, "bad_signature")

	// Stale and future timestamps.
	stale := fx.licensee.client(fx.url)
	stale.Now = func() time.Time { return time.Now().Add(-2 * time.Minute) }
	_, err = stale.Download(ctx, 1, 0, "")
	wantHTTPError(t, err, 401, "stale_request")
	future := fx.licensee.client(fx.url)
	future.Now = func() time.Time { return time.Now().Add(time.Minute) }
	_, err = future.Download(ctx, 1, 0, "")
	wantHTTPError(t, err, 401, "future_request")

	// Replay: the same signed request twice.
	req, _ := http.NewRequest(http.MethodGet, fx.url+"/v1/datasets/1", nil)
	if err := fx.licensee.client(fx.url).SignRequest(req, 1); err != nil {
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

	// A signature for another path (dataset id in the message differs).
	req, _ = http.NewRequest(http.MethodGet, fx.url+"/v1/datasets/1", nil)
	if err := fx.licensee.client(fx.url).SignRequest(req, 2); err != nil {
		t.Fatal(err)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("signature for another dataset: %d", resp.StatusCode)
	}

	// Garbage signature and unknown account.
	req, _ = http.NewRequest(http.MethodGet, fx.url+"/v1/datasets/1", nil)
	req.Header.Set(HeaderAddress, fx.licensee.addr)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(time.Now().Unix(), 10))
	req.Header.Set(HeaderNonce, "0123456789abcdef")
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString([]byte("nonsense")))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("garbage signature: %d", resp.StatusCode)
	}
	_, err = newAccount().client(fx.url).Download(ctx, 1, 0, "")
	wantHTTPError(t, err, 401, "unknown_account")
	noKey := newAccount()
	fx.chain.mu.Lock()
	fx.chain.pubkeys[noKey.addr] = nil
	fx.chain.mu.Unlock()
	_, err = noKey.client(fx.url).Download(ctx, 1, 0, "")
	wantHTTPError(t, err, 401, "unknown_account")

	// Unknown dataset and bad ids.
	_, err = fx.licensee.client(fx.url).Download(ctx, 2, 0, "")
	wantHTTPError(t, err, 404, "not_found")
	_, err = fx.licensee.client(fx.url).Download(ctx, 1, 5, "")
	wantHTTPError(t, err, 404, "not_found")
	resp, err = http.Get(fx.url + "/v1/datasets/abc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("bad id: %d", resp.StatusCode)
	}

	// Access revoked on chain (e.g. the rental expired): refused at once.
	fx.chain.mu.Lock()
	fx.chain.access[fx.licensee.addr] = false
	fx.chain.mu.Unlock()
	_, err = fx.licensee.client(fx.url).Download(ctx, 1, 0, "")
	wantHTTPError(t, err, 403, "no_access")
}

func TestPreloadRefusesMismatch(t *testing.T) {
	dir := t.TempDir()
	path, f := testNPY(t, dir, 10, 3, 1)
	other, _ := testNPY(t, dir, 10, 3, 2)
	good := types.DatasetVersion{DatasetId: 1, Version: 1, Rows: 10, Cols: 3, RowsPerChunk: 4, ContentRoot: f.Root(), Sha256: f.Sha256}
	badRoot := good
	badRoot.ContentRoot = make([]byte, 32)
	cases := map[string]struct {
		path string
		v    types.DatasetVersion
	}{
		"other file":       {other, good},
		"wrong root":       {path, badRoot},
		"unknown on chain": {path, types.DatasetVersion{}},
	}
	for name, c := range cases {
		chain := &fakeChain{
			datasets: map[uint64]types.Dataset{},
			versions: map[[2]uint64]types.DatasetVersion{},
		}
		if c.v.Version != 0 {
			chain.datasets[1] = types.Dataset{Id: 1, Version: 1, Sha256: c.v.Sha256}
			chain.versions[[2]uint64{1, 1}] = c.v
		}
		srv, err := New(Config{Chain: chain, Datasets: map[uint64]string{1: c.path}})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Preload(context.Background()); err == nil {
			t.Errorf("%s: preload accepted", name)
		}
	}
}

func TestCanonicalMessage(t *testing.T) {
	got := string(CanonicalMessage(7, "aic1x", 1700000000, "abcd1234", "/v1/datasets/7"))
	want := "aichain-dataserver/v1\n7\naic1x\n1700000000\nabcd1234\n/v1/datasets/7"
	if got != want {
		t.Fatalf("canonical message %q, want %q", got, want)
	}
}

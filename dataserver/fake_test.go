package dataserver

import (
	"context"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/x/datamarket/types"
)

// fakeChain is the chain as the server reads it. Access is granted per
// dataset and version (a licence for version 1 does not open version 2),
// and to a dataset's owner for every version, as x/datamarket does.
type fakeChain struct {
	mu       sync.Mutex
	datasets map[uint64]types.Dataset
	versions map[[2]uint64]types.DatasetVersion
	access   map[accessKey]bool
	calls    int   // every query
	down     error // returned by every listing while set
	// validators are the bonded validators' operator accounts; providers
	// the active x/compute providers.
	validators, providers map[string]bool
	// jobs grants access as the assigned provider of a live job (job id).
	jobs map[accessKey]uint64
}

func (c *fakeChain) Dataset(_ context.Context, id uint64) (types.Dataset, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	d, ok := c.datasets[id]
	if !ok {
		return d, ErrNotFound
	}
	return d, nil
}

func (c *fakeChain) DatasetsOf(ctx context.Context, owner string) ([]types.Dataset, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.down != nil {
		return nil, c.down
	}
	if err := ctx.Err(); err != nil { // as a gRPC call under a cancelled context
		return nil, err
	}
	var out []types.Dataset
	for _, d := range c.datasets {
		if d.Owner == owner {
			out = append(out, d)
		}
	}
	return out, nil
}

func (c *fakeChain) DatasetVersion(_ context.Context, id, v uint64) (types.DatasetVersion, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	dv, ok := c.versions[[2]uint64{id, v}]
	if !ok {
		return dv, ErrNotFound
	}
	return dv, nil
}

func (c *fakeChain) HasAccess(_ context.Context, id uint64, addr string, version uint64) (Access, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	d, ok := c.datasets[id]
	if !ok {
		return Access{}, ErrNotFound
	}
	if version == 0 {
		version = d.Version
	}
	if version > d.Version {
		return Access{}, ErrNotFound
	}
	key := accessKey{id: id, addr: addr, version: version}
	if addr == d.Owner {
		return Access{Has: true, Version: version}, nil
	}
	// As on chain: the job is named whenever one grants access, a licence
	// granting it too (x/datamarket HasAccess).
	job := c.jobs[key]
	return Access{Has: job != 0 || c.access[key], Version: version, JobID: job}, nil
}

func (c *fakeChain) Validators(context.Context) (map[string]bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	return maps.Clone(c.validators), nil
}

func (c *fakeChain) Providers(context.Context, []byte) (map[string]bool, []byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	return maps.Clone(c.providers), nil, nil
}

// register makes addr an active provider.
func (c *fakeChain) register(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.providers == nil {
		c.providers = map[string]bool{}
	}
	c.providers[addr] = true
}

// award grants addr the version as the assigned provider of live job job
// (0: the job ended).
func (c *fakeChain) award(id uint64, addr string, version, job uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.jobs == nil {
		c.jobs = map[accessKey]uint64{}
	}
	c.jobs[accessKey{id: id, addr: addr, version: version}] = job
}

// bond makes addr a bonded validator's operator account.
func (c *fakeChain) bond(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.validators == nil {
		c.validators = map[string]bool{}
	}
	c.validators[addr] = true
}

func (c *fakeChain) grant(id uint64, addr string, version uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.access[accessKey{id: id, addr: addr, version: version}] = ok
}

func (c *fakeChain) callCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// list records a version of a dataset described by f, owned by owner, with
// its rows key (f.RowsSha256; "": a legacy version).
func (c *fakeChain) list(id, version uint64, owner string, f *dataset.Description) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.datasets[id] = types.Dataset{Id: id, Owner: owner, Version: version, Sha256: f.Sha256, Rows: f.Rows, Cols: f.Cols,
		RowsPerChunk: f.RowsPerChunk, ContentRoot: f.Root(), RowsSha256: f.RowsSha256}
	c.versions[[2]uint64{id, version}] = types.DatasetVersion{DatasetId: id, Version: version, Rows: f.Rows, Cols: f.Cols,
		RowsPerChunk: f.RowsPerChunk, ContentRoot: f.Root(), Sha256: f.Sha256, RowsSha256: f.RowsSha256}
}

// setVersion rewrites a listed version's record (a lister's declaration the
// chain cannot check).
func (c *fakeChain) setVersion(id, version uint64, edit func(*types.DatasetVersion)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	dv := c.versions[[2]uint64{id, version}]
	edit(&dv)
	c.versions[[2]uint64{id, version}] = dv
}

type account struct{ signedreq.PrivKeySigner }

func newAccount() account {
	return account{signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}}
}

func (a account) addr() string { return a.Address() }

func (a account) client(url string) *Client { return &Client{BaseURL: url, Signer: a} }

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
	dir      string
	owner    account
	licensee account
	stranger account
	file     *dataset.Description
}

// newFixture serves dataset 1 (10×3, chunks of 4 rows), owned by owner,
// licensed to licensee for version 1: by owner from a folder (byOwner) or
// as an explicit id→file mapping.
func newFixture(t *testing.T, byOwner bool) *fixture {
	t.Helper()
	dir := t.TempDir()
	path, f := testNPY(t, dir, 10, 3, 1)
	fx := &fixture{dir: dir, owner: newAccount(), licensee: newAccount(), stranger: newAccount(), file: f}
	fx.chain = &fakeChain{datasets: map[uint64]types.Dataset{}, versions: map[[2]uint64]types.DatasetVersion{}, access: map[accessKey]bool{}}
	fx.chain.list(1, 1, fx.owner.addr(), f)
	fx.chain.grant(1, fx.licensee.addr(), 1, true)
	hs := httptest.NewUnstartedServer(nil)
	url := "http://" + hs.Listener.Addr().String()
	cfg := Config{Chain: fx.chain, Audiences: []string{url}, Window: time.Minute, TreeDir: t.TempDir()}
	if byOwner {
		cfg.Owners, cfg.DataDir = []string{fx.owner.addr()}, dir
	} else {
		cfg.Datasets = map[uint64]string{1: path}
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	fx.srv, fx.url = srv, url
	return fx
}

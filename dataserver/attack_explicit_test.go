package dataserver

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackExplicitDatasetServesAnUnmappedFile: `--dataset ID=PATH` serves
// one file as dataset ID "whoever owns it" (a third party's dataset the
// operator hosts). But the server looks every version's file up by sha256 in
// the whole index (Server.locate → fileFor), which also holds the --owner's
// folder: the mapped PATH is recorded (servedDataset.file) and never used.
// The third party, owner of the explicit id, publishes a new version whose
// sha256, root and shape are those of a file in the owner's folder that is
// not listed yet (the owner's list-dataset is in the mempool: its sha256,
// root and shape are public; front-run, the chain's first-lister rule gives
// the content to the third party's dataset). The server then serves the
// owner's unreleased file to the third party under the explicit id. Now an
// explicit id is served from its mapped file alone, an owner's dataset from
// the folder alone (Server.fileFor); a probe says the version is not held.
func TestAttackExplicitDatasetServesAnUnmappedFile(t *testing.T) {
	dir, hosted := t.TempDir(), t.TempDir()
	_, listed := testNPY(t, dir, 10, 3, 1)     // the owner's dataset 1
	_, unreleased := testNPY(t, dir, 10, 3, 5) // in the owner's folder, not listed yet
	mappedPath, mapped := testNPY(t, hosted, 10, 3, 6)
	owner, mallory := newAccount(), newAccount()

	chain := &fakeChain{datasets: map[uint64]types.Dataset{}, versions: map[[2]uint64]types.DatasetVersion{}, access: map[accessKey]bool{}}
	chain.list(1, 1, owner.addr(), listed)
	chain.list(2, 1, mallory.addr(), mapped) // the hosted third-party dataset
	hs := httptest.NewUnstartedServer(nil)
	url := "http://" + hs.Listener.Addr().String()
	srv, err := New(Config{Chain: chain, Audiences: []string{url}, Window: time.Minute,
		Owners: []string{owner.addr()}, DataDir: dir, Datasets: map[uint64]string{2: mappedPath}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(hs.Close)

	// The third party publishes the owner's unreleased file as version 2 of
	// its own dataset 2 (front-running the owner's listing).
	chain.list(2, 2, mallory.addr(), unreleased)

	for _, path := range []string{"/v1/datasets/2?version=2", "/v1/datasets/2", "/v1/datasets/2/chunks/0?version=2"} {
		req, _ := http.NewRequest(http.MethodGet, url+path, nil)
		if err := signedreq.Sign(req, mallory, url, time.Now()); err != nil {
			t.Fatal(err)
		}
		status, body := get(t, req)
		rows := unreleased.Data[len(unreleased.Data)-int(unreleased.Rows*unreleased.Cols*4):]
		if status == http.StatusOK || bytes.Contains(body, rows[:12]) || bytes.Contains(body, []byte("\"data\":\"")) {
			t.Errorf("%s: the explicit id of a third party was answered %d with a file of the owner's folder that was never mapped to it", path, status)
		}
	}
	probe, _ := http.NewRequest(http.MethodHead, url+"/v1/datasets/2/chunks/0?version=2", nil)
	if err := signedreq.Sign(probe, mallory, url, time.Now()); err != nil {
		t.Fatal(err)
	}
	if status, _ := get(t, probe); status != http.StatusNotFound {
		t.Errorf("a probe of the explicit id's version that is a file of the owner's folder: %d, want 404", status)
	}
	// The mapped file's own version is still served, and the owner's dataset
	// from the folder.
	for _, c := range []struct {
		who  account
		path string
	}{{mallory, "/v1/datasets/2?version=1"}, {owner, "/v1/datasets/1"}} {
		req, _ := http.NewRequest(http.MethodGet, url+c.path, nil)
		if err := signedreq.Sign(req, c.who, url, time.Now()); err != nil {
			t.Fatal(err)
		}
		if status, body := get(t, req); status != http.StatusOK {
			t.Errorf("%s: %d %s, want 200", c.path, status, body)
		}
	}
}

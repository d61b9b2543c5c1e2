package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestDatamarketDatasetServer runs the acceptance on a real node and
// a real aichain-dataserver: alice lists a dataset with a RENTAL offer;
// carol's listing of the same file is refused; bob buys it (the CLI caps the
// purchase at the price it queries) and downloads it in one command (bytes
// match the registered sha256); unsigned and unlicensed requests are
// refused; after the rental expires the same download is refused; a
// dataset offered to another account (transfer-dataset) is its owner's until
// that account accepts it (accept-dataset), and a pending offer survives the
// export.
func TestDatamarketDatasetServer(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice", "bob", "carol")
	c.Start()
	alice, bob, carol := c.Addr("alice"), c.Addr("bob"), c.Addr("carol")

	// The dataset: a 40×3 float32 .npy in the server's data directory.
	dataDir := t.TempDir()
	m := &workload.Matrix{Rows: 40, Cols: 3, Data: make([]float32, 120)}
	for i := range m.Data {
		m.Data[i] = float32(i)*0.25 - 3
	}
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	npyPath := filepath.Join(dataDir, "iris.npy")
	if err := os.WriteFile(npyPath, npy, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(npy)
	wantSHA := hex.EncodeToString(sum[:])

	url := startDataserver(t, c, dataDir, alice)

	// alice commits to it, then lists it with a RENTAL offer of 20 blocks.
	commitDataset(t, c, npyPath, "8", "alice")
	res := c.Tx("datamarket", "list-dataset", npyPath, "iris", "--rows-per-chunk", "8", "--uri", url,
		"--description", "e2e dataset", "--offer", "rental:20:1000uaic", "--from", "alice")
	if res.Code != 0 {
		t.Fatalf("list-dataset: code %d: %s", res.Code, res.RawLog)
	}
	var ds struct {
		Dataset struct {
			ID     string `json:"id"`
			Owner  string `json:"owner"`
			Sha256 string `json:"sha256"`
			// RowsSha256 is the sha256 of the rows alone (the file's last
			// 40·3·4 bytes), which list-dataset computed.
			RowsSha256 string `json:"rows_sha256"`
			Rows       string `json:"rows"`
			Active     bool   `json:"active"`
		} `json:"dataset"`
	}
	getJSON(t, c, "/aichain/datamarket/v1/datasets/1", &ds)
	rowsSum := sha256.Sum256(npy[len(npy)-40*3*4:])
	if ds.Dataset.Owner != alice || ds.Dataset.Sha256 != wantSHA || ds.Dataset.RowsSha256 != hex.EncodeToString(rowsSum[:]) ||
		ds.Dataset.Rows != "40" || !ds.Dataset.Active {
		t.Fatalf("dataset over REST: %+v", ds.Dataset)
	}

	// carol needs an on-chain public key to be told 403 rather than 401.
	if res := c.Tx("bank", "send", "carol", alice, "1uaic", "--from", "carol"); res.Code != 0 {
		t.Fatalf("carol's send: %s", res.RawLog)
	}

	// A copied listing is refused (issue 17, item 1): carol lists alice's file
	// as "her" dataset, to own an id under which it would be served.
	res = c.Tx("datamarket", "list-dataset", npyPath, "iris-copy", "--rows-per-chunk", "8", "--uri", url,
		"--offer", "perpetual:1uaic", "--from", "carol")
	rejected(t, "copied listing", res, datamarkettypes.ErrContentTaken)
	// Nor may she list alice's rows re-framed (a version-2 .npy header) and
	// re-chunked (10 rows a chunk): both digests are new, but the rows' sha256
	// is alice's (TestAttackRechunkedCopyListsOwnersRowsAsCopiersDataset).
	npy2, err := workload.EncodeNPYVersion(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "iris-reframed.npy")
	if err := os.WriteFile(copyPath, npy2, 0o644); err != nil {
		t.Fatal(err)
	}
	commitDataset(t, c, copyPath, "10", "carol")
	res = c.Tx("datamarket", "list-dataset", copyPath, "iris-rechunked", "--rows-per-chunk", "10", "--uri", url,
		"--offer", "perpetual:1uaic", "--from", "carol")
	rejected(t, "re-chunked copy", res, datamarkettypes.ErrContentTaken)
	if _, stderr, err := c.CLIErr("q", "datamarket", "dataset", "2"); err == nil || !strings.Contains(stderr, "not found") {
		t.Fatalf("a copied listing left dataset 2: %v %s", err, stderr)
	}

	// bob buys the rental.
	res = c.Tx("datamarket", "purchase-license", "1", "0", "--from", "bob")
	if res.Code != 0 {
		t.Fatalf("purchase-license: code %d: %s", res.Code, res.RawLog)
	}
	var lic struct {
		License struct {
			Licensee      string `json:"licensee"`
			Kind          string `json:"kind"`
			ExpiresHeight string `json:"expires_height"`
		} `json:"license"`
	}
	if err := json.Unmarshal([]byte(c.CLI("q", "datamarket", "license", "1", "--output", "json")), &lic); err != nil {
		t.Fatal(err)
	}
	expires, err := strconv.ParseInt(lic.License.ExpiresHeight, 10, 64)
	if err != nil || lic.License.Licensee != bob || lic.License.Kind != "LICENSE_KIND_RENTAL" {
		t.Fatalf("licence: %+v (%v)", lic.License, err)
	}
	var acc struct {
		HasAccess bool   `json:"has_access"`
		Reason    string `json:"reason"`
	}
	getJSON(t, c, "/aichain/datamarket/v1/datasets/1/access/"+bob, &acc)
	if !acc.HasAccess || acc.Reason != "license" {
		t.Fatalf("REST has-access for bob: %+v", acc)
	}

	// bob downloads in one command; the file matches the registered sha256.
	out := filepath.Join(t.TempDir(), "bob.npy")
	download := func(key, file string) (string, string, error) {
		return c.CLIErr("q", "datamarket", "download", "1", url, "--from", key, "--keyring-backend", "test", "--output", file)
	}
	if stdout, stderr, err := download("bob", out); err != nil {
		t.Fatalf("bob's download: %v\n%s\n%s", err, stdout, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if s := sha256.Sum256(got); hex.EncodeToString(s[:]) != wantSHA {
		t.Fatalf("downloaded sha256 %x, registered %s", s, wantSHA)
	}

	// An unsigned request and an unlicensed key are refused.
	resp, err := http.Get(url + "/v1/datasets/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned request: status %d, want 401", resp.StatusCode)
	}
	carolOut := filepath.Join(t.TempDir(), "carol.npy")
	if _, stderr, err := download("carol", carolOut); err == nil || !strings.Contains(stderr, "403 no_access") {
		t.Fatalf("carol (unlicensed): err=%v stderr=%s", err, stderr)
	}
	if _, err := os.Stat(carolOut); !os.IsNotExist(err) {
		t.Fatal("a refused download wrote a file")
	}

	// After the rental expires the same download is refused.
	c.WaitHeight(expires+1, 90*time.Second)
	getJSON(t, c, "/aichain/datamarket/v1/datasets/1/access/"+bob, &acc)
	if acc.HasAccess {
		t.Fatalf("bob still has access after height %d: %+v", expires, acc)
	}
	if _, stderr, err := download("bob", filepath.Join(t.TempDir(), "again.npy")); err == nil || !strings.Contains(stderr, "403 no_access") {
		t.Fatalf("download after expiry: err=%v stderr=%s", err, stderr)
	}

	// alice offers the dataset to carol, who owns it only once she accepts;
	// carol then offers it to bob, whose offer is left pending for the export.
	owners := func() (owner, pending string) {
		var d struct {
			Dataset struct {
				Owner        string `json:"owner"`
				PendingOwner string `json:"pending_owner"`
			} `json:"dataset"`
		}
		getJSON(t, c, "/aichain/datamarket/v1/datasets/1", &d)
		return d.Dataset.Owner, d.Dataset.PendingOwner
	}
	okTx(t, "transfer-dataset", c.Tx("datamarket", "transfer-dataset", "1", carol, "--from", "alice"))
	if o, p := owners(); o != alice || p != carol {
		t.Fatalf("after alice's offer: owner %s, pending %s; want alice's, offered to carol", o, p)
	}
	okTx(t, "accept-dataset", c.Tx("datamarket", "accept-dataset", "1", "1", "--from", "carol"))
	if o, p := owners(); o != carol || p != "" {
		t.Fatalf("after carol's accept: owner %s, pending %q", o, p)
	}
	okTx(t, "transfer-dataset", c.Tx("datamarket", "transfer-dataset", "1", bob, "--from", "carol"))

	// The market's state survives export → import → export.
	c.WaitBlocks(1) // the EndBlocker has marked the licence expired
	c.Stop()
	exported, stderr, err := c.Exec("export", "--home", c.Home())
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	var gen struct {
		AppState struct {
			Datamarket struct {
				Datasets []struct {
					Sha256       string `json:"sha256"`
					PendingOwner string `json:"pending_owner"`
				} `json:"datasets"`
			} `json:"datamarket"`
		} `json:"app_state"`
	}
	if err := json.Unmarshal([]byte(exported), &gen); err != nil {
		t.Fatal(err)
	}
	if ds := gen.AppState.Datamarket.Datasets; len(ds) != 1 || ds[0].Sha256 != wantSHA || ds[0].PendingOwner != bob {
		t.Fatalf("the exported genesis lacks the dataset or its pending transfer to bob: %+v", ds)
	}
	assertGenesisRoundTrip(t, []byte(exported))
}

func getJSON(t *testing.T, c *Chain, path string, v any) {
	t.Helper()
	var status int
	var err error
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, err = c.GetJSON(path, v)
		if err == nil && status == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if err != nil || status != 200 {
		t.Fatalf("GET %s: status %d, err %v", path, status, err)
	}
}

// startDataserver runs aichain-dataserver against node0 on a free loopback
// port, serving the datasets the owners list with files in dataDir, and
// returns its base URL.
func startDataserver(t *testing.T, c *Chain, dataDir string, owners ...string) string {
	t.Helper()
	url, _ := startDataserverProc(t, c, dataDir, owners...)
	return url
}

// startDataserverProc is startDataserver that also returns a function that
// stops the server (at once, and again harmlessly at cleanup).
func startDataserverProc(t *testing.T, c *Chain, dataDir string, owners ...string) (string, func()) {
	t.Helper()
	// A port from the harness's range, not the kernel's ephemeral one, where
	// a parallel test's client connection could take it before the server
	// binds (e2e/ports.go).
	addr := "127.0.0.1:" + strconv.Itoa(freePortBlock(t, 1, 1))
	logf, err := os.Create(filepath.Join(t.TempDir(), "dataserver.log"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--node", c.Nodes[0].GRPCAddr(), "--listen", addr, "--data-dir", dataDir, "--refresh", "1s"}
	for _, o := range owners {
		args = append(args, "--owner", o)
	}
	cmd := exec.Command(filepath.Join(filepath.Dir(c.Bin), "aichain-dataserver"), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(func() {
		stop()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("dataserver log:\n%s", b)
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url, stop
			}
		}
		select {
		case <-done:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("aichain-dataserver exited:\n%s", b)
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatal(fmt.Sprintf("aichain-dataserver did not answer on %s", url))
	return "", stop
}

// localnetCommitDelay is the local network's content_commit_delay_blocks
// and weights_commit_delay_blocks (cmd/aichaind/cmd localnet_commits.go).
const localnetCommitDelay = 2

// commitDataset commits from's key to a dataset file (commit-dataset) and
// waits until a listing of it is accepted (commitAndWait).
func commitDataset(t *testing.T, c *Chain, path, rowsPerChunk, from string) {
	t.Helper()
	commitAndWait(t, c, "datamarket", "commit-dataset", path, "--rows-per-chunk", rowsPerChunk, "--from", from)
}

// commitModel commits from's key to a model name and weights (commit-model)
// and waits until a registration of them is accepted (commitAndWait).
func commitModel(t *testing.T, c *Chain, name, sha, from string) {
	t.Helper()
	commitAndWait(t, c, "modelregistry", "commit-model", name, sha, "--from", from)
}

// commitAndWait sends a commitment (tx args) and waits until what it
// commits to is accepted: the chain lists or registers new content only
// the delay after its owner's commitment, and a transaction sent once the
// commitment's height + delay − 1 is committed lands at that height or
// later.
func commitAndWait(t *testing.T, c *Chain, args ...string) {
	t.Helper()
	res := c.Tx(args...)
	okTx(t, args[1], res)
	h, err := strconv.ParseInt(res.Height, 10, 64)
	if err != nil {
		t.Fatalf("%s: height %q: %v", args[1], res.Height, err)
	}
	c.WaitHeight(h+localnetCommitDelay-1, 30*time.Second)
}

package e2e

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	"github.com/cosmos/cosmos-sdk/x/auth/migrations/legacytx"

	"github.com/aichain/aichain/chainclient"
	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload"
)

// msgSignData is ADR-036's message as amino knows it.
type msgSignData struct {
	Signer string `json:"signer"`
	Data   []byte `json:"data"`
}

func (m *msgSignData) Reset()         {}
func (m *msgSignData) String() string { return "msgSignData" }
func (m *msgSignData) ProtoMessage()  {}

// sdkSignedGet signs a GET as a wallet's signArbitrary does, with the SDK's
// own amino-JSON sign doc (legacytx.StdSignBytes over sign/MsgSignData) and
// the keyring's amino-JSON sign mode, and returns the status and body.
func (c *Chain) sdkSignedGet(t *testing.T, key, base, path string) (int, []byte) {
	t.Helper()
	enc, err := chainclient.MakeEncodingConfig()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, c.Home(), nil, enc.Codec)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := kr.Key(key)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := rec.GetPubKey()
	addr := c.Addr(key)
	r := signedreq.Request{Audience: base, Method: http.MethodGet, URI: path, Address: addr, Timestamp: time.Now().Unix(), Nonce: "e2e-adr036-nonce"}
	amino := codec.NewLegacyAmino()
	amino.RegisterConcrete(&msgSignData{}, "sign/MsgSignData", nil)
	old := legacytx.RegressionTestingAminoCodec
	legacytx.RegressionTestingAminoCodec = amino
	doc := legacytx.StdSignBytes("", 0, 0, 0, legacytx.StdFee{}, []sdk.Msg{&msgSignData{Signer: addr, Data: r.Payload()}}, "")
	legacytx.RegressionTestingAminoCodec = old
	sig, _, err := kr.Sign(key, doc, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	for h, v := range map[string]string{
		signedreq.HeaderAddress: addr, signedreq.HeaderPubKey: base64.StdEncoding.EncodeToString(pub.Bytes()),
		signedreq.HeaderAudience: base, signedreq.HeaderTimestamp: strconv.FormatInt(r.Timestamp, 10),
		signedreq.HeaderNonce: r.Nonce, signedreq.HeaderSignature: base64.StdEncoding.EncodeToString(sig),
	} {
		req.Header.Set(h, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body.Bytes()
}

// The dataset server on a real localnet: a licensee's request signed as a
// wallet signs an ADR-036 message (the SDK's own amino-JSON signing) is
// served; the CLI download still works; an attacker who lists a copy of
// the owner's file as a dataset of its own gets no byte of it from the
// owner's server, nor of the original; a request signed for another server
// is refused; and the server refuses to serve plain HTTP off loopback.
func TestDataserverADR036AndCopiedListing(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice", "bob", "carol")
	c.Start()
	alice := c.Addr("alice")
	dataDir := t.TempDir()
	m := &workload.Matrix{Rows: 40, Cols: 3, Data: make([]float32, 120)}
	for i := range m.Data {
		m.Data[i] = float32(i)*0.5 - 7
	}
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	npyPath := filepath.Join(dataDir, "owned.npy")
	if err := os.WriteFile(npyPath, npy, 0o644); err != nil {
		t.Fatal(err)
	}
	url := startDataserver(t, c, dataDir, alice)
	commitDataset(t, c, npyPath, "8", "alice")
	okTx(t, "list-dataset", c.Tx("datamarket", "list-dataset", npyPath, "owned", "--rows-per-chunk", "8", "--uri", url,
		"--offer", "perpetual:1000uaic", "--from", "alice"))
	okTx(t, "purchase-license", c.Tx("datamarket", "purchase-license", "1", "0", "--from", "bob"))

	if status, body := c.sdkSignedGet(t, "bob", url, "/v1/datasets/1"); status != http.StatusOK || !bytes.Equal(body, npy) {
		t.Fatalf("ADR-036 request signed with the SDK's amino-JSON: HTTP %d, %d bytes", status, len(body))
	}
	out := filepath.Join(t.TempDir(), "bob.npy")
	if _, stderr, err := c.CLIErr("q", "datamarket", "download", "1", url, "--from", "bob", "--keyring-backend", "test", "--output", out); err != nil {
		t.Fatalf("CLI download: %v\n%s", err, stderr)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, npy) {
		t.Fatal("the CLI download differs from the file")
	}

	// carol lists a copy of alice's file as her own dataset.
	res := c.Tx("datamarket", "list-dataset", npyPath, "copy", "--rows-per-chunk", "8", "--uri", url,
		"--offer", "perpetual:1uaic", "--from", "carol")
	if res.Code == 0 {
		carolOut := filepath.Join(t.TempDir(), "carol.npy")
		_, stderr, err := c.CLIErr("q", "datamarket", "download", "2", url, "--from", "carol", "--keyring-backend", "test", "--output", carolOut)
		if err == nil || !strings.Contains(stderr, "404") {
			t.Fatalf("the copy's owner downloaded it from alice's server: %v\n%s", err, stderr)
		}
		if _, err := os.Stat(carolOut); !os.IsNotExist(err) {
			t.Fatal("a refused download wrote a file")
		}
	} else {
		t.Logf("the chain refused the copied listing: %s", res.RawLog)
	}
	carol := c.Signer(t, "carol")
	for _, path := range []string{"/v1/datasets/2", "/v1/datasets/2/chunks/0", "/v1/datasets/1", "/v1/datasets/1/chunks/0"} {
		status, body := SignedGet(t, carol, url, path)
		if status == http.StatusOK || bytes.Contains(body, npy[len(npy)-480:len(npy)-400]) ||
			bytes.Contains(body, []byte(base64.StdEncoding.EncodeToString(npy[len(npy)-480:len(npy)-384]))) {
			t.Fatalf("carol's %s: HTTP %d leaked the file", path, status)
		}
	}
	// bob's request signed for another server is refused here.
	req, _ := http.NewRequest(http.MethodGet, url+"/v1/datasets/1", nil)
	if err := signedreq.Sign(req, c.Signer(t, "bob"), "http://127.0.0.1:1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var other bytes.Buffer
	_, _ = other.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(other.String(), "wrong_audience") {
		t.Fatalf("request signed for another server: %d %s", resp.StatusCode, other.String())
	}
	status, body := SignedGet(t, nil, url, "/v1/datasets/1")
	if status != http.StatusUnauthorized || bytes.Contains(body, npy[len(npy)-96:]) {
		t.Fatalf("unsigned: %d", status)
	}

	// Plain HTTP on a non-loopback address is refused at start.
	cmd := exec.Command(filepath.Join(filepath.Dir(c.Bin), "aichain-dataserver"), "--node", c.Nodes[0].GRPCAddr(),
		"--listen", "0.0.0.0:0", "--owner", alice, "--data-dir", dataDir)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if outp, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(outp), "refusing plain HTTP") {
		t.Fatalf("plain HTTP on 0.0.0.0: %v\n%s", err, outp)
	}
}

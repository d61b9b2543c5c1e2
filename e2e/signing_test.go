package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aichain/aichain/workload"
)

// signMode reads the sign mode of a committed tx's first signature.
func signMode(t *testing.T, c *Chain, hash string) string {
	t.Helper()
	var tx struct {
		Tx struct {
			AuthInfo struct {
				SignerInfos []struct {
					ModeInfo struct {
						Single struct {
							Mode string `json:"mode"`
						} `json:"single"`
					} `json:"mode_info"`
				} `json:"signer_infos"`
			} `json:"auth_info"`
		} `json:"tx"`
	}
	getJSON(t, c, "/cosmos/tx/v1beta1/txs/"+hash, &tx)
	if len(tx.Tx.AuthInfo.SignerInfos) != 1 {
		t.Fatalf("tx %s has %d signer infos", hash, len(tx.Tx.AuthInfo.SignerInfos))
	}
	return tx.Tx.AuthInfo.SignerInfos[0].ModeInfo.Single.Mode
}

// TestWalletSignModes signs one Msg of every aichain module in amino JSON
// (what Ledger's Cosmos app and browser wallets sign), and a transfer and an
// aichain Msg in SIGN_MODE_TEXTUAL, through the CLI; the node accepts each
// and records the mode it was signed in.
func TestWalletSignModes(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice", "bob")
	c.Start()
	alice, bob := c.Addr("alice"), c.Addr("bob")

	dir := t.TempDir()
	m := &workload.Matrix{Rows: 16, Cols: 2, Data: make([]float32, 32)}
	for i := range m.Data {
		m.Data[i] = float32(i) / 4
	}
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	npyPath := filepath.Join(dir, "d.npy")
	if err := os.WriteFile(npyPath, npy, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("weights"))
	hw, _ := json.Marshal(map[string]any{"gpu_model": "cpu", "workloads": []string{workload.KindGemm}})

	amino := []struct {
		what string
		args []string
	}{
		// First: the registration and the listing below are accepted 2
		// blocks after their commitments.
		{"modelregistry commit-model", []string{"modelregistry", "commit-model", "amino-model", hex.EncodeToString(sum[:]), "--from", "alice"}},
		{"datamarket commit-dataset", []string{"datamarket", "commit-dataset", npyPath, "--rows-per-chunk", "16", "--from", "bob"}},
		{"compute register-provider", []string{"compute", "register-provider", "amino", "http://127.0.0.1:8090", string(hw), "10000000uaic", "--from", "alice"}},
		{"modelregistry register-model", []string{"modelregistry", "register-model", "amino-model", "1.0.0", hex.EncodeToString(sum[:]),
			"http://127.0.0.1:1/m.safetensors", "2", "1", "MIT", "--hidden-dims", "4,3", "--shares", alice + ":1", "--from", "alice"}},
		{"stakingrewards lock", []string{"stakingrewards", "lock", "1000000uaic", "10m", "--from", "bob"}},
		{"datamarket list-dataset", []string{"datamarket", "list-dataset", npyPath, "amino-data", "--rows-per-chunk", "16",
			"--uri", "http://127.0.0.1:1", "--offer", "perpetual:100uaic", "--from", "bob"}},
	}
	for _, tx := range amino {
		res := c.Tx(append(tx.args, "--sign-mode", "amino-json", "--gas", "400000")...)
		okTx(t, tx.what+" (amino JSON)", res)
		if mode := signMode(t, c, res.TxHash); mode != "SIGN_MODE_LEGACY_AMINO_JSON" {
			t.Fatalf("%s: signed in %s", tx.what, mode)
		}
	}
	textual := []struct {
		what string
		args []string
	}{
		{"bank send", []string{"bank", "send", "alice", bob, "5uaic", "--from", "alice"}},
		{"compute create-job", []string{"compute", "create-job", `{"kind":"gemm-f32","gemm":{"m":8,"n":8,"k":8,"seed":1},"chunk_rows":4}`,
			"5000uaic", "--commit-blocks", "5", "--reveal-blocks", "5", "--exec-blocks", "20", "--from", "bob"}},
	}
	for _, tx := range textual {
		res := c.Tx(append(tx.args, "--sign-mode", "textual", "--gas", "400000")...)
		okTx(t, tx.what+" (textual)", res)
		if mode := signMode(t, c, res.TxHash); mode != "SIGN_MODE_TEXTUAL" {
			t.Fatalf("%s: signed in %s", tx.what, mode)
		}
	}
}

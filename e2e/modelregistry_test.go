package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

type mrCoin struct {
	Denom  string `json:"denom"`
	Amount string `json:"amount"`
}

type mrModel struct {
	ID           string   `json:"id"`
	Owner        string   `json:"owner"`
	PendingOwner string   `json:"pending_owner"`
	Name         string   `json:"name"`
	Version      string   `json:"version"`
	Architecture string   `json:"architecture"`
	Sha256       string   `json:"sha256"`
	URI          string   `json:"uri"`
	InputDim     string   `json:"input_dim"`
	OutputDim    string   `json:"output_dim"`
	License      string   `json:"license"`
	FeePerJob    []mrCoin `json:"fee_per_job"`
	FeePer1kRows []mrCoin `json:"fee_per_1k_rows"`
	Shares       []struct {
		Address string `json:"address"`
		Weight  int    `json:"weight"`
	} `json:"shares"`
	Status string `json:"status"`
	Usage  struct {
		Jobs string `json:"jobs"`
		Rows string `json:"rows"`
	} `json:"usage"`
}

func coinsString(cs []mrCoin) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Amount + c.Denom
	}
	return strings.Join(parts, ",")
}

// mrREST GETs a modelregistry REST path, retrying while the node catches up.
func mrREST(t *testing.T, c *Chain, path string, v any) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, err := c.GetJSON(path, v)
		if err == nil && status == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("REST %s: status %d, err %v", path, status, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func mrQueryModel(t *testing.T, c *Chain, id string) mrModel {
	t.Helper()
	var out struct {
		Model mrModel `json:"model"`
	}
	if err := json.Unmarshal([]byte(c.CLI("q", "modelregistry", "model", id, "--output", "json")), &out); err != nil {
		t.Fatal(err)
	}
	return out.Model
}

// TestModelRegistryCLIREST runs the registry through the real CLI and REST:
// alice registers a model with two shares, reads it back over both, updates
// its fees, bob's update is refused with a clear error, alice publishes a
// second version and deprecates the first, then offers the second to bob,
// who owns it once he accepts.
func TestModelRegistryCLIREST(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := NewChain(t, 1, "alice", "bob")
	c.Start()
	alice, bob := c.Addr("alice"), c.Addr("bob")
	sha := strings.Repeat("ab", 32)

	commitModel(t, c, "iris-mlp", sha, "alice")
	res := c.Tx("modelregistry", "register-model", "iris-mlp", "1.0.0", sha, "https://models.example/iris.safetensors",
		"4", "3", "Apache-2.0",
		"--fee-per-job", "1000uaic", "--fee-per-1k-rows", "50uaic",
		"--shares", alice+":70",
		"--shares", bob+":30",
		"--from", "alice")
	if res.Code != 0 {
		t.Fatalf("register-model: code %d: %s", res.Code, res.RawLog)
	}

	// CLI read-back.
	m := mrQueryModel(t, c, "1")
	if m.ID != "1" || m.Owner != alice || m.Name != "iris-mlp" || m.Version != "1.0.0" || m.Architecture != "mlp-f32" ||
		m.Sha256 != sha || m.InputDim != "4" || m.OutputDim != "3" || m.License != "Apache-2.0" ||
		coinsString(m.FeePerJob) != "1000uaic" || coinsString(m.FeePer1kRows) != "50uaic" || m.Status != "MODEL_STATUS_ACTIVE" {
		t.Fatalf("CLI model: %+v", m)
	}
	if len(m.Shares) != 2 || m.Shares[0].Address != alice || m.Shares[0].Weight != 70 || m.Shares[1].Address != bob || m.Shares[1].Weight != 30 {
		t.Fatalf("CLI model shares: %+v", m.Shares)
	}

	// REST read-back.
	var rm struct {
		Model mrModel `json:"model"`
	}
	mrREST(t, c, "/aichain/modelregistry/v1/models/1", &rm)
	if rm.Model.Owner != alice || rm.Model.Sha256 != sha || len(rm.Model.Shares) != 2 || coinsString(rm.Model.FeePerJob) != "1000uaic" {
		t.Fatalf("REST model: %+v", rm.Model)
	}
	var byOwner struct {
		Models []mrModel `json:"models"`
	}
	mrREST(t, c, "/aichain/modelregistry/v1/models?owner="+alice, &byOwner)
	if len(byOwner.Models) != 1 || byOwner.Models[0].ID != "1" {
		t.Fatalf("REST models by owner: %+v", byOwner.Models)
	}
	mrREST(t, c, "/aichain/modelregistry/v1/models?owner="+bob, &byOwner)
	if len(byOwner.Models) != 0 {
		t.Fatalf("REST models of bob: %+v", byOwner.Models)
	}
	var params struct {
		Params struct {
			PlatformFeeBps int `json:"platform_fee_bps"`
		} `json:"params"`
	}
	mrREST(t, c, "/aichain/modelregistry/v1/params", &params)
	if params.Params.PlatformFeeBps != 500 {
		t.Fatalf("REST params: %+v", params)
	}

	// The owner updates fees.
	res = c.Tx("modelregistry", "update-fees", "1", "--fee-per-job", "2000uaic", "--fee-per-1k-rows", "10uaic", "--from", "alice")
	if res.Code != 0 {
		t.Fatalf("update-fees: code %d: %s", res.Code, res.RawLog)
	}
	if m := mrQueryModel(t, c, "1"); coinsString(m.FeePerJob) != "2000uaic" || coinsString(m.FeePer1kRows) != "10uaic" {
		t.Fatalf("fees after update: %s + %s per 1k rows", coinsString(m.FeePerJob), coinsString(m.FeePer1kRows))
	}

	// The owner moves the weights (signed as a Ledger signs, amino JSON);
	// anyone else is refused (the module's ErrNotOwner) and moves nothing.
	mirror := "https://mirror.example/iris-mlp-1.0.0.safetensors"
	okTx(t, "update-uri", c.Tx("modelregistry", "update-uri", "1", mirror, "--from", "alice", "--sign-mode", "amino-json"))
	rejected(t, "bob's update-uri", c.Tx("modelregistry", "update-uri", "1", "https://bob.example/w", "--from", "bob"),
		modelregistrytypes.ErrNotOwner)
	if m := mrQueryModel(t, c, "1"); m.URI != mirror || m.Sha256 != sha {
		t.Fatalf("after update-uri: uri %q sha256 %s, want %q and the same file", m.URI, m.Sha256, mirror)
	}

	// A non-owner's updates are refused with a clear error and change nothing.
	rejected(t, "bob's update-fees", c.Tx("modelregistry", "update-fees", "1", "--fee-per-job", "1uaic", "--from", "bob"),
		modelregistrytypes.ErrNotOwner)
	rejected(t, "bob's deprecate-model", c.Tx("modelregistry", "deprecate-model", "1", "--from", "bob"), modelregistrytypes.ErrNotOwner)
	// Bad input is refused before it reaches a block.
	if _, stderr, err := c.CLIErr("tx", "modelregistry", "update-shares", "1", "--shares", alice+":0", "--from", "alice"); err == nil ||
		!strings.Contains(stderr, "WEIGHT must be a positive integer") {
		t.Fatalf("zero-weight share: want the CLI to refuse it, got %v: %s", err, stderr)
	}
	res = c.Tx("modelregistry", "register-model", "iris-mlp", "1.0.0", sha, "https://x/y", "4", "3", "MIT",
		"--shares", bob+":1", "--from", "bob")
	rejected(t, "duplicate name and version", res, modelregistrytypes.ErrDuplicateVersion)
	if m := mrQueryModel(t, c, "1"); coinsString(m.FeePerJob) != "2000uaic" || m.Status != "MODEL_STATUS_ACTIVE" || len(m.Shares) != 2 || m.Owner != alice {
		t.Fatalf("model changed by refused txs: %+v", m)
	}

	// A second version (signed with amino JSON, as a Ledger would), then the
	// first is deprecated.
	commitModel(t, c, "iris-mlp", strings.Repeat("cd", 32), "alice")
	res = c.Tx("modelregistry", "publish-version", "iris-mlp", "1.1.0", strings.Repeat("cd", 32), "https://models.example/iris-1.1.safetensors",
		"4", "3", "Apache-2.0", "--fee-per-job", "1500uaic", "--shares", alice+":1", "--from", "alice",
		"--sign-mode", "amino-json")
	if res.Code != 0 {
		t.Fatalf("publish-version: code %d: %s", res.Code, res.RawLog)
	}
	res = c.Tx("modelregistry", "deprecate-model", "1", "--from", "alice")
	if res.Code != 0 {
		t.Fatalf("deprecate-model: code %d: %s", res.Code, res.RawLog)
	}
	if m := mrQueryModel(t, c, "1"); m.Status != "MODEL_STATUS_DEPRECATED" {
		t.Fatalf("status after deprecation: %s", m.Status)
	}
	var versions struct {
		Models []mrModel `json:"models"`
	}
	if err := json.Unmarshal([]byte(c.CLI("q", "modelregistry", "model-versions", "iris-mlp", "--output", "json")), &versions); err != nil {
		t.Fatal(err)
	}
	if len(versions.Models) != 2 || versions.Models[0].Version != "1.0.0" || versions.Models[1].Version != "1.1.0" {
		t.Fatalf("CLI versions: %+v", versions.Models)
	}
	mrREST(t, c, "/aichain/modelregistry/v1/names/iris-mlp/versions", &versions)
	if len(versions.Models) != 2 || versions.Models[0].Status != "MODEL_STATUS_DEPRECATED" || versions.Models[1].Status != "MODEL_STATUS_ACTIVE" {
		t.Fatalf("REST versions: %+v", versions.Models)
	}
	var usage struct {
		ModelID string `json:"model_id"`
		Usage   struct {
			Jobs string `json:"jobs"`
		} `json:"usage"`
	}
	if err := json.Unmarshal([]byte(c.CLI("q", "modelregistry", "usage", "2", "--output", "json")), &usage); err != nil {
		t.Fatal(err)
	}
	if usage.ModelID != "2" || (usage.Usage.Jobs != "" && usage.Usage.Jobs != "0") {
		t.Fatalf("CLI usage of a new model: %+v", usage)
	}
	mrREST(t, c, "/aichain/modelregistry/v1/models/2/usage", &usage)
	if usage.ModelID != "2" || usage.Usage.Jobs != "0" {
		t.Fatalf("REST usage: %+v", usage)
	}
	// An unknown model is a clear not-found error.
	_, stderr, err := c.CLIErr("q", "modelregistry", "model", "99")
	if err == nil || !strings.Contains(stderr, "not found") {
		t.Fatalf("unknown model: want not found, got err=%v stderr=%q", err, stderr)
	}

	// alice offers the latest version to bob, who owns it only once he
	// accepts (signed with amino JSON, as a Ledger would).
	okTx(t, "transfer-ownership", c.Tx("modelregistry", "transfer-ownership", "2", bob, "--from", "alice"))
	if m := mrQueryModel(t, c, "2"); m.Owner != alice || m.PendingOwner != bob {
		t.Fatalf("after alice's offer: owner %s, pending %s; want alice's, offered to bob", m.Owner, m.PendingOwner)
	}
	okTx(t, "accept-ownership", c.Tx("modelregistry", "accept-ownership", "2", "1", "--from", "bob", "--sign-mode", "amino-json"))
	if m := mrQueryModel(t, c, "2"); m.Owner != bob || m.PendingOwner != "" {
		t.Fatalf("after bob's accept: owner %s, pending %q", m.Owner, m.PendingOwner)
	}

	// The registry survives export → import → export unchanged.
	c.Stop()
	exported, stderr, err := c.Exec("export", "--home", c.Home())
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	if !strings.Contains(exported, "iris-mlp") {
		t.Fatal("the exported genesis does not contain the model")
	}
	assertGenesisRoundTrip(t, []byte(exported))
}

package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// aichaind runs the built aichaind with args and fails the test on error.
func aichaind(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command(filepath.Join(Binaries(t), "aichaind"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("aichaind %v: %v\n%s", args, err, out)
	}
}

// TestChainRegistry writes the chain-registry entries as
// scripts/chain-registry.sh (make chain-registry) does, checks that they are
// exactly the committed ones, and validates every file against the
// registry's JSON schemas.
func TestChainRegistry(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	repo, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	aichaind(t, "testnet", "init-files", "--v", "1", "--output-dir", filepath.Join(tmp, "local"), "--chain-id", "aichain-local-1",
		"--keyring-backend", "test", "--minimum-gas-prices", "0uaic")
	aichaind(t, "chain-registry", "--home", filepath.Join(tmp, "local", "node0"), "--chain-name", "aichainlocal",
		"--pretty-name", "aichain localnet", "--network-type", "devnet", "--status", "live", "--out", filepath.Join(tmp, "out", "localnet"))
	aichaind(t, "testnet", "init-files", "--v", "1", "--output-dir", filepath.Join(tmp, "testnet"), "--chain-id", "aichain-testnet-1",
		"--keyring-backend", "test", "--minimum-gas-prices", "0.025uaic")
	aichaind(t, "chain-registry", "--home", filepath.Join(tmp, "testnet", "node0"), "--chain-name", "aichaintestnet",
		"--pretty-name", "aichain testnet", "--network-type", "testnet", "--status", "upcoming",
		"--public-rpc", "https://rpc.testnet.aichain.example", "--public-rest", "https://rest.testnet.aichain.example",
		"--public-grpc", "grpc.testnet.aichain.example:443", "--out", filepath.Join(tmp, "out", "testnet"))

	c := jsonschema.NewCompiler()
	chainSchema, err := c.Compile(filepath.Join(repo, "chain-registry", "chain.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	assetSchema, err := c.Compile(filepath.Join(repo, "chain-registry", "assetlist.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, net := range []string{"localnet", "testnet"} {
		for file, schema := range map[string]*jsonschema.Schema{"chain.json": chainSchema, "assetlist.json": assetSchema} {
			written, err := os.ReadFile(filepath.Join(tmp, "out", net, file))
			if err != nil {
				t.Fatal(err)
			}
			committed, err := os.ReadFile(filepath.Join(repo, "chain-registry", net, file))
			if err != nil {
				t.Fatalf("%v (run make chain-registry)", err)
			}
			if !bytes.Equal(written, committed) {
				t.Errorf("chain-registry/%s/%s differs from what aichaind chain-registry writes: run make chain-registry\n%s", net, file, written)
			}
			var doc any
			if err := json.Unmarshal(committed, &doc); err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(doc); err != nil {
				t.Errorf("chain-registry/%s/%s does not validate against the registry schema: %v", net, file, err)
			}
		}
	}
}

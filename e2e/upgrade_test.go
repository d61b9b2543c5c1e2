package e2e

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"cosmossdk.io/math"
)

// cosmovisor lays out a node home as cosmovisor does: cosmovisor/genesis/bin
// and cosmovisor/upgrades/<name>/bin, with cosmovisor/current pointing at the
// one in use. It returns the path the node runs its binary from.
func cosmovisor(t *testing.T, home, genesisBin string, upgrades map[string]string) string {
	t.Helper()
	root := filepath.Join(home, "cosmovisor")
	install := func(src, dir string) {
		if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		bz, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "bin", "aichaind"), bz, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	install(genesisBin, filepath.Join(root, "genesis"))
	for name, bin := range upgrades {
		install(bin, filepath.Join(root, "upgrades", name))
	}
	if err := os.Symlink("genesis", filepath.Join(root, "current")); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "current", "bin", "aichaind")
}

// switchTo does what cosmovisor does once the node has written
// upgrade-info.json: point current at the upgrade's folder.
func switchTo(t *testing.T, home, name string) {
	t.Helper()
	current := filepath.Join(home, "cosmovisor", "current")
	if err := os.Remove(current); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("upgrades", name), current); err != nil {
		t.Fatal(err)
	}
}

// rehearsalBinary builds aichaind with the rehearsal upgrade (-tags
// upgrade_rehearsal): the "new version" of the chain.
func rehearsalBinary(t *testing.T) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "aichaind")
	cmd := exec.Command("go", "build", "-tags=ledger,upgrade_rehearsal", "-o", out, "./cmd/aichaind")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the upgrade binary: %v\n%s", err, b)
	}
	return out
}

// TestUpgradeRehearsal runs a software upgrade end to end on a real node in
// cosmovisor's layout: a governance MsgSoftwareUpgrade passes, the chain
// halts at its height and writes upgrade-info.json, the harness switches the
// binary as cosmovisor would, and the new binary adds a store and migrates a
// param at that height; the chain then goes on with every balance intact.
func TestUpgradeRehearsal(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	newBin := rehearsalBinary(t)
	c := NewChain(t, 1, "alice", "bob")
	c.SetVotingPeriod(8*time.Second, 4*time.Second)
	n := c.Nodes[0]
	n.bin = cosmovisor(t, n.Home, c.Bin, map[string]string{"rehearsal": newBin})
	c.Start()

	alice, bob := c.Addr("alice"), c.Addr("bob")
	okTx(t, "send", c.Tx("bank", "send", "alice", bob, "4242uaic", "--from", "alice"))
	var params struct {
		Params struct {
			ChallengeBlocks string `json:"challenge_blocks"`
		} `json:"params"`
	}
	getJSON(t, c, "/aichain/compute/v1/params", &params)
	challengeBefore, _ := strconv.ParseUint(params.Params.ChallengeBlocks, 10, 64)

	h, err := n.Height()
	if err != nil {
		t.Fatal(err)
	}
	upgradeHeight := h + 40 // past the 8 s vote at 0.5 s blocks
	id := c.SubmitProposal("node0", "rehearsal upgrade", map[string]any{
		"@type":     "/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade",
		"authority": srModuleAddr(t, "gov"),
		"plan":      map[string]any{"name": "rehearsal", "height": strconv.FormatInt(upgradeHeight, 10), "info": ""},
	})
	okTx(t, "vote", c.Tx("gov", "vote", id, "yes", "--from", "node0"))
	if p := c.WaitProposal(id, 60*time.Second); p.Status != "PROPOSAL_STATUS_PASSED" {
		t.Fatalf("upgrade proposal: %s %s", p.Status, p.FailedReason)
	}
	balances := map[string]math.Int{alice: c.restBalance(t, alice), bob: c.restBalance(t, bob)}

	// The old binary halts at the upgrade height and writes what it needs to
	// upgrade-info.json, which cosmovisor watches; cosmovisor then stops it.
	infoFile := filepath.Join(n.Home, "data", "upgrade-info.json")
	deadline := time.Now().Add(90 * time.Second)
	var bz []byte
	for {
		if bz, err = os.ReadFile(infoFile); err == nil && len(bz) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no upgrade-info.json: the node did not halt for the upgrade (%v)\n%s", err, n.LogTail(30))
		}
		time.Sleep(500 * time.Millisecond)
	}
	n.Stop()
	var info struct {
		Name   string `json:"name"`
		Height int64  `json:"height"`
	}
	if err := json.Unmarshal(bz, &info); err != nil || info.Name != "rehearsal" || info.Height != upgradeHeight {
		t.Fatalf("upgrade-info.json %s (%v), want rehearsal at %d", bz, err, upgradeHeight)
	}

	switchTo(t, n.Home, info.Name)
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	c.WaitHeight(upgradeHeight+3, 60*time.Second)

	// The upgrade ran once, at its height: the store it added holds that
	// height, the param it migrated doubled, and no balance changed.
	var applied struct {
		Height string `json:"height"`
	}
	getJSON(t, c, "/cosmos/upgrade/v1beta1/applied_plan/rehearsal", &applied)
	if applied.Height != strconv.FormatInt(upgradeHeight, 10) {
		t.Fatalf("applied plan at %q, want %d", applied.Height, upgradeHeight)
	}
	var q struct {
		Response struct {
			Value string `json:"value"`
		} `json:"response"`
	}
	if err := n.RPC(`/abci_query?path="/store/rehearsal/key"&data=0x`+hex.EncodeToString([]byte("upgraded_at")), &q); err != nil {
		t.Fatal(err)
	}
	if v, _ := base64.StdEncoding.DecodeString(q.Response.Value); string(v) != strconv.FormatInt(upgradeHeight, 10) {
		t.Fatalf("the added store holds %q, want %d", v, upgradeHeight)
	}
	getJSON(t, c, "/aichain/compute/v1/params", &params)
	if got, _ := strconv.ParseUint(params.Params.ChallengeBlocks, 10, 64); got != 2*challengeBefore {
		t.Fatalf("challenge_blocks %d after the upgrade, want %d", got, 2*challengeBefore)
	}
	for addr, want := range balances {
		if got := c.restBalance(t, addr); !got.Equal(want) {
			t.Fatalf("%s has %s after the upgrade, had %s", addr, got, want)
		}
	}
	okTx(t, "send after the upgrade", c.Tx("bank", "send", "alice", bob, "1uaic", "--from", "alice"))
}

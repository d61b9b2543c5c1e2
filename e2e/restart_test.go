package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/math"
)

// TestZeroHeightRestartUnderTheSameChainID restarts a real four-validator
// network from a zero-height export under the same chain-id, as validators
// do: the old chain runs until several beacons are final and settles a job;
// every node stops; node0's state is exported (plainly, then for zero
// height); every node gets the exported genesis and a reset of its chain
// data and signing state; all four start again. The export keeps
// vote_extensions_enable_height (≥ 1) and carries a 32-byte beacon restart
// tag; the restarted chain makes blocks, no share fails verification, its
// final beacons of heights 1..k all differ from the old chain's of the same
// heights (which a restart without the tag would replay: every draw of the
// new chain known in advance), a new job is drawn from the beacon and
// settles, and balances no transaction touched are those exported.
func TestZeroHeightRestartUnderTheSameChainID(t *testing.T) {
	c := sampledFourValidatorChain(t, "alice", "provider", "bob")
	c.Start()
	r := &restartRun{t: t, c: c, dir: t.TempDir()}

	// The old chain: a settled job and its beacons, so that the export
	// holds real state.
	r.startAgents("old")
	r.settleBeaconJob(1)
	c.WaitHeight(14, 60*time.Second)
	alice, bob := c.Addr("alice"), c.Addr("bob")
	before := map[string]math.Int{alice: c.restBalance(t, alice), bob: c.restBalance(t, bob)}
	r.stopAll()

	plain, plainPath := r.export("plain.json", false)
	zero, zeroPath := r.export("zero.json", true)
	exportHeight := int64(plain.InitialHeight) - 1 // the last committed height
	old := r.checkExport(plain, zero, exportHeight)
	for addr, amt := range before {
		if got := zero.balance(t, addr); !got.Equal(amt) {
			t.Errorf("exported balance of %s: %s, want %s as the chain had it", addr, got, amt)
		}
	}
	t.Logf("exported at height %d (plain %s, zero-height %s); %d old beacons", exportHeight, plainPath, zeroPath, len(old))

	// The restart: same chain-id, the exported genesis, fresh chain data.
	r.restartFrom(zeroPath)
	for addr, amt := range before {
		if got := c.restBalance(t, addr); !got.Equal(amt) {
			t.Errorf("balance of %s on the restarted chain: %s, want %s as exported", addr, got, amt)
		}
	}
	r.startAgents("new")
	r.settleBeaconJob(2)
	const k = 10 // compare the beacons of heights 1..k; each is final W (3) blocks after
	c.WaitHeight(k+5, 60*time.Second)
	r.compareBeacons(old, zero.compute(t).RestartTag, k)
	r.checkLogs()
}

// restartRun is the state of TestZeroHeightRestartUnderTheSameChainID.
type restartRun struct {
	t      *testing.T
	c      *Chain
	dir    string
	agents []*Process
}

// startAgents starts a verifier sidecar beside every node and the provider
// agent (fresh folders for each phase of the chain).
func (r *restartRun) startAgents(phase string) {
	r.t.Helper()
	dir := filepath.Join(r.dir, phase)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.t.Fatal(err)
	}
	for i, n := range r.c.Nodes {
		r.agents = append(r.agents, StartSidecar(r.t, dir, fmt.Sprintf("sidecar%d", i), n))
	}
	r.agents = append(r.agents, r.c.StartProvider(r.t, dir, "provider", r.c.Nodes[0].SparePort(1), "1000uaic"))
}

// stopAll stops the agents, then every node.
func (r *restartRun) stopAll() {
	for _, p := range r.agents {
		p.Stop()
	}
	r.agents = nil
	r.c.Stop()
}

// settleBeaconJob creates a gemm job and checks that it is drawn from the
// validators' beacon and settles after its verification.
func (r *restartRun) settleBeaconJob(seed int) {
	t, c := r.t, r.c
	t.Helper()
	id := c.createGemmJob(t, seed)
	j := c.waitJobState(t, id, 180*time.Second, "JOB_STATE_SETTLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED")
	if j.State != "JOB_STATE_SETTLED" || j.CloseReason != "CLOSE_REASON_SETTLED" {
		t.Fatalf("job %s ended %s / %s, want settled after its verification\nnode0:\n%s",
			id, j.State, j.CloseReason, c.Nodes[0].LogTail(30))
	}
	if j.Sample.SeedSource != "SEED_SOURCE_BEACON" || len(j.Sample.BeaconHeights) != 2 || !j.Sample.Selected {
		t.Fatalf("job %s drawn from %q (heights %v, selected %v), want the beacon of two heights",
			id, j.Sample.SeedSource, j.Sample.BeaconHeights, j.Sample.Selected)
	}
}

// exportedGenesis is the part of an exported genesis the test reads.
type exportedGenesis struct {
	ChainID       string  `json:"chain_id"`
	InitialHeight flexInt `json:"initial_height"`
	AppState      struct {
		Compute json.RawMessage `json:"compute"`
		Bank    struct {
			Balances []struct {
				Address string `json:"address"`
				Coins   []struct {
					Denom  string `json:"denom"`
					Amount string `json:"amount"`
				} `json:"coins"`
			} `json:"balances"`
		} `json:"bank"`
	} `json:"app_state"`
	Consensus struct {
		Params struct {
			ABCI struct {
				VoteExtensionsEnableHeight flexInt `json:"vote_extensions_enable_height"`
			} `json:"abci"`
		} `json:"params"`
	} `json:"consensus"`
}

// computeGenesis is the part of the x/compute genesis the test reads.
type computeGenesis struct {
	RestartTag []byte `json:"beacon_restart_tag"`
	Beacons    []struct {
		Height flexInt `json:"height"`
		Beacon struct {
			Value []byte `json:"value"`
		} `json:"beacon"`
	} `json:"beacons"`
}

// flexInt is an integer that JSON writes as a number or, as proto JSON
// writes an int64, a string.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	n, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64)
	*f = flexInt(n)
	return err
}

func (g exportedGenesis) compute(t *testing.T) computeGenesis {
	t.Helper()
	var cg computeGenesis
	if err := json.Unmarshal(g.AppState.Compute, &cg); err != nil {
		t.Fatalf("decode the x/compute genesis: %v", err)
	}
	return cg
}

// beacons returns the final beacons by height, shifted back by shift.
func (cg computeGenesis) beacons(shift int64) map[int64][]byte {
	out := map[int64][]byte{}
	for _, b := range cg.Beacons {
		out[int64(b.Height)+shift] = b.Beacon.Value
	}
	return out
}

func (g exportedGenesis) balance(t *testing.T, addr string) math.Int {
	t.Helper()
	for _, b := range g.AppState.Bank.Balances {
		if b.Address != addr {
			continue
		}
		for _, c := range b.Coins {
			if c.Denom == "uaic" {
				amt, ok := math.NewIntFromString(c.Amount)
				if !ok {
					t.Fatalf("exported balance %q", c.Amount)
				}
				return amt
			}
		}
	}
	return math.ZeroInt()
}

// export runs `aichaind export` on node0's stopped home into the test's
// folder and returns the genesis it wrote.
func (r *restartRun) export(name string, forZeroHeight bool) (exportedGenesis, string) {
	t := r.t
	t.Helper()
	out := filepath.Join(r.dir, name)
	args := []string{"export", "--home", r.c.Home(), "--output-document", out}
	if forZeroHeight {
		args = append(args, "--for-zero-height")
	}
	if stdout, stderr, err := r.c.Exec(args...); err != nil {
		t.Fatalf("aichaind %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout, stderr)
	}
	bz, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var g exportedGenesis
	if err := json.Unmarshal(bz, &g); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	return g, out
}

// checkExport checks both exports and returns the old chain's final
// beacons by their original heights.
func (r *restartRun) checkExport(plain, zero exportedGenesis, exportHeight int64) map[int64][]byte {
	t := r.t
	t.Helper()
	if zero.ChainID != r.c.ChainID || exportHeight < 14 {
		t.Fatalf("exports of chain %q at height %d, want %q past 14", zero.ChainID, exportHeight, r.c.ChainID)
	}
	if h := zero.Consensus.Params.ABCI.VoteExtensionsEnableHeight; h < 1 {
		t.Errorf("zero-height export: consensus.params.abci.vote_extensions_enable_height %d, want ≥ 1", h)
	}
	if h := plain.Consensus.Params.ABCI.VoteExtensionsEnableHeight; h < 1 {
		t.Errorf("plain export: consensus.params.abci.vote_extensions_enable_height %d, want ≥ 1", h)
	}
	// Not fatal: without the tag the test goes on to show the replay.
	if tag := zero.compute(t).RestartTag; len(tag) != 32 {
		t.Errorf("zero-height export: beacon_restart_tag %x (%d bytes), want 32 bytes", tag, len(tag))
	}
	if tag := plain.compute(t).RestartTag; len(tag) != 0 {
		t.Errorf("plain export of a chain never restarted: beacon_restart_tag %x, want none", tag)
	}
	old := plain.compute(t).beacons(0)
	shifted := zero.compute(t).beacons(exportHeight)
	final := 0
	for _, v := range old {
		if len(v) > 0 {
			final++
		}
	}
	if final < 8 {
		t.Fatalf("the old chain has %d final beacons (of %d kept), want at least 8", final, len(old))
	}
	for h, v := range old {
		if w, ok := shifted[h]; !ok || !bytes.Equal(v, w) {
			t.Errorf("old beacon of height %d: at %d in the zero-height export %x, want %x", h, h-exportHeight, w, v)
		}
	}
	if len(shifted) != len(old) {
		t.Errorf("zero-height export holds %d beacons, the plain one %d", len(shifted), len(old))
	}
	return old
}

// restartFrom gives every node the genesis at path, resets its chain data
// and signing state (keeping its keys, beacon key and address book) and
// starts the network again under the same chain-id.
func (r *restartRun) restartFrom(path string) {
	t := r.t
	t.Helper()
	gen, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range r.c.Nodes {
		if err := os.WriteFile(filepath.Join(n.Home, "config", "genesis.json"), gen, 0o644); err != nil {
			t.Fatal(err)
		}
		args := []string{"comet", "unsafe-reset-all", "--home", n.Home, "--keep-addr-book"}
		if stdout, stderr, err := r.c.Exec(args...); err != nil {
			t.Fatalf("aichaind %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout, stderr)
		}
		if _, err := os.Stat(filepath.Join(n.Home, "data", "application.db")); err == nil {
			t.Fatalf("%s: unsafe-reset-all left the application state in data/", n.Name)
		}
	}
	r.c.Start()
	if h, err := r.c.Nodes[0].Height(); err != nil || h > 30 {
		t.Fatalf("restarted chain at height %d (%v), want a new chain from height 1", h, err)
	}
}

// compareBeacons checks that each final beacon of heights 1..k of the
// restarted chain (from an export of it, stopped) differs from the old
// chain's of the same height, and that the restarted chain kept the
// exported restart tag.
func (r *restartRun) compareBeacons(old map[int64][]byte, tag []byte, k int64) {
	t := r.t
	t.Helper()
	r.stopAll()
	again, _ := r.export("restarted.json", false)
	cg := again.compute(t)
	if !bytes.Equal(cg.RestartTag, tag) {
		t.Errorf("restarted chain's restart tag %x, want the exported %x", cg.RestartTag, tag)
	}
	fresh := cg.beacons(0)
	compared := 0
	for h := int64(1); h <= k; h++ {
		if len(fresh[h]) == 0 || len(old[h]) == 0 {
			continue // not final, or too little power signed, on either chain
		}
		compared++
		if bytes.Equal(fresh[h], old[h]) {
			t.Errorf("the restarted chain's beacon of height %d is the old chain's (%x): replayed", h, fresh[h])
		}
	}
	if compared < int(k)/2 {
		t.Fatalf("compared only %d beacons of heights 1..%d (final on both chains)", compared, k)
	}
	t.Logf("compared %d beacons of heights 1..%d", compared, k)
}

// checkLogs checks that no node refused an honest share, on either chain.
func (r *restartRun) checkLogs() {
	for _, n := range r.c.Nodes {
		b, err := os.ReadFile(filepath.Join(n.Home, "node.log"))
		if err != nil {
			r.t.Fatal(err)
		}
		if i := bytes.Index(b, []byte("beacon share does not verify")); i >= 0 {
			end := min(len(b), i+400)
			r.t.Errorf("%s: an honest share failed verification: %s", n.Name, b[max(0, i-200):end])
		}
	}
}

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// setConfig runs `aichaind config set` on a home (file is app, config or client).
func (c *Chain) setConfig(home, file, key, value string) {
	c.t.Helper()
	args := []string{"config", "set", file, key, value, "--home", home}
	if file == "config" {
		args = append(args, "--skip-validate") // confix validates app.toml only
	}
	if out, errOut, err := c.Exec(args...); err != nil {
		c.t.Fatalf("config set %s %s %s: %v\n%s%s", file, key, value, err, out, errOut)
	}
}

func (c *Chain) nodeID(home string) string {
	c.t.Helper()
	out, errOut, err := c.Exec("comet", "show-node-id", "--home", home)
	if err != nil {
		c.t.Fatalf("show-node-id: %v %s", err, errOut)
	}
	return strings.TrimSpace(out)
}

// status is a node's CometBFT sync status.
type status struct {
	SyncInfo struct {
		LatestBlockHeight   string `json:"latest_block_height"`
		EarliestBlockHeight string `json:"earliest_block_height"`
		LatestAppHash       string `json:"latest_app_hash"`
		CatchingUp          bool   `json:"catching_up"`
	} `json:"sync_info"`
}

// TestStateSyncJoin: a new full node joins a running four-validator network
// with vote extensions on by state sync — it restores a validator's snapshot
// instead of replaying from genesis — then follows the chain block by block
// with the same app hashes.
func TestStateSyncJoin(t *testing.T) {
	c := NewChain(t, 4)
	for _, n := range c.Nodes {
		c.setConfig(n.Home, "app", "state-sync.snapshot-interval", "10")
		c.setConfig(n.Home, "app", "state-sync.snapshot-keep-recent", "3")
	}
	c.Start()
	c.WaitHeight(32, 120*time.Second)

	// The joiner: a fresh home with the network's genesis, on node3's spare ports.
	home := filepath.Join(c.Dir, "joiner")
	if out, errOut, err := c.Exec("init", "joiner", "--chain-id", c.ChainID, "--home", home); err != nil {
		t.Fatalf("init: %v\n%s%s", err, out, errOut)
	}
	genesis, err := os.ReadFile(filepath.Join(c.Nodes[0].Home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "config", "genesis.json"), genesis, 0o644); err != nil {
		t.Fatal(err)
	}
	spare := c.Nodes[3]
	j := &Node{Name: "joiner", Home: home, bin: c.Bin,
		Ports: Ports{P2P: spare.SparePort(1), RPC: spare.SparePort(2), GRPC: spare.SparePort(3), API: spare.SparePort(4)}}
	var peers, rpcs []string
	for _, n := range c.Nodes[:2] {
		peers = append(peers, fmt.Sprintf("%s@127.0.0.1:%d", c.nodeID(n.Home), n.Ports.P2P))
		rpcs = append(rpcs, fmt.Sprintf("http://127.0.0.1:%d", n.Ports.RPC))
	}
	trustHeight := int64(20)
	var block struct {
		BlockID struct {
			Hash string `json:"hash"`
		} `json:"block_id"`
	}
	if err := c.Nodes[0].RPC("/block?height="+strconv.FormatInt(trustHeight, 10), &block); err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][3]string{
		{"config", "p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", j.Ports.P2P)},
		{"config", "p2p.persistent_peers", strings.Join(peers, ",")},
		{"config", "p2p.allow_duplicate_ip", "true"},
		{"config", "p2p.addr_book_strict", "false"},
		{"config", "rpc.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", j.Ports.RPC)},
		{"config", "rpc.pprof_laddr", ""},
		{"config", "statesync.enable", "true"},
		{"config", "statesync.rpc_servers", strings.Join(rpcs, ",")},
		{"config", "statesync.trust_height", strconv.FormatInt(trustHeight, 10)},
		{"config", "statesync.trust_hash", block.BlockID.Hash},
		{"config", "statesync.trust_period", "168h0m0s"},
		{"app", "minimum-gas-prices", "0uaic"},
		{"app", "grpc.address", fmt.Sprintf("127.0.0.1:%d", j.Ports.GRPC)},
		{"app", "api.enable", "false"},
	} {
		c.setConfig(home, kv[0], kv[1], kv[2])
	}
	if err := j.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(j.Stop)

	// It catches up from a snapshot (its earliest block is past genesis)...
	var st status
	deadline := time.Now().Add(150 * time.Second)
	for {
		err := j.RPC("/status", &st)
		if err == nil && !st.SyncInfo.CatchingUp && st.SyncInfo.LatestBlockHeight != "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the joiner did not catch up (%v, %+v):\n%s", err, st.SyncInfo, j.LogTail(40))
		}
		time.Sleep(time.Second)
	}
	if earliest, _ := strconv.ParseInt(st.SyncInfo.EarliestBlockHeight, 10, 64); earliest <= 1 {
		t.Fatalf("the joiner's earliest block is %d: it replayed from genesis instead of state syncing", earliest)
	}
	// ...then keeps up: at a height past the snapshot, its app hash is node0's.
	h, _ := strconv.ParseInt(st.SyncInfo.LatestBlockHeight, 10, 64)
	target := h + 10
	c.WaitHeight(target+1, 60*time.Second)
	var mine, theirs struct {
		Block struct {
			Header struct {
				AppHash string `json:"app_hash"`
			} `json:"header"`
		} `json:"block"`
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		err := j.RPC("/block?height="+strconv.FormatInt(target, 10), &mine)
		if err == nil && mine.Block.Header.AppHash != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the joiner did not reach height %d (%v):\n%s", target, err, j.LogTail(30))
		}
		time.Sleep(time.Second)
	}
	if err := c.Nodes[0].RPC("/block?height="+strconv.FormatInt(target, 10), &theirs); err != nil {
		t.Fatal(err)
	}
	if mine.Block.Header.AppHash != theirs.Block.Header.AppHash {
		t.Fatalf("height %d: the joiner's app hash %s, node0's %s", target, mine.Block.Header.AppHash, theirs.Block.Header.AppHash)
	}
}

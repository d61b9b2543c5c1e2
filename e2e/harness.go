// Package e2e runs aichain as its users do: real aichaind processes on
// loopback ports, driven through the CLI, gRPC and REST. The harness here is
// shared by every end-to-end test.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ChainID is the chain-id of every test network.
const ChainID = "aichain-local-1"

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binaries builds the cmd/ binaries once per test process and returns the
// directory that holds them.
func Binaries(t testing.TB) string {
	t.Helper()
	dir, err := buildBinaries()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildBinaries builds the cmd/ binaries, once (the test binaries carry the
// fault-injection flag: -tags faultinject).
func buildBinaries() (string, error) {
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "aichain-e2e-bin")
		if buildErr != nil {
			return
		}
		root, err := repoRoot()
		if err != nil {
			buildErr = err
			return
		}
		cmd := exec.Command("go", "build", "-tags", buildTags(), "-o", buildDir+"/", "./cmd/...")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/...: %w\n%s", err, out)
		}
	})
	return buildDir, buildErr
}

// buildTags are the tags of the test binaries: faultinject, and the ones
// GOFLAGS names (make test sets -tags=ledger there; an explicit -tags would
// replace it).
func buildTags() string {
	tags := []string{"faultinject"}
	for _, f := range strings.Fields(os.Getenv("GOFLAGS")) {
		if t, ok := strings.CutPrefix(f, "-tags="); ok {
			tags = append(tags, strings.Split(t, ",")...)
		}
	}
	return strings.Join(tags, ",")
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// Ports are one node's listen ports on 127.0.0.1.
type Ports struct{ P2P, RPC, GRPC, API int }

// Node is one running (or stopped) aichaind process.
type Node struct {
	Name  string
	Home  string
	Ports Ports
	bin   string
	cmd   *exec.Cmd
	done  chan struct{}
	log   *os.File
}

// Chain is a local network of validators started from `aichaind testnet init-files`.
type Chain struct {
	t       testing.TB
	Bin     string
	Dir     string
	ChainID string
	Nodes   []*Node

	addrMu sync.Mutex
	addrs  map[string]string // key name -> address, read once from the keyring
}

// NewChain writes the files of a network of n validators with the given
// funded keys (created in node0's keyring) and returns it, not started.
func NewChain(t testing.TB, n int, fundedKeys ...string) *Chain {
	t.Helper()
	return NewChainID(t, ChainID, n, fundedKeys...)
}

// NewChainID is NewChain for a network of another chain-id (a second chain,
// for IBC).
func NewChainID(t testing.TB, chainID string, n int, fundedKeys ...string) *Chain {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short (make test runs it)")
	}
	bin := filepath.Join(Binaries(t), "aichaind")
	dir := t.TempDir()
	const step = 10
	base := freePortBlock(t, n, step)
	args := []string{
		"testnet", "init-files", "--v", strconv.Itoa(n), "--output-dir", dir, "--chain-id", chainID,
		"--keyring-backend", "test", "--block-time", "500ms", "--minimum-gas-prices", "0uaic",
		"--p2p-port", strconv.Itoa(base), "--rpc-port", strconv.Itoa(base + 1),
		"--grpc-port", strconv.Itoa(base + 2), "--api-port", strconv.Itoa(base + 3),
		"--port-step", strconv.Itoa(step),
		// Each node's [verifier] address is its first spare port (SparePort(0)):
		// a test that runs a sidecar listens there; otherwise nothing does and
		// the node votes with empty extensions.
		"--verifier-port", strconv.Itoa(base + 4),
	}
	if len(fundedKeys) > 0 {
		args = append(args, "--funded-keys", strings.Join(fundedKeys, ","))
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("testnet init-files: %v\n%s", err, out)
	}
	c := &Chain{t: t, Bin: bin, Dir: dir, ChainID: chainID, addrs: map[string]string{}}
	for i := 0; i < n; i++ {
		b := base + step*i
		c.Nodes = append(c.Nodes, &Node{
			Name:  fmt.Sprintf("node%d", i),
			Home:  filepath.Join(dir, fmt.Sprintf("node%d", i)),
			Ports: Ports{P2P: b, RPC: b + 1, GRPC: b + 2, API: b + 3},
			bin:   bin,
		})
	}
	t.Cleanup(c.Stop)
	return c
}

// Start starts every node and waits until the chain has made a block.
func (c *Chain) Start() {
	c.t.Helper()
	for _, n := range c.Nodes {
		if err := n.Start(); err != nil {
			c.t.Fatal(err)
		}
	}
	c.WaitHeight(2, 90*time.Second)
}

// Stop stops every node.
func (c *Chain) Stop() {
	for _, n := range c.Nodes {
		n.Stop()
	}
}

// Start starts the node's process, logging to <home>/node.log.
func (n *Node) Start() error {
	if n.cmd != nil {
		return fmt.Errorf("%s already running", n.Name)
	}
	logf, err := os.OpenFile(filepath.Join(n.Home, "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(n.bin, "start", "--home", n.Home, "--log_no_color")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return err
	}
	n.cmd, n.log, n.done = cmd, logf, make(chan struct{})
	go func() { _ = cmd.Wait(); close(n.done) }()
	return nil
}

// Stop interrupts the node and waits for it to exit (killing it after 20 s).
func (n *Node) Stop() {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(os.Interrupt)
	select {
	case <-n.done:
	case <-time.After(20 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
	_ = n.log.Close()
	n.cmd = nil
}

// Kill kills the node's process at once (SIGKILL), as a crash or a power
// cut would; Start starts it again on the same home.
func (n *Node) Kill() {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Kill()
	<-n.done
	_ = n.log.Close()
	n.cmd = nil
}

// LogTail returns the last lines of the node's log, for failure messages.
func (n *Node) LogTail(lines int) string {
	b, _ := os.ReadFile(filepath.Join(n.Home, "node.log"))
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// RPCAddr is the node's CometBFT RPC address for --node.
func (n *Node) RPCAddr() string { return fmt.Sprintf("tcp://127.0.0.1:%d", n.Ports.RPC) }

// GRPCAddr is the node's gRPC address.
func (n *Node) GRPCAddr() string { return fmt.Sprintf("127.0.0.1:%d", n.Ports.GRPC) }

// RESTAddr is the node's REST base URL.
func (n *Node) RESTAddr() string { return fmt.Sprintf("http://127.0.0.1:%d", n.Ports.API) }

// RPC GETs a CometBFT RPC path (e.g. "/status", "/block?height=5") from the
// node and decodes its "result" into v.
func (n *Node) RPC(path string, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", n.Ports.RPC, path), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("%s %s: %w", n.Name, path, err)
	}
	if body.Error != nil {
		return fmt.Errorf("%s %s: %s: %s", n.Name, path, body.Error.Message, body.Error.Data)
	}
	return json.Unmarshal(body.Result, v)
}

// Height returns the node's latest block height from its RPC status.
func (n *Node) Height() (int64, error) {
	var st struct {
		SyncInfo struct {
			LatestBlockHeight string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if err := n.RPC("/status", &st); err != nil {
		return 0, err
	}
	return strconv.ParseInt(st.SyncInfo.LatestBlockHeight, 10, 64)
}

// WaitHeight waits until node0 reaches height h.
func (c *Chain) WaitHeight(h int64, timeout time.Duration) int64 {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	var last int64
	for time.Now().Before(deadline) {
		if got, err := c.Nodes[0].Height(); err == nil {
			last = got
			if got >= h {
				return got
			}
		}
		select {
		case <-c.Nodes[0].done:
			c.t.Fatalf("node0 exited while waiting for height %d:\n%s", h, c.Nodes[0].LogTail(40))
		case <-time.After(200 * time.Millisecond):
		}
	}
	c.t.Fatalf("height %d not reached in %s (last %d):\n%s", h, timeout, last, c.Nodes[0].LogTail(40))
	return 0
}

// WaitBlocks waits for n more blocks on node0.
func (c *Chain) WaitBlocks(n int64) int64 {
	c.t.Helper()
	h, err := c.Nodes[0].Height()
	if err != nil {
		c.t.Fatal(err)
	}
	return c.WaitHeight(h+n, time.Duration(n)*5*time.Second+10*time.Second)
}

// Exec runs aichaind with args against node0 and returns stdout, stderr and the error.
func (c *Chain) Exec(args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(c.Bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// Home returns node0's home, where the funded keys live.
func (c *Chain) Home() string { return c.Nodes[0].Home }

// CLI runs aichaind with node0's home and node flags appended and fails the
// test if it exits non-zero.
func (c *Chain) CLI(args ...string) string {
	c.t.Helper()
	stdout, stderr, err := c.Exec(append(args, c.clientFlags(args)...)...)
	if err != nil {
		c.t.Fatalf("aichaind %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// CLIErr runs aichaind like CLI but returns the error instead of failing.
func (c *Chain) CLIErr(args ...string) (string, string, error) {
	return c.Exec(append(args, c.clientFlags(args)...)...)
}

func (c *Chain) clientFlags(args []string) []string {
	flags := []string{"--home", c.Home()}
	if len(args) > 0 && (args[0] == "tx" || args[0] == "q" || args[0] == "query") {
		flags = append(flags, "--node", c.Nodes[0].RPCAddr())
	}
	if len(args) > 0 && args[0] == "tx" {
		flags = append(flags, "--chain-id", c.ChainID, "--keyring-backend", "test", "--yes", "--output", "json")
	}
	if len(args) > 0 && args[0] == "keys" {
		flags = append(flags, "--keyring-backend", "test")
	}
	return flags
}

// Addr returns the address of a key in node0's keyring. It is read once per
// key: each aichaind process costs half a second here, more on a busy host,
// and tests that bid from the CLI have a block-counted window to do it in.
func (c *Chain) Addr(key string) string {
	c.t.Helper()
	c.addrMu.Lock()
	defer c.addrMu.Unlock()
	if a, ok := c.addrs[key]; ok {
		return a
	}
	a := strings.TrimSpace(c.CLI("keys", "show", key, "-a"))
	c.addrs[key] = a
	return a
}

// TxResult is what a tx command returns and the chain recorded for it.
type TxResult struct {
	TxHash    string  `json:"txhash"`
	Code      uint32  `json:"code"`
	Codespace string  `json:"codespace"`
	RawLog    string  `json:"raw_log"`
	Height    string  `json:"height"`
	Events    []Event `json:"events"`
}

// Event is an ABCI event as the CLI and CometBFT's RPC print it.
type Event struct {
	Type       string `json:"type"`
	Attributes []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"attributes"`
}

// Tx broadcasts a tx through the CLI, waits for it to be included, and
// returns its result (code 0 or not). It fails the test only if the CLI
// itself fails or the tx never lands.
func (c *Chain) Tx(args ...string) TxResult {
	c.t.Helper()
	out := c.CLI(append([]string{"tx"}, args...)...)
	var res TxResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		c.t.Fatalf("decode tx response %q: %v", out, err)
	}
	if res.Code != 0 { // rejected in CheckTx: never included
		return res
	}
	return c.WaitTx(res.TxHash)
}

// WaitTx waits until a tx is in a block and returns its result, read from
// node0's REST gateway (the tx service explorers use; the same TxResponse
// JSON as `aichaind q tx`). Polling through a CLI process each time cost
// more than a second a poll on a busy host, out of the windows (counted in
// blocks) that tests driving jobs from the CLI have.
func (c *Chain) WaitTx(hash string) TxResult {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		var res struct {
			TxResponse *TxResult `json:"tx_response"`
		}
		status, err := c.GetJSON("/cosmos/tx/v1beta1/txs/"+hash, &res)
		switch {
		case err == nil && status == http.StatusOK && res.TxResponse != nil:
			return *res.TxResponse
		case err != nil:
			last = err.Error()
		default:
			last = fmt.Sprintf("status %d", status) // not indexed yet: 404 or the gateway's 500
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.t.Fatalf("tx %s not included within 30s (last answer: %s):\n%s", hash, last, c.Nodes[0].LogTail(30))
	return TxResult{}
}

// GetJSON GETs a REST path from node0 and decodes the JSON body into v.
func (c *Chain) GetJSON(path string, v any) (int, error) {
	resp, err := http.Get(c.Nodes[0].RESTAddr() + path)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if v == nil {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(v)
}

// ExecFlagsFirst runs aichaind with node0's client flags before the
// positional arguments and a `--` between them, so that an argument may
// start with a dash (a negative amount, say).
func (c *Chain) ExecFlagsFirst(sub []string, positional ...string) (string, string, error) {
	args := append(append([]string{}, sub...), c.clientFlags(sub)...)
	args = append(append(args, "--"), positional...)
	return c.Exec(args...)
}

// Retry calls f with a 5 s context up to 10 times, 300 ms apart, until it
// succeeds. A query can race the node's commit of the block it just
// announced ("version does not exist"); a retry then sees it.
func Retry(f func(ctx context.Context) error) error {
	var err error
	for i := 0; i < 10; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = f(ctx)
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(300 * time.Millisecond)
	}
	return err
}

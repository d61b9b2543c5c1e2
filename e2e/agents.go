package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Process is a background process started by a test (a provider agent, a
// sidecar, a dataset server), logging to a file and stopped by the test.
type Process struct {
	Name string
	Log  string
	path string
	args []string
	cmd  *exec.Cmd
	done chan struct{}
}

// StartProcess starts one of the repository's binaries (or, given an
// absolute path, that program) with args, logging to <dir>/<name>.log, and
// stops it when the test ends (printing the end of its log if the test
// failed).
func StartProcess(t testing.TB, dir, name, binary string, args ...string) *Process {
	t.Helper()
	path := binary
	if !filepath.IsAbs(binary) {
		path = filepath.Join(Binaries(t), binary)
	}
	p := &Process{Name: name, Log: filepath.Join(dir, name+".log"), path: path, args: args}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s log (last 40 lines):\n%s", name, p.LogTail(40))
		}
	})
	return p
}

func (p *Process) start() error {
	logf, err := os.OpenFile(p.Log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.path, p.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// A home of its own: no config file of the machine's user is read.
	cmd.Env = append(os.Environ(), "HOME="+filepath.Dir(p.Log))
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = logf.Close(); close(done) }()
	p.cmd, p.done = cmd, done
	return nil
}

// Restart starts an exited process again with the same arguments and log
// (after Kill or Stop); the test's cleanup stops it as before.
func (p *Process) Restart() error {
	if !p.Exited() {
		return fmt.Errorf("%s is still running", p.Name)
	}
	return p.start()
}

// Stop interrupts the process and waits for it (killing it after 10 s).
func (p *Process) Stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Kill kills the process at once, as a crash would.
func (p *Process) Kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Exited tells whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// LogTail returns the last lines of the process's log.
func (p *Process) LogTail(lines int) string {
	b, _ := os.ReadFile(p.Log)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// SparePort returns node i's n-th spare port: each node's block of
// port-step (10) ports uses the first four for P2P, RPC, gRPC and REST; the
// rest (n = 0..5) are free for the agents a test runs beside it.
func (n *Node) SparePort(k int) int {
	if k < 0 || k > 5 {
		panic(fmt.Sprintf("spare port %d out of 0..5", k))
	}
	return n.Ports.P2P + 4 + k
}

// EditGenesis changes the app state of every node's genesis before Start.
func (c *Chain) EditGenesis(edit func(appState map[string]json.RawMessage)) {
	c.t.Helper()
	for _, n := range c.Nodes {
		path := filepath.Join(n.Home, "config", "genesis.json")
		b, err := os.ReadFile(path)
		if err != nil {
			c.t.Fatal(err)
		}
		var gen map[string]json.RawMessage
		if err := json.Unmarshal(b, &gen); err != nil {
			c.t.Fatal(err)
		}
		var appState map[string]json.RawMessage
		if err := json.Unmarshal(gen["app_state"], &appState); err != nil {
			c.t.Fatal(err)
		}
		edit(appState)
		if gen["app_state"], err = json.Marshal(appState); err != nil {
			c.t.Fatal(err)
		}
		out, err := json.MarshalIndent(gen, "", "  ")
		if err != nil {
			c.t.Fatal(err)
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			c.t.Fatal(err)
		}
	}
}

// SetComputeParams overrides x/compute params in every node's genesis before
// Start (values as in genesis JSON: uint64 fields as strings).
func (c *Chain) SetComputeParams(values map[string]any) {
	c.t.Helper()
	c.EditGenesis(func(app map[string]json.RawMessage) {
		var compute map[string]any
		if err := json.Unmarshal(app["compute"], &compute); err != nil {
			c.t.Fatal(err)
		}
		params, ok := compute["params"].(map[string]any)
		if !ok {
			c.t.Fatal("compute genesis has no params")
		}
		for k, v := range values {
			params[k] = v
		}
		b, err := json.Marshal(compute)
		if err != nil {
			c.t.Fatal(err)
		}
		app["compute"] = b
	})
}

// StartSidecar starts aichain-sidecar (CPU backend) beside node n, listening
// on the node's spare port 0, where the node's [verifier] address points. It
// signs chunk requests with the validator's operator key (the node's own
// key, named after it, in its home), and reaches loopback providers; extra
// flags follow.
func StartSidecar(t testing.TB, dir, name string, n *Node, extra ...string) *Process {
	t.Helper()
	return StartProcess(t, dir, name, "aichain-sidecar", append([]string{
		"--node", n.GRPCAddr(), "--listen", fmt.Sprintf("127.0.0.1:%d", n.SparePort(0)), "--metrics", "",
		"--home", n.Home, "--keyring-backend", "test", "--from", n.Name, "--local-network",
		"--backend", "cpu", "--poll", "300ms", "--fetch-timeout", "2s", "--fetch-retries", "2",
		"--cache-dir", filepath.Join(dir, name+"-cache")}, extra...)...)
}

// StartProvider starts aichain-provider (CPU backend) for key, a key in
// node0's keyring, serving chunks on port and bidding minPrice (the floor:
// the test jobs are too small for per-GFLOP pricing to matter). It registers
// with a 50,000,000uaic bond if key is not a provider yet; the call returns
// once the chain knows key as a provider.
func (c *Chain) StartProvider(t testing.TB, dir, key string, port int, minPrice string, extra ...string) *Process {
	t.Helper()
	args := append([]string{
		"--node", c.Nodes[0].GRPCAddr(), "--rpc", c.Nodes[0].RPCAddr(), "--chain-id", c.ChainID, "--home", c.Home(),
		"--keyring-backend", "test", "--from", key, "--data-dir", filepath.Join(dir, key),
		"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--metrics", "",
		"--backend", "cpu", "--bond", "50000000uaic", "--min-price", minPrice, "--moniker", key,
	}, extra...)
	p := StartProcess(t, dir, key, "aichain-provider", args...)
	// The agent bids once it has started: a job created before (a key
	// registered by an earlier run returns at once) could close its commit
	// window first on a slow host.
	started := strings.Count(p.LogTail(100_000), "provider agent started")
	addr := c.Addr(key)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if status, err := c.GetJSON("/aichain/compute/v1/providers/"+addr, nil); err == nil && status == http.StatusOK &&
			strings.Count(p.LogTail(100_000), "provider agent started") > started {
			return p
		}
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("provider %s never registered:\n%s", key, p.LogTail(20))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// Terminate sends SIGTERM and returns how long the process took to exit
// (killing it after limit; exited false then).
func (p *Process) Terminate(limit time.Duration) (took time.Duration, exited bool) {
	if p.cmd == nil || p.cmd.Process == nil || p.Exited() {
		return 0, true
	}
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return time.Since(start), true
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-p.done
		return time.Since(start), false
	}
}

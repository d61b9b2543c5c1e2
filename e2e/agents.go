package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Process is a background process started by a test (a provider agent, a
// sidecar, a dataset server), logging to a file and stopped by the test.
type Process struct {
	Name string
	Log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// StartProcess starts one of the repository's binaries with args, logging to
// <dir>/<name>.log, and stops it when the test ends.
func StartProcess(t testing.TB, dir, name, binary string, args ...string) *Process {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(Binaries(t), binary), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &Process{Name: name, Log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); _ = logf.Close(); close(p.done) }()
	t.Cleanup(p.Stop)
	return p
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

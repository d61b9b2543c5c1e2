package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// proc is a process the benchmark runs, logging to a file.
type proc struct {
	name string
	path string
	args []string
	log  string
	env  []string // added to the inherited environment
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) start() error {
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	p.cmd = exec.Command(p.path, p.args...)
	if len(p.env) > 0 {
		p.cmd.Env = append(os.Environ(), p.env...)
	}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		return errors.Join(err, logf.Close())
	}
	p.done = make(chan struct{})
	go func() { _ = p.cmd.Wait(); _ = logf.Close(); close(p.done) }()
	return nil
}

// terminate sends SIGTERM and returns how long the process took to exit
// (killed after 15 s).
func (p *proc) terminate() time.Duration {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return time.Since(start)
}

// rssKiB is the process's resident memory, from /proc.
func (p *proc) rssKiB() int64 {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	var kib int64
	for _, line := range splitLines(string(b)) {
		if n, err := fmt.Sscanf(line, "VmRSS: %d kB", &kib); n == 1 && err == nil {
			return kib
		}
	}
	return 0
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

// network is the benchmark's local network: node, sidecar, provider.
type network struct {
	o                       *options
	home                    string
	node, sidecar, provider *proc
}

func (nw *network) port(i int) int { return nw.o.basePort + i }

// create writes a fresh one-validator network as make localnet does.
func (nw *network) create() error {
	dir := filepath.Join(nw.o.out, "chain")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	nw.home = filepath.Join(dir, "node0")
	cmd := exec.Command(filepath.Join(nw.o.bin, "aichaind"), "testnet", "init-files", "--v", "1", "--output-dir", dir,
		"--chain-id", "aichain-local-1", "--keyring-backend", "test", "--funded-keys", "alice,provider",
		"--block-time", nw.o.blockTime.String(), "--minimum-gas-prices", "0uaic",
		"--p2p-port", strconv.Itoa(nw.port(0)), "--rpc-port", strconv.Itoa(nw.port(1)), "--grpc-port", strconv.Itoa(nw.port(2)),
		"--api-port", strconv.Itoa(nw.port(3)), "--verifier-port", strconv.Itoa(nw.port(4)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("testnet init-files: %w\n%s", err, out)
	}
	return os.MkdirAll(filepath.Join(nw.o.out, "logs"), 0o755)
}

func (nw *network) proc(name, binary string, args ...string) *proc {
	return &proc{name: name, path: filepath.Join(nw.o.bin, binary), args: args, log: filepath.Join(nw.o.out, "logs", name+".log")}
}

func (nw *network) grpc() string { return fmt.Sprintf("127.0.0.1:%d", nw.port(2)) }
func (nw *network) rpc() string  { return fmt.Sprintf("tcp://127.0.0.1:%d", nw.port(1)) }

// start starts the node, waits for its first blocks, then the sidecar and
// the provider agent (bond 100 AIC: 500 bids of 0.1 AIC collateral).
func (nw *network) start(ctx context.Context) error {
	if err := nw.startNode(ctx); err != nil {
		return err
	}
	nw.sidecar = nw.proc("sidecar", "aichain-sidecar", "--node", nw.grpc(), "--listen", fmt.Sprintf("127.0.0.1:%d", nw.port(4)),
		"--metrics", "", "--home", nw.home, "--from", "node0", "--keyring-backend", "test", "--backend", "cpu", "--local-network")
	nw.provider = nw.proc("provider", "aichain-provider", "--node", nw.grpc(), "--rpc", nw.rpc(), "--chain-id", "aichain-local-1",
		"--home", nw.home, "--keyring-backend", "test", "--from", "provider", "--data-dir", filepath.Join(nw.o.out, "provider"),
		"--listen", fmt.Sprintf("127.0.0.1:%d", nw.port(5)), "--metrics", fmt.Sprintf("127.0.0.1:%d", nw.port(6)),
		"--backend", "cpu", "--bond", "100000000uaic", "--moniker", "bench")
	if err := os.RemoveAll(filepath.Join(nw.o.out, "provider")); err != nil {
		return err
	}
	for _, p := range []*proc{nw.sidecar, nw.provider} {
		if err := p.start(); err != nil {
			return err
		}
	}
	return nil
}

// startNode starts the node and waits until it answers over gRPC.
func (nw *network) startNode(ctx context.Context) error {
	nw.node = nw.proc("node", "aichaind", "start", "--home", nw.home, "--log_no_color")
	nw.node.env = nw.o.nodeEnv
	if err := nw.node.start(); err != nil {
		return err
	}
	return waitGRPC(ctx, nw.grpc())
}

func (nw *network) stop() {
	for _, p := range []*proc{nw.provider, nw.sidecar, nw.node} {
		if p != nil {
			p.terminate()
		}
	}
}

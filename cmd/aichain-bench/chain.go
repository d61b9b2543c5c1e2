package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// chainOptions are the options of the chain benchmark.
type chainOptions struct {
	options                       // bin, out, blockTime, timeout, basePort
	accounts        int           // funded accounts that sign
	perAccount      int           // txs of each kind per account
	kinds           []string      // kinds to measure (default all)
	phaseTime       time.Duration // stop broadcasting a kind after this long
	windows         jobWindows
	profile         []string // kinds to profile (CPU and allocations)
	profileSeconds  int
	trace           bool          // with profile: an execution trace of the node too
	proposerMaxGas  int64         // app.toml's [proposer] max-gas; < 0: as the network sets it
	proposerMaxExec time.Duration // app.toml's [proposer] max-exec-time; < 0: as the network sets it
	indexEvents     []string      // app.toml's index-events; empty: as the network sets it (every event)
	appTOML         []string      // KEY=VALUE: any other app.toml setting, as TOML (e.g. iavl-disable-fastnode=true)
	configTOML      []string      // KEY=VALUE: a config.toml setting, as TOML (e.g. size=300, the mempool's)
}

func chainCmd() *cobra.Command {
	o := &chainOptions{}
	var kinds string
	cmd := &cobra.Command{
		Use:   "chain",
		Short: "Committed tx/s of every message kind on a fresh local network, against bank send in the same run",
		Long: "Creates a fresh one-validator network under --out/chain (as make localnet does, on ports from --base-port, with\n" +
			"CometBFT's Prometheus metrics and pprof on loopback), funds --accounts accounts from alice, and for each kind in\n" +
			"turn pre-signs --per-account transactions per account, broadcasts them over gRPC from all accounts at once, reads\n" +
			"the blocks that committed them, and reports committed tx/s, its ratio to bank send, gas used, CheckTx and\n" +
			"FinalizeBlock time per tx (CometBFT's abci_connection_method_timing_seconds) and block interval percentiles.\n" +
			"Writes chain-bench.md (the table), chain-bench.json and chain-bench.png (tx/s per kind) to --out. --profile\n" +
			"takes a CPU and an allocation profile of the node (pprof) while the named kinds run.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.kinds, err = parseKinds(kinds); err != nil {
				return err
			}
			return runChain(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.bin, "bin", "build", "directory holding aichaind")
	f.StringVar(&o.out, "out", filepath.Join("build", "bench"), "output directory (its chain/ is replaced)")
	f.IntVar(&o.accounts, "accounts", 200, "funded accounts broadcasting at once (at least 2)")
	f.IntVar(&o.perAccount, "per-account", 50, fmt.Sprintf("transactions of each kind per account (at most %d: max_locks_per_owner)", maxPerAccount))
	f.StringVar(&kinds, "kinds", "all", "comma-separated kinds to measure: "+strings.Join(kindFlags(), ", ")+" (bank send always runs)")
	f.DurationVar(&o.phaseTime, "phase-time", 30*time.Second, "stop broadcasting one kind after this long")
	f.Uint64Var(&o.windows.commit, "commit-blocks", 60, "commit window of the benchmark's jobs, at least (it spans the create phase, a bank send phase and the commit phase: on a slow machine the run widens it to 6 × the first send phase's blocks + 20, within the chain's max_commit_blocks)")
	f.Uint64Var(&o.windows.reveal, "reveal-blocks", 40, "reveal window of the benchmark's jobs, at least (widened to 3 × the first send phase's blocks + 20)")
	f.Uint64Var(&o.windows.exec, "exec-blocks", 80, "execution window of the benchmark's jobs, at least (widened to 3 × the heights the first send phase spans, its presigning and reading included, + 20)")
	f.DurationVar(&o.blockTime, "block-time", time.Second, "block time of the network")
	f.DurationVar(&o.timeout, "timeout", 20*time.Minute, "give up after this long (a run takes 6-7 min on a quiet 2-core machine, over 11 on a busy one)")
	f.IntVar(&o.basePort, "base-port", 36756, "first of the ports used (P2P; RPC +1, gRPC +2, REST +3, verifier +4, Prometheus +5, pprof +6)")
	f.StringSliceVar(&o.profile, "profile", nil, "kinds to profile (CPU and allocations of the node while they run), e.g. create,commit")
	f.IntVar(&o.profileSeconds, "profile-seconds", 5, "length of each profile")
	f.BoolVar(&o.trace, "trace", false, "with --profile, also take a Go execution trace of the node over the same seconds (KIND.trace; go tool trace -pprof=sched FILE gives how long goroutines waited for a core, by stack)")
	f.StringSliceVar(&o.indexEvents, "index-events", nil, "the node's app.toml index-events (type.key of the events its tx index keeps, e.g. message.sender); empty: every event, as make localnet")
	f.StringArrayVar(&o.appTOML, "app-toml", nil, "KEY=VALUE (repeatable): set an existing key of the node's app.toml to VALUE, written as TOML (e.g. iavl-disable-fastnode=true, iavl-cache-size=2000000)")
	f.StringArrayVar(&o.configTOML, "config-toml", nil, "KEY=VALUE (repeatable): set an existing key of the node's config.toml (CometBFT's) to VALUE, written as TOML (e.g. size=300, the mempool's)")
	f.StringSliceVar(&o.nodeEnv, "node-env", nil, "KEY=VALUE added to the node's environment only, e.g. GOGC=200 (the load generator keeps its own)")
	f.Int64Var(&o.proposerMaxGas, "proposer-max-gas", -1, "the node's [proposer] max-gas (the gas a block it proposes holds; 0: no limit of its own); -1: as make localnet sets it")
	f.DurationVar(&o.proposerMaxExec, "proposer-max-exec-time", -1, "the node's [proposer] max-exec-time (a block it proposes holds the gas it executes in that time at its measured pace; 0s: no such limit); -1ns: as make localnet sets it (the block time)")
	return cmd
}

// kindFlag maps the short names the flags take to kinds.
var kindFlag = map[string]string{
	"send": kindSend, "model": kindModel, "lock": kindLock, "licence": kindLicence, "create": kindCreate,
	"commit": kindCommit, "reveal": kindReveal, "submit": kindSubmit, "claim": kindClaim,
}

func kindFlags() []string {
	var out []string
	for _, k := range allKinds {
		for f, v := range kindFlag {
			if v == k {
				out = append(out, f)
			}
		}
	}
	return out
}

// parseKinds returns the kinds named (in run order, bank send first), and
// the kinds they need to run first (a reveal needs its commit, and so on).
func parseKinds(s string) ([]string, error) {
	if s == "" || s == "all" {
		return allKinds, nil
	}
	want := map[string]bool{kindSend: true}
	for _, f := range strings.Split(s, ",") {
		k, ok := kindFlag[strings.TrimSpace(f)]
		if !ok {
			return nil, fmt.Errorf("unknown kind %q (want %s)", f, strings.Join(kindFlags(), ", "))
		}
		want[k] = true
	}
	needs := map[string][]string{kindSubmit: {kindReveal}, kindReveal: {kindCommit}, kindCommit: {kindCreate}, kindClaim: {kindCreate}}
	for _, k := range []string{kindClaim, kindSubmit, kindReveal, kindCommit} {
		if want[k] {
			for _, n := range needs[k] {
				want[n] = true
			}
		}
	}
	var out []string
	for _, k := range allKinds {
		if want[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

// networkFor is the provider benchmark's network, on the chain benchmark's
// ports, with Prometheus and pprof on loopback.
func networkFor(o *chainOptions) (*network, error) {
	nw := &network{o: &o.options}
	if err := nw.create(); err != nil {
		return nil, err
	}
	comet := map[string]string{
		"prometheus":             "true",
		"prometheus_listen_addr": strconv.Quote(fmt.Sprintf("127.0.0.1:%d", nw.port(5))),
		"pprof_laddr":            strconv.Quote(fmt.Sprintf("127.0.0.1:%d", nw.port(6))),
	}
	if err := addSettings(comet, o.configTOML); err != nil {
		return nil, err
	}
	if err := setTOML(filepath.Join(nw.home, "config", "config.toml"), comet); err != nil {
		return nil, err
	}
	app := map[string]string{}
	if o.proposerMaxGas >= 0 {
		app["max-gas"] = strconv.FormatInt(o.proposerMaxGas, 10)
	}
	if o.proposerMaxExec >= 0 {
		app["max-exec-time"] = strconv.Quote(o.proposerMaxExec.String())
	}
	if len(o.indexEvents) > 0 {
		q := make([]string, len(o.indexEvents))
		for i, e := range o.indexEvents {
			q[i] = strconv.Quote(e)
		}
		app["index-events"] = "[" + strings.Join(q, ", ") + "]"
	}
	if err := addSettings(app, o.appTOML); err != nil {
		return nil, err
	}
	if len(app) == 0 {
		return nw, nil
	}
	return nw, setTOML(filepath.Join(nw.home, "config", "app.toml"), app)
}

// addSettings adds each KEY=VALUE of settings to kv (--app-toml,
// --config-toml).
func addSettings(kv map[string]string, settings []string) error {
	for _, s := range settings {
		k, v, ok := strings.Cut(s, "=")
		if k = strings.TrimSpace(k); !ok || k == "" {
			return fmt.Errorf("setting %q: want KEY=VALUE", s)
		}
		kv[k] = strings.TrimSpace(v)
	}
	return nil
}

// setTOML sets keys (each the only one of its name in the file) to values.
func setTOML(path string, kv map[string]string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for key, val := range kv {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + ` = .*$`)
		if !re.Match(b) {
			return fmt.Errorf("%s has no %s setting", path, key)
		}
		b = re.ReplaceAll(b, []byte(key+" = "+val))
	}
	return os.WriteFile(path, b, 0o644)
}

func (nw *network) metricsURL() string { return fmt.Sprintf("http://127.0.0.1:%d/metrics", nw.port(5)) }
func (nw *network) pprofURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", nw.port(6))
}

// maxPerAccount bounds --per-account: an account locks once per tx of the
// lock phase, and x/staking-rewards' max_locks_per_owner is 100.
const maxPerAccount = 100

// errTraceWithoutProfile refuses --trace without --profile: the trace is
// taken while the kinds --profile names run, so it would take none.
var errTraceWithoutProfile = errors.New("--trace traces the node while the kinds --profile names run: name some")

// runChain runs the chain benchmark.
func runChain(ctx context.Context, o *chainOptions) error {
	if o.accounts < 2 || o.perAccount < 1 || o.perAccount > maxPerAccount {
		return fmt.Errorf("--accounts must be at least 2 and --per-account in 1..%d", maxPerAccount)
	}
	if o.trace && len(o.profile) == 0 {
		return errTraceWithoutProfile
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(o.out, "profiles")); err != nil { // this run's profiles only
		return err
	}
	nw, err := networkFor(o)
	if err != nil {
		return err
	}
	defer nw.stop()
	if err := nw.startNode(ctx); err != nil {
		return err
	}
	r, err := newChainRun(ctx, o, nw)
	if err != nil {
		return err
	}
	defer r.close()
	res, err := r.run(ctx)
	if res != nil {
		if werr := res.write(); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

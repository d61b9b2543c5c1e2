// Command aichain-bench has two benchmarks. `chain` measures committed
// transactions per second of every aichain message kind against bank send
// on a fresh local network (docs/bench-chain.md). `provider` measures the
// provider agent's capacity on a local network made as `make localnet` makes it: N small gemm jobs posted in one
// block against one provider agent on the CPU backend, beside a verifier
// sidecar. It reports jobs settled per minute, bids and reveals per block,
// forfeits, the agent's memory and how long it took to stop on SIGTERM
// mid-run, as a table (Markdown) and a PNG chart of jobs by state over time.
//
//	make bench-chain                       # every kind, 20 accounts, results in build/bench
//	make bench-provider                    # 500 jobs, results in build/bench
//	aichain-bench provider --jobs 500 --out build/bench
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{Use: "aichain-bench", Short: "Capacity benchmarks of aichain's agents", SilenceUsage: true}
	root.AddCommand(providerCmd(), chainCmd())
	// SIGINT or SIGTERM cancels the run: the node is stopped and what was
	// measured so far is written before the command exits.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "aichain-bench:", err)
		os.Exit(1)
	}
}

// options of the provider benchmark.
type options struct {
	bin       string // directory of aichaind, aichain-provider, aichain-sidecar
	out       string
	jobs      int
	m, n, k   uint64
	chunkRows uint64
	commit    uint64
	reveal    uint64
	exec      uint64
	blockTime time.Duration
	restart   bool
	timeout   time.Duration
	basePort  int
	nodeEnv   []string // KEY=VALUE set in the node's environment only (GOGC, GOMEMLIMIT)
}

func providerCmd() *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "provider",
		Short: "N gemm jobs in one block against one provider agent (CPU backend) on a fresh local network",
		Long: "Creates a fresh one-validator network under --out/chain (as make localnet does: aichaind testnet init-files,\n" +
			"1 s blocks, the localnet genesis), starts the node, a verifier sidecar and a provider agent (CPU backend),\n" +
			"posts --jobs gemm jobs from alice in one transaction, SIGTERMs the agent once jobs are awarded and starts\n" +
			"it again (--restart), and follows every block until every job has ended. Writes provider-bench.md (the\n" +
			"table), provider-bench.json (the series) and provider-bench.png (jobs by state over time) to --out.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runProvider(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.bin, "bin", "build", "directory holding aichaind, aichain-provider and aichain-sidecar")
	f.StringVar(&o.out, "out", filepath.Join("build", "bench"), "output directory (its chain/ is replaced)")
	f.IntVar(&o.jobs, "jobs", 500, "jobs posted in one block")
	f.Uint64Var(&o.m, "m", 64, "gemm m (rows)")
	f.Uint64Var(&o.n, "n", 64, "gemm n (columns)")
	f.Uint64Var(&o.k, "k", 64, "gemm k")
	f.Uint64Var(&o.chunkRows, "chunk-rows", 16, "rows per output chunk")
	f.Uint64Var(&o.commit, "commit-blocks", 5, "commit window of each job")
	f.Uint64Var(&o.reveal, "reveal-blocks", 10, "reveal window of each job")
	f.Uint64Var(&o.exec, "exec-blocks", 60, "execution window of each job")
	f.DurationVar(&o.blockTime, "block-time", time.Second, "block time of the network")
	f.BoolVar(&o.restart, "restart", true, "SIGTERM the agent once jobs are awarded, and start it again")
	f.DurationVar(&o.timeout, "timeout", 15*time.Minute, "give up after this long")
	f.IntVar(&o.basePort, "base-port", 36656, "first of the ports used (P2P; RPC +1, gRPC +2, REST +3, sidecar +4, chunks +5, metrics +6)")
	return cmd
}

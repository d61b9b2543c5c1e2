// Command aichain-provider is the provider agent: it registers a GPU (or CPU)
// provider on aichain, bids on the jobs it can finish, runs the ones it wins
// and serves their output chunks with Merkle proofs to the job's requester
// and the validators' sidecars.
//
//	aichain-provider init            # a commented config file with every default
//	aichain-provider --from provider --endpoint https://gpu1.example.org:8081
package main

import (
	"fmt"
	"os"

	"github.com/aichain/aichain/cmd/internal/agentcli"
)

func main() {
	if err := app().Command().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "aichain-provider:", err)
		os.Exit(1)
	}
}

func app() agentcli.App {
	return agentcli.App{
		Name:  "aichain-provider",
		Short: "aichain provider agent: bids on compute jobs, runs them, serves their chunks",
		Long: "aichain-provider keeps a provider registered on aichain, bids in the sealed auctions of the jobs it can\n" +
			"finish in time (measured backend speed against each job's execution window), reveals its bids, runs the\n" +
			"jobs it wins in a bounded worker pool, submits their Merkle roots and serves the output chunks with their\n" +
			"proofs to the job's requester and to bonded validators' sidecars, by signed (ADR-036) requests only.\n" +
			"It stops within 5 seconds of SIGINT or SIGTERM and resumes from its state store on restart.",
		Flags: flags,
		Run:   run,
	}
}

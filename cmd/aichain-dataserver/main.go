// Command aichain-dataserver serves dataset files registered on aichain's
// x/datamarket to requests signed (ADR-036) by accounts with access: a
// licence, the owner, or the assigned provider of a live job that uses the
// dataset. It serves only the datasets of the owners it is configured for
// (--owner, files found in --data-dir by sha256) and the ids mapped to files
// explicitly (--dataset ID=PATH). See package dataserver for the protocol.
//
//	aichain-dataserver init                                   # a commented config file
//	aichain-dataserver --node 127.0.0.1:9090 --listen 127.0.0.1:8090 \
//	    --owner aic1… --data-dir ~/datasets                   # serve this owner's listed files
//	aichain-dataserver --write-example example.npy            # a small dataset to try the market with
package main

import (
	"fmt"
	"os"

	"github.com/aichain/aichain/cmd/internal/agentcli"
)

func main() {
	if err := app().Command().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "aichain-dataserver:", err)
		os.Exit(1)
	}
}

func app() agentcli.App {
	return agentcli.App{
		Name:  "aichain-dataserver",
		Short: "Licence-gated dataset server for aichain's x/datamarket",
		Long: "aichain-dataserver serves dataset files (.npy, float32) and single row chunks with Merkle proofs to\n" +
			"requests signed as ADR-036 arbitrary messages by accounts that hold access on chain. It serves only\n" +
			"the datasets whose on-chain owner is one of --owner (files in --data-dir matched by sha256) and the\n" +
			"ids of --dataset ID=PATH. SIGHUP re-indexes the folder and re-reads the owners' listings.",
		Flags: flags,
		Run:   run,
	}
}

//go:build faultinject

package main

import (
	"github.com/spf13/pflag"

	"github.com/aichain/aichain/provider"
)

// faultFlags adds the fault-injection flag: this binary was built with
// -tags faultinject, for test networks.
func faultFlags(fs *pflag.FlagSet) {
	fs.Int("fault-corrupt-chunk", -1, "TEST BUILDS ONLY: corrupt this output chunk of every job (-1: never)")
	fs.Duration("fault-withhold-for", 0, "TEST BUILDS ONLY: refuse every job's chunks for this long after its first chunk request (0: never)")
}

func faultConfig(fs *pflag.FlagSet) provider.Fault {
	n, _ := fs.GetInt("fault-corrupt-chunk")
	d, _ := fs.GetDuration("fault-withhold-for")
	return provider.Fault{CorruptChunk: n, WithholdFor: d}
}

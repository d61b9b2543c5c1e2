//go:build faultinject

package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/aichain/aichain/provider"
)

// faultFlags adds the fault-injection flags: this binary was built with
// -tags faultinject, for test networks.
func faultFlags(fs *pflag.FlagSet) {
	fs.Int("fault-corrupt-chunk", -1, "TEST BUILDS ONLY: corrupt this output chunk of every job (-1: never)")
	fs.Duration("fault-withhold-for", 0, "TEST BUILDS ONLY: refuse every job's chunks for this long after its first chunk request (0: never)")
	fs.String("fault-change-token", "", "TEST BUILDS ONLY: CHUNK:ROW — change the first generated token of that prompt of every job")
	fs.Int("fault-weights-transfers", 0, "TEST BUILDS ONLY: send this many model weights files to validators in all, then answer busy (0: no limit)")
}

func faultConfig(fs *pflag.FlagSet) (provider.Fault, error) {
	n, _ := fs.GetInt("fault-corrupt-chunk")
	d, _ := fs.GetDuration("fault-withhold-for")
	w, _ := fs.GetInt("fault-weights-transfers")
	f := provider.Fault{CorruptChunk: n, WithholdFor: d, WeightsTransfers: w}
	if s, _ := fs.GetString("fault-change-token"); s != "" {
		tc, err := provider.ParseTokenChange(s)
		if err != nil {
			return f, fmt.Errorf("--fault-change-token: %w", err)
		}
		f.ChangeToken = tc
	}
	return f, nil
}

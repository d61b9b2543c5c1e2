//go:build !faultinject

package main

import (
	"github.com/spf13/pflag"

	"github.com/aichain/aichain/provider"
)

// faultFlags adds nothing: fault injection exists only in binaries built
// with -tags faultinject (the end-to-end tests build them so).
func faultFlags(*pflag.FlagSet) {}

func faultConfig(*pflag.FlagSet) (provider.Fault, error) {
	return provider.Fault{CorruptChunk: -1}, nil
}

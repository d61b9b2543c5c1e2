package e2e

import (
	"flag"
	"os"
	"testing"
)

// TestMain starts building the binaries at once (a build failure is
// reported by the first test that needs them). Most tests run in parallel,
// each on a chain of its own on free ports; the ones that kill processes,
// time a shutdown or run four validators run alone, first. The binaries'
// temporary folder (about 450 MiB) is removed at the end.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		go func() { _, _ = buildBinaries() }()
	}
	code := m.Run()
	if !testing.Short() {
		if dir, _ := buildBinaries(); dir != "" {
			_ = os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

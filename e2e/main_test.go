package e2e

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestMain builds the binaries, and the Go relayer when the run includes the
// IBC test, before any test starts (a build failure is reported by the first
// test that needs them), so that no test's chain runs beside a cold build of
// the relayer (a second SDK and ibc-go: 7.5 min on 2 cold cores). Most
// tests run in parallel, each on a chain of its own on free ports,
// four-validator networks one at a time (fourValidatorLane); the ones that
// restart nodes or time a shutdown run alone, first. The binaries' temporary
// folder (about 450 MiB) is removed at the end.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		prebuild("binaries", func() error { _, err := buildBinaries(); return err })
		if runSelects("TestIBCTransfer") {
			prebuild("relayer", func() error { _, err := buildRelayer(); return err })
		}
	}
	code := m.Run()
	if !testing.Short() {
		if dir, _ := buildBinaries(); dir != "" {
			_ = os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// prebuild runs build and says on stderr how long it took (or that it
// failed: the first test that needs it fails with the error).
func prebuild(what string, build func() error) {
	start := time.Now()
	fmt.Fprintf(os.Stderr, "e2e: building the %s before the tests start\n", what)
	if err := build(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building the %s failed (the tests that need it will say why)\n", what)
		return
	}
	fmt.Fprintf(os.Stderr, "e2e: %s built in %s\n", what, time.Since(start).Round(time.Second))
}

// runSelects says whether -run (empty: every test) may select the top-level
// test named name (its pattern before the first '/'; a test the guess
// misses still builds what it needs when it starts).
func runSelects(name string) bool {
	f := flag.Lookup("test.run")
	if f == nil || f.Value.String() == "" {
		return true
	}
	top, _, _ := strings.Cut(f.Value.String(), "/")
	re, err := regexp.Compile(top)
	if err != nil {
		return true
	}
	return re.MatchString(name)
}

// lane holds the one four-validator network that runs at a time.
var lane = make(chan struct{}, 1)

// fourValidatorLane runs a test that starts four validators (and their
// sidecars) in parallel with the others, but beside no other four-validator
// network: one such network kept about 0.7 of 2 cores busy when it ran
// alone, and its jobs' windows are counted in blocks. The test holds one of
// the -parallel slots while it waits for the lane.
func fourValidatorLane(t *testing.T) {
	t.Helper()
	t.Parallel()
	lane <- struct{}{}
	t.Cleanup(func() { <-lane })
}

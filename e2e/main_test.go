package e2e

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain builds the binaries, and the Go relayer when the run includes the
// IBC test, before any test starts (a build failure is reported by the first
// test that needs them), so that no test's chain runs beside a cold build of
// the relayer (a second SDK and ibc-go: 7.5 min on 2 cold cores). Most
// tests run in parallel, each on a chain of its own on free ports,
// four-validator networks one at a time (fourValidatorLane) beside
// -parallel − 1 others (parallel); the ones that
// restart nodes or time a shutdown run alone, first. The binaries' temporary
// folder (about 450 MiB) is removed at the end.
func TestMain(m *testing.M) {
	flag.Parse()
	pools()
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

// The parallel tests run in two pools: the four-validator lane, one
// network at a time (one such network kept about 0.7 of 2 cores busy when
// it ran alone, and its jobs' windows are counted in blocks), and the other
// tests, -parallel − 1 at a time (2 with make test's -parallel 3), beside
// it. Each test waits for its pool after t.Parallel; TestMain raises Go's
// own limit above both, so that a test waiting for the lane no longer holds
// a slot a one-validator test could run in (with Go's -parallel slots, up to
// two lane tests waited in them while the third held the lane, and the lane
// stood idle while Go resumed other tests first).
//
// Two networks at once beside two other tests (2026-12-06, with the
// state-sync and rolling-upgrade networks in the lane) took the package
// from 740 s to 561 s here and 708 s in a clean-clone CI of 1,187 s, but
// the 2 cores were then 87 % busy and the provider's scaled crowd test
// beside it (TestAttackValidatorsWaitingTogetherGetNoWholeCopyWithinTheSpan)
// missed the span in 3 of 10 runs even at 8 MiB/s (0 of 6 passed at
// 16 MiB/s): make the scaled timing tests lighter first.
var (
	lane  = make(chan struct{}, 1)
	slots chan struct{}
	start = time.Now()
)

// pools sizes the pools from -parallel (its value n: n − 1 slots beside the
// lane, at least 1) and raises -parallel to the most tests that can then
// wait at once.
func pools() {
	n := 3
	f := flag.Lookup("test.parallel")
	if f != nil {
		if v, err := strconv.Atoi(f.Value.String()); err == nil && v > 0 {
			n = v
		}
		_ = f.Value.Set("1000")
	}
	slots = make(chan struct{}, max(n-1, 1))
}

// fourValidatorLane runs a test that starts four validators (and their
// sidecars) in parallel with the others, but beside no other four-validator
// network.
func fourValidatorLane(t *testing.T) {
	t.Helper()
	t.Parallel()
	enter(t, "the four-validator lane", lane)
}

// parallel runs a test (a one-validator chain of its own on free ports) in
// parallel with the others, at most -parallel − 1 of them beside the lane.
func parallel(t *testing.T) {
	t.Helper()
	t.Parallel()
	enter(t, "a slot", slots)
}

// enter waits for a place in pool and gives it back when t ends, saying on
// stderr when t started and ended (seconds since the binary started: a
// failed run's timeline).
func enter(t *testing.T, what string, pool chan struct{}) {
	t.Helper()
	asked := time.Now()
	pool <- struct{}{}
	fmt.Fprintf(os.Stderr, "e2e: %s got %s at %ds (waited %ds)\n", t.Name(), what,
		int(time.Since(start).Seconds()), int(time.Since(asked).Seconds()))
	t.Cleanup(func() {
		fmt.Fprintf(os.Stderr, "e2e: %s left %s at %ds\n", t.Name(), what, int(time.Since(start).Seconds()))
		<-pool
	})
}

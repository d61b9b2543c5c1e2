package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/semaphore"
)

// TestMain builds the binaries, and the Go relayer when the run includes the
// IBC test, before any test starts (a build failure is reported by the first
// test that needs them), so that no test's chain runs beside a cold build of
// the relayer (a second SDK and ibc-go: 7.5 min on 2 cold cores). Most
// tests run in parallel, each on a chain of its own on free ports, a
// four-validator network counted as two (fourValidatorLane, parallel); the
// two that time a provider agent's restart and shutdown run alone, first. The binaries' temporary
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

// The parallel tests share a load of -parallel + 1 units (4 with make
// test's -parallel 3), taken in the order asked: a four-validator network
// (fourValidatorLane) costs 2, any other test 1 (parallel), and at most
// -parallel − 1 of the others run at once. So two four-validator networks
// run together, or one beside two other tests, or the others alone.
//
// One four-validator network kept about 0.7 of 2 cores busy when it ran
// alone, and their jobs' windows are counted in blocks, so until 2026-12-06
// they ran one at a time beside two other tests, and the state-sync and
// rolling-upgrade networks alone first. That lane was the package's
// critical path: 125 s alone, then 510 s while the other tests were done
// 100 s before it (740 s in all here). With two networks at once beside two
// other tests the package took 561 s, but the 2 cores were 87 % busy and the
// scaled timing tests that `make test` runs beside it failed (the weights
// of a crowd of 48 honest validators: no copy within the span, even at
// nice -10). Each test waits for its units after t.Parallel; TestMain
// raises Go's own limit above the most that can run, so that a test waiting
// for units holds no slot a one-validator test could run in (with Go's
// -parallel slots, up to two network tests waited in them while the third
// ran, and the cores stood idle while Go resumed other tests first).
var (
	load  *semaphore.Weighted
	slots chan struct{}
	start = time.Now()
)

// pools sizes the load from -parallel (its value n: n + 1 units, at most
// n − 1 one-validator tests, at least 1) and raises -parallel to the most
// tests that can then wait at once.
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
	load = semaphore.NewWeighted(int64(max(n+1, 2)))
}

// fourValidatorLane runs a test that starts four validators (and their
// sidecars) in parallel with the others: two units of the load.
func fourValidatorLane(t *testing.T) {
	t.Helper()
	t.Parallel()
	enter(t, "two units for a four-validator network", nil, 2)
}

// parallel runs a test (a one-validator chain of its own on free ports) in
// parallel with the others: one unit of the load, at most -parallel − 1
// such tests at once.
func parallel(t *testing.T) {
	t.Helper()
	t.Parallel()
	enter(t, "a slot", slots, 1)
}

// enter waits for a place in pool (nil: none) and then for units of the
// load, and gives them back when t ends, saying on stderr when t started
// and ended (seconds since the binary started: a failed run's timeline).
func enter(t *testing.T, what string, pool chan struct{}, units int64) {
	t.Helper()
	asked := time.Now()
	if pool != nil {
		pool <- struct{}{}
	}
	if err := load.Acquire(context.Background(), units); err != nil {
		t.Fatalf("the e2e load: %v", err) // a background context: never
	}
	fmt.Fprintf(os.Stderr, "e2e: %s got %s at %ds (waited %ds)\n", t.Name(), what,
		int(time.Since(start).Seconds()), int(time.Since(asked).Seconds()))
	t.Cleanup(func() {
		fmt.Fprintf(os.Stderr, "e2e: %s left %s at %ds\n", t.Name(), what, int(time.Since(start).Seconds()))
		load.Release(units)
		if pool != nil {
			<-pool
		}
	})
}

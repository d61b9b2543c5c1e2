package keeper_test

import (
	"sort"
	"testing"
	"time"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/compute/types"
)

// flatRounds is how many times each app's block is timed, in turn.
const flatRounds = 31

// BenchmarkOpenJobsFlat compares x/compute's share of a block in which
// nothing falls due (BeginBlocker, EndBlocker) on an app holding 100 open
// jobs and on one holding 100,000 (issue 20: ≤ 1.1 ×), on LevelDB as a node
// keeps its state and on the in-memory database the other benchmarks use.
// The two apps are timed in turn, flatRounds times each, so that the
// machine's drift falls on both; x_100 is the median with 100,000 jobs over
// the median with 100.
func BenchmarkOpenJobsFlat(b *testing.B) {
	for _, db := range []struct {
		name  string
		setup func(testing.TB, int) *apptesting.TestApp
	}{{"leveldb", apptesting.SetupOnDisk}, {"memdb", apptesting.Setup}} {
		b.Run("db="+db.name, func(b *testing.B) {
			small, large := db.setup(b, 1), db.setup(b, 1)
			for _, a := range []struct {
				ta *apptesting.TestApp
				n  int
			}{{small, 100}, {large, scaleOpen}} {
				seedJobs(b, a.ta.ComputeKeeper, a.ta.Ctx, a.n, types.JobState_JOB_STATE_OPEN, a.ta.Ctx.BlockHeight()+1_000_000)
				a.ta.NextBlock()
			}
			var ds, dl time.Duration
			for i := 0; i < b.N; i++ {
				var s, l []time.Duration
				for range flatRounds {
					s = append(s, idleBlock(b, small))
					l = append(l, idleBlock(b, large))
				}
				ds, dl = median(s), median(l)
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(ds.Nanoseconds())/1e3, "block_µs_100")
			b.ReportMetric(float64(dl.Nanoseconds())/1e3, "block_µs_100000")
			b.ReportMetric(float64(dl)/float64(ds), "x_100")
		})
	}
}

// idleBlock times one block of ta's x/compute in which nothing is due.
func idleBlock(tb testing.TB, ta *apptesting.TestApp) time.Duration {
	tb.Helper()
	d, _, err := blockWork(ta.ComputeKeeper, ta.Ctx, ta.Ctx.BlockHeight(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

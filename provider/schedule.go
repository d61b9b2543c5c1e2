package provider

import (
	"container/heap"
	"sort"
)

// Admission by schedule. A job runs whole on one worker and is never
// preempted, and it cannot start before it is awarded (its reveal end). The
// workers take the jobs awarded to the agent earliest deadline first
// (workQueue), so the agent bids on a job only if, in that schedule over
// its workers, the job and every job it already holds end within the
// planned share (--safety) of their execution windows. A check of the job
// against its own window alone, its estimate queued behind the others and
// divided among the workers, missed both ways: a job longer than safety ×
// its window looked fine on an idle agent with two workers
// (TestAttackOneJobLongerThanSafetyIsBidOn), and long jobs awarded before a
// held job took every worker past the held job's deadline
// (TestAttackLongJobsAwardedFirstStarveAHeldJob).

// planned is a job in the admission schedule: the seconds from now at which
// it may start (release), by which it must end (due), and its estimate.
type planned struct {
	id           uint64
	release, due float64
	est          float64
}

// plan is the job of r in the schedule at height h, with blocks of bs
// seconds: a bid is released at its reveal end, a won job now; each is due
// safety × its execution window after its window opens.
func plan(r *Record, h int64, bs, safety float64) planned {
	start := r.RevealEnd
	if r.Phase >= PhaseWon && r.Deadline > 0 {
		start = r.Deadline - int64(r.ExecBlocks)
	}
	release := max(float64(start-h)*bs, 0)
	if r.Phase >= PhaseWon {
		release = 0
	}
	return planned{id: r.ID, release: release, due: float64(start-h)*bs + safety*float64(r.ExecBlocks)*bs, est: r.EstSeconds}
}

// late returns the ids of the jobs that end past their due time when
// workers run them without preemption, each free worker taking the released
// job due first.
func late(jobs []planned, workers int) map[uint64]bool {
	jobs = append([]planned(nil), jobs...)
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].release < jobs[j].release })
	free := make([]float64, max(workers, 1)) // when each worker is next free
	var ready byDue
	missed := map[uint64]bool{}
	for i, n := 0, 0; n < len(jobs); n++ {
		w := 0
		for k := range free {
			if free[k] < free[w] {
				w = k
			}
		}
		t := free[w]
		if ready.Len() == 0 {
			t = max(t, jobs[i].release)
		}
		for ; i < len(jobs) && jobs[i].release <= t; i++ {
			heap.Push(&ready, jobs[i])
		}
		j := heap.Pop(&ready).(planned)
		free[w] = t + j.est
		if free[w] > j.due {
			missed[j.id] = true
		}
	}
	return missed
}

// admits reports whether job (in the schedule) may join the jobs the agent
// holds and has not executed: it ends in time, and no held job that would
// end in time without it ends late with it.
func (c *capacity) admits(recs map[uint64]*Record, job planned, h int64, safety float64) bool {
	c.mu.Lock()
	bs := c.blockSecs
	c.mu.Unlock()
	held := make([]planned, 0, len(recs)+1)
	for _, r := range recs {
		if r.Phase <= PhaseWon && !r.Abort && r.ID != job.id {
			held = append(held, plan(r, h, bs, safety))
		}
	}
	before := late(held, c.workers)
	after := late(append(held, job), c.workers)
	if after[job.id] {
		return false
	}
	for id := range after {
		if !before[id] {
			return false
		}
	}
	return true
}

// byDue is a heap of planned jobs, the one due first on top.
type byDue []planned

func (q byDue) Len() int           { return len(q) }
func (q byDue) Less(i, j int) bool { return q[i].due < q[j].due }
func (q byDue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *byDue) Push(x any)        { *q = append(*q, x.(planned)) }
func (q *byDue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

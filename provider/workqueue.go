package provider

import (
	"container/heap"
	"context"
	"sync"
)

// workQueue holds the prepared jobs waiting for a worker, the one with the
// earliest deadline taken first: the order admission plans for (schedule.go).
// A channel handed them out in the order they arrived, so a job awarded
// late with an early deadline waited behind long jobs due much later
// (TestAttackLongJobsAwardedFirstStarveAHeldJob). It holds each won job at
// most once (Agent.queued), so it is bounded by the jobs the agent holds,
// which admission bounds; nothing is dropped from it but a fetched job that
// gives its fetch slot to a job due earlier (fetchQueue.admitLocked), which
// goes back to the fetch queue: a job waiting at shutdown is in the store as
// won and queued again after a restart. Its zero value is empty.
type workQueue struct {
	mu    sync.Mutex
	items readyHeap
	note  chan struct{} // a job was pushed (one pending note)
}

// readyItem is a prepared job in the queue; taken closes when a worker
// takes it. index is its place in the heap, -1 once out of it.
type readyItem struct {
	p     prepared
	taken chan struct{}
	index int
}

func (q *workQueue) noteLocked() chan struct{} {
	if q.note == nil {
		q.note = make(chan struct{}, 1)
	}
	return q.note
}

// push queues p and returns its item, whose taken closes when a worker
// takes it.
func (q *workQueue) push(p prepared) *readyItem {
	it := &readyItem{p: p, taken: make(chan struct{})}
	q.mu.Lock()
	heap.Push(&q.items, it)
	note := q.noteLocked()
	q.mu.Unlock()
	select {
	case note <- struct{}{}:
	default:
	}
	return it
}

// remove takes it out of the queue before any worker takes it, and
// reports whether it did (false: a worker took it, or it was removed).
func (q *workQueue) remove(it *readyItem) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if it.index < 0 {
		return false
	}
	heap.Remove(&q.items, it.index)
	return true
}

// pop takes the job due first, waiting for one until ctx ends (false).
func (q *workQueue) pop(ctx context.Context) (prepared, bool) {
	for {
		q.mu.Lock()
		note := q.noteLocked()
		if q.items.Len() > 0 {
			it := heap.Pop(&q.items).(*readyItem)
			more := q.items.Len() > 0
			q.mu.Unlock()
			close(it.taken)
			if more { // another worker may be waiting on the one note
				select {
				case note <- struct{}{}:
				default:
				}
			}
			return it.p, true
		}
		q.mu.Unlock()
		select {
		case <-note:
		case <-ctx.Done():
			return prepared{}, false
		}
	}
}

func (q *workQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.items.Len()
}

// readyHeap orders prepared jobs by deadline, then id.
type readyHeap []*readyItem

func (h readyHeap) Len() int { return len(h) }
func (h readyHeap) Less(i, j int) bool {
	a, b := h[i].p.job, h[j].p.job
	if a.ExecDeadline != b.ExecDeadline {
		return a.ExecDeadline < b.ExecDeadline
	}
	return a.Id < b.Id
}
func (h readyHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *readyHeap) Push(x any) {
	it := x.(*readyItem)
	it.index = len(*h)
	*h = append(*h, it)
}
func (h *readyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	x.index = -1
	return x
}

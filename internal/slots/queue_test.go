package slots

import (
	"context"
	"testing"
	"time"
)

// waitFor takes a slot for key at rank in a goroutine, waiting up to hold,
// and returns the channel its result arrives on, once the key waits.
func waitFor(t *testing.T, q *Queue, key, group string, rank Rank, hold time.Duration) <-chan bool {
	t.Helper()
	got := make(chan bool, 1)
	go func() { got <- q.Take(context.Background(), key, group, rank, hold) }()
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(time.Millisecond) {
		q.mu.Lock()
		p := q.queued[key]
		waiting := p != nil && p.waiting
		q.mu.Unlock()
		if waiting {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never waited", key)
		}
	}
}

// result is the result of a Take started by waitFor, within a second.
func result(t *testing.T, key string, got <-chan bool) bool {
	t.Helper()
	select {
	case ok := <-got:
		return ok
	case <-time.After(time.Second):
		t.Fatalf("%s: no answer", key)
		return false
	}
}

// TestQueueHandsAFreedSlotByRank: a freed slot goes to the waiting key
// with the most progress, then to the earlier queued; a key behind the
// pace, or done, comes after every other.
func TestQueueHandsAFreedSlotByRank(t *testing.T) {
	q := &Queue{Limit: 1, PerKey: 1, MaxKeys: 8, Keep: time.Minute}
	if !q.Take(context.Background(), "holder", "", Rank{}, 0) {
		t.Fatal("the first key refused a free slot")
	}
	behind := waitFor(t, q, "behind", "", Rank{Behind: true, Progress: 1 << 40}, time.Minute)
	done := waitFor(t, q, "done", "", Rank{Done: true, Progress: 1 << 41}, time.Minute)
	first := waitFor(t, q, "first", "", Rank{}, time.Minute)
	second := waitFor(t, q, "second", "", Rank{}, time.Minute)
	ahead := waitFor(t, q, "ahead", "", Rank{Progress: 100}, time.Minute)
	fast := waitFor(t, q, "fast", "", Rank{Fast: true, Progress: 1}, time.Minute)
	got := map[string]<-chan bool{"fast": fast, "ahead": ahead, "first": first, "second": second, "done": done, "behind": behind}
	servedInTurn(t, q, "holder", []string{"fast", "ahead", "first", "second", "done", "behind"}, got)
	q.Release("behind", "")
	if n := q.InFlight(); n != 0 {
		t.Fatalf("%d in flight, want 0", n)
	}
}

// TestQueueNoBarging: while a key waits, a newcomer does not take the slot
// that frees, and a key answered busy keeps its place while it asks again.
func TestQueueNoBarging(t *testing.T) {
	q := &Queue{Limit: 1, PerKey: 1, MaxKeys: 8, Keep: time.Minute}
	if !q.Take(context.Background(), "holder", "", Rank{}, 0) {
		t.Fatal("the first key refused a free slot")
	}
	// "early" is answered busy after a short hold; its place is kept.
	if q.Take(context.Background(), "early", "", Rank{}, 10*time.Millisecond) {
		t.Fatal("early took a slot held by another")
	}
	if n := q.Queued(); n != 1 {
		t.Fatalf("%d keys queued after a busy answer, want 1 (its place kept)", n)
	}
	late := waitFor(t, q, "late", "", Rank{}, time.Minute)
	early := waitFor(t, q, "early", "", Rank{}, time.Minute)
	q.Release("holder", "")
	if !result(t, "early", early) {
		t.Fatal("early, asking again, did not get the freed slot before late")
	}
	if q.Take(context.Background(), "newcomer", "", Rank{}, 0) {
		t.Fatal("a newcomer took a slot with late waiting")
	}
	q.Release("early", "")
	if !result(t, "late", late) {
		t.Fatal("late refused")
	}
	// A newcomer does not barge in before late, even when a slot is free
	// the moment it asks: late took it.
	q.Release("late", "")
	if !q.Take(context.Background(), "newcomer", "", Rank{}, 0) {
		t.Fatal("a newcomer refused a free slot with nobody waiting")
	}
}

// TestQueueBounds: a key at PerKey, a key with a request already waiting,
// and a new key past MaxKeys are refused at once; a place not asked for in
// Keep is dropped; a request whose context ends leaves.
func TestQueueBounds(t *testing.T) {
	q := &Queue{Limit: 2, PerKey: 1, MaxKeys: 2, Keep: 50 * time.Millisecond}
	if !q.Take(context.Background(), "a", "", Rank{}, 0) {
		t.Fatal("a refused a free slot")
	}
	start := time.Now()
	if q.Take(context.Background(), "a", "", Rank{}, time.Minute) || time.Since(start) > 100*time.Millisecond {
		t.Fatal("a key at PerKey was not refused at once")
	}
	if !q.Take(context.Background(), "b", "", Rank{}, 0) {
		t.Fatal("b refused a free slot")
	}
	c := waitFor(t, q, "c", "", Rank{}, time.Minute)
	start = time.Now()
	if q.Take(context.Background(), "c", "", Rank{}, time.Minute) || time.Since(start) > 100*time.Millisecond {
		t.Fatal("a second request of a waiting key was not refused at once")
	}
	if q.Take(context.Background(), "d", "", Rank{}, 0) {
		t.Fatal("d took a slot with every slot taken")
	}
	start = time.Now()
	if q.Take(context.Background(), "e", "", Rank{}, time.Minute) || time.Since(start) > 100*time.Millisecond {
		t.Fatal("a new key past MaxKeys was not refused at once")
	}
	q.Release("a", "")
	if !result(t, "c", c) {
		t.Fatal("c refused")
	}
	time.Sleep(80 * time.Millisecond) // d's place, unasked for, is dropped
	if n := q.Queued(); n != 0 {
		t.Fatalf("%d keys queued past Keep, want 0", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan bool, 1)
	go func() { got <- q.Take(ctx, "f", "", Rank{}, time.Minute) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if result(t, "f", got) {
		t.Fatal("f took a slot with every slot taken")
	}
}

// TestQueueYieldKeepsTheSlotForItsRank: a slot taken back for others is
// kept for its key for Claim when it ranks first, so that a key asking for
// the rest at once is not passed by one with less; a key that does not
// come back within Claim loses the slot to the next.
func TestQueueYieldKeepsTheSlotForItsRank(t *testing.T) {
	const claim = 300 * time.Millisecond
	q := &Queue{Limit: 1, PerKey: 1, MaxKeys: 8, Keep: time.Minute, Claim: claim}
	if !q.Take(context.Background(), "leader", "", Rank{Progress: 50}, 0) {
		t.Fatal("the first key refused a free slot")
	}
	low := waitFor(t, q, "low", "", Rank{Progress: 10}, time.Minute)
	q.Yield("leader", "", Rank{Progress: 100})
	select {
	case <-low:
		t.Fatal("a key with less took the slot yielded by one that ranks first, within its claim")
	case <-time.After(claim / 3):
	}
	if !q.Take(context.Background(), "leader", "", Rank{Progress: 100}, 0) {
		t.Fatal("the key that yielded, asking again within its claim, refused")
	}
	q.Yield("leader", "", Rank{Progress: 200})
	start := time.Now()
	if !result(t, "low", low) {
		t.Fatal("low refused")
	}
	if waited := time.Since(start); waited < claim*2/3 {
		t.Fatalf("low took the slot %s after the yield, within the leader's claim of %s", waited, claim)
	}
	// An answer busy counts the same: "early" left busy, still claims.
	q2 := &Queue{Limit: 1, PerKey: 1, MaxKeys: 8, Keep: time.Minute, Claim: claim}
	q2.Take(context.Background(), "holder", "", Rank{}, 0)
	if q2.Take(context.Background(), "early", "", Rank{}, 0) {
		t.Fatal("early took a held slot")
	}
	q2.Release("holder", "")
	if q2.Take(context.Background(), "newcomer", "", Rank{}, 0) {
		t.Fatal("a newcomer took the slot that early, answered busy a moment ago, claims")
	}
	if !q2.Take(context.Background(), "early", "", Rank{}, 0) {
		t.Fatal("early, asking again within its claim, refused")
	}
}

// TestAttackAbsentTopKeyKeepsAFreedSlotIdle: a key that ranks first (here
// it waited longest with nothing) asks while every slot is taken and goes
// away; a freed slot is kept for it only until Claim from its last ask,
// then goes to the key that waits. It cannot make the claim last: asking
// again in its turn takes the slot.
func TestAttackAbsentTopKeyKeepsAFreedSlotIdle(t *testing.T) {
	const claim = 200 * time.Millisecond
	q := &Queue{Limit: 1, PerKey: 1, MaxKeys: 8, Keep: time.Minute, Claim: claim, Age: 1 << 30}
	q.Take(context.Background(), "holder", "", Rank{}, 0)
	if q.Take(context.Background(), "ghost", "", Rank{}, 0) {
		t.Fatal("ghost took a held slot")
	}
	time.Sleep(claim / 2) // ghost ages: it ranks before any newcomer
	w := waitFor(t, q, "honest", "", Rank{}, time.Minute)
	asked := time.Now().Add(-claim / 2)
	q.Release("holder", "")
	if !result(t, "honest", w) {
		t.Fatal("honest refused")
	}
	if idle := time.Since(asked); idle < claim*9/10 || idle > claim+300*time.Millisecond {
		t.Fatalf("the slot went to the waiting key %s after ghost's last ask, want about its claim %s", idle, claim)
	}
	q.Release("honest", "")
	// Asking again in its turn, the ghost takes the slot: no claim without it.
	if !q.Take(context.Background(), "ghost", "", Rank{}, 0) {
		t.Fatal("ghost refused a free slot in its turn")
	}
}

// TestQueueGroupsShareTheSlots: a freed slot goes to a key asking for the
// group with fewer slots taken before one with more progress on a group
// holding more (after the keys' own slots): keys reading one file cannot
// take every slot from the keys waiting for another.
func TestQueueGroupsShareTheSlots(t *testing.T) {
	q := &Queue{Limit: 3, PerKey: 1, MaxKeys: 8, Keep: time.Minute}
	for _, k := range []string{"g1", "g2", "g3"} {
		if !q.Take(context.Background(), k, "G", Rank{Progress: 1 << 30}, 0) {
			t.Fatalf("%s refused a free slot", k)
		}
	}
	g4 := waitFor(t, q, "g4", "G", Rank{Progress: 1 << 30}, time.Minute)
	f1 := waitFor(t, q, "f1", "F", Rank{}, time.Minute)
	q.Release("g1", "G")
	if !result(t, "f1", f1) {
		t.Fatal("f1 refused")
	}
	q.Release("g2", "G")
	if !result(t, "g4", g4) {
		t.Fatal("g4 refused")
	}
}

// TestQueueProgressAges: a key with a little Progress ages as a key with
// none does (Age a second since it queued, where that is more): one that
// queued earlier with a few bytes goes before one that queued later with
// none.
func TestQueueProgressAges(t *testing.T) {
	q := &Queue{Limit: 1, PerKey: 1, MaxKeys: 8, Keep: time.Minute, Age: 1 << 30}
	if !q.Take(context.Background(), "holder", "", Rank{}, 0) {
		t.Fatal("the first key refused a free slot")
	}
	got := map[string]<-chan bool{"early": waitFor(t, q, "early", "", Rank{Progress: 1 << 10}, time.Minute)}
	time.Sleep(100 * time.Millisecond) // 100 MiB of age, against its 1 KiB
	got["late"] = waitFor(t, q, "late", "", Rank{}, time.Minute)
	servedInTurn(t, q, "holder", []string{"early", "late"}, got)
	q.Release("late", "")
}

// servedInTurn releases release's slot, then each served key's, and fails
// unless the freed slots go to order's keys in turn (got: each key's
// waitFor channel).
func servedInTurn(t *testing.T, q *Queue, release string, order []string, got map[string]<-chan bool) {
	t.Helper()
	for _, key := range order {
		q.Release(release, "")
		if !result(t, key, got[key]) {
			t.Fatalf("%s refused: want the freed slots to go to %v in turn", key, order)
		}
		release = key
	}
}

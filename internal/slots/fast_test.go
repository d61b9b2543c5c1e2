package slots

import (
	"context"
	"testing"
	"time"
)

// TestQueueFastKeepsATurnItBegan: a Fast key goes before a key that queued
// after its run began, however long that one waited, and not before one
// that was waiting already when it began (that key queued first goes
// first); a key waiting for a group that holds more slots, which it could
// not pass anyway, does not turn the Fast rank off.
func TestQueueFastKeepsATurnItBegan(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name      string
		runBefore bool     // the Fast key's run began before "old" queued
		order     []string // the keys the freed slots go to, in turn
	}{
		{"run began before the other queued", true, []string{"fast", "old"}},
		{"run began after the other queued", false, []string{"old", "fast"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := &Queue{Limit: 1, PerKey: 1, MaxKeys: 8, Keep: time.Minute}
			run, ok := q.TakeAt(ctx, "holder", "", Rank{}, 0)
			if !ok {
				t.Fatal("the first key refused a free slot")
			}
			got := map[string]<-chan bool{"old": waitFor(t, q, "old", "", Rank{}, time.Minute)}
			if !c.runBefore {
				run = time.Now()
			}
			got["fast"] = waitFor(t, q, "fast", "", Rank{Fast: true, Run: run}, time.Minute)
			servedInTurn(t, q, "holder", c.order, got)
		})
	}
	t.Run("a key of another class", func(t *testing.T) {
		q := &Queue{Limit: 3, PerKey: 1, MaxKeys: 8, Keep: time.Minute}
		for _, k := range []struct{ key, group string }{{"b1", "B"}, {"b2", "B"}, {"a1", "A"}} {
			if !q.Take(ctx, k.key, k.group, Rank{}, 0) {
				t.Fatalf("%s refused a free slot", k.key)
			}
		}
		// old-b waits for B, which holds two slots: it ranks after any
		// key waiting for A, Fast or not.
		oldB := waitFor(t, q, "old-b", "B", Rank{}, time.Minute)
		fast := waitFor(t, q, "fast-a", "A", Rank{Fast: true, Run: time.Now()}, time.Minute)
		more := waitFor(t, q, "more-a", "A", Rank{Progress: 1 << 30}, time.Minute)
		q.Release("a1", "A")
		if !result(t, "fast-a", fast) {
			t.Fatal("a key waiting for another group, behind its slots, turned the Fast rank off: a key with more progress passed it")
		}
		q.Release("fast-a", "A")
		if !result(t, "more-a", more) {
			t.Fatal("more-a refused")
		}
		q.Release("b1", "B")
		if !result(t, "old-b", oldB) {
			t.Fatal("old-b refused")
		}
	})
}

package slots

import (
	"context"
	"testing"
	"time"
)

func TestTryTakeBoundsAllAndPerKey(t *testing.T) {
	var c Counter
	if !c.TryTake("a", 3, 2) || !c.TryTake("a", 3, 2) {
		t.Fatal("a's first two slots refused")
	}
	if c.TryTake("a", 3, 2) {
		t.Fatal("a took a third slot past its 2")
	}
	if !c.TryTake("b", 3, 2) {
		t.Fatal("b refused while a slot was free")
	}
	if c.TryTake("c", 3, 2) {
		t.Fatal("c took a fourth slot past the 3 in all")
	}
	// The limit is the caller's: a key given a higher one still takes one.
	if !c.TryTake("c", 4, 2) {
		t.Fatal("c refused under a limit of 4 with 3 taken")
	}
	c.Release("a")
	if got := c.InFlight(); got != 3 {
		t.Fatalf("in flight %d, want 3", got)
	}
	if !c.TryTake("a", 4, 2) {
		t.Fatal("a refused after releasing one of its two")
	}
}

func TestTakeWaitsForAReleasedSlot(t *testing.T) {
	var c Counter
	if !c.TryTake("a", 1, 1) {
		t.Fatal("first slot refused")
	}
	got := make(chan bool, 1)
	go func() { got <- c.Take(context.Background(), "b", 1, 1, time.Minute, Wait{All: 1, PerKey: 1}) }()
	// A second waiter past the bound of one is refused at once.
	for {
		c.mu.Lock()
		w := c.waiters
		c.mu.Unlock()
		if w == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if c.Take(context.Background(), "c", 1, 1, time.Minute, Wait{All: 1, PerKey: 1}) {
		t.Fatal("a waiter past the waiters' bound took a slot")
	}
	c.Release("a")
	if !<-got {
		t.Fatal("the waiter was not given the released slot")
	}
	if c.InFlight() != 1 {
		t.Fatalf("in flight %d, want 1", c.InFlight())
	}
}

func TestTakeGivesUpAtItsWaitAndAtCancel(t *testing.T) {
	var c Counter
	c.TryTake("a", 1, 1)
	if c.Take(context.Background(), "b", 1, 1, 0, Wait{All: 4, PerKey: 4}) {
		t.Fatal("a take with no wait took a slot none was free of")
	}
	if c.Take(context.Background(), "b", 1, 1, 10*time.Millisecond, Wait{All: 4, PerKey: 4}) {
		t.Fatal("a take past its wait took a slot")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if c.Take(ctx, "b", 1, 1, time.Minute, Wait{All: 4, PerKey: 4}) {
		t.Fatal("a cancelled take took a slot")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiters != 0 || len(c.waiting) != 0 {
		t.Fatalf("waiters left counted: %d, %v", c.waiters, c.waiting)
	}
}

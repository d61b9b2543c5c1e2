package loadcache

import (
	"context"
	"errors"
	"testing"
)

// Put and Remove keep the byte count true; a value over the budget is
// returned but not kept; a failed load keeps nothing and is tried again.
func TestPutRemoveBudget(t *testing.T) {
	c := Cache[string, int]{MaxEntries: 3, Budget: 10}
	c.Put("a", 1, 4)
	c.Put("a", 2, 6) // replaced: 6 held, not 10
	if n, b := c.Usage(); n != 1 || b != 6 {
		t.Fatalf("after replacing: %d values, %d bytes", n, b)
	}
	c.Put("b", 3, 4)
	c.Remove("a")
	if n, b := c.Usage(); n != 1 || b != 4 {
		t.Fatalf("after removing: %d values, %d bytes", n, b)
	}
	if v, err := c.Load(context.Background(), "big", func() (int, int64, error) { return 9, 11, nil }); err != nil || v != 9 {
		t.Fatalf("over the budget: %d, %v", v, err)
	}
	if _, ok := c.Get("big"); ok {
		t.Fatal("a value over the budget was kept")
	}
	calls := 0
	fail := func() (int, int64, error) { calls++; return 0, 0, errors.New("no") }
	for range 2 {
		if _, err := c.Load(context.Background(), "bad", fail); err == nil {
			t.Fatal("a failed load returned no error")
		}
	}
	if calls != 2 {
		t.Fatalf("a failed load was run %d times for two requests, want 2 (not kept)", calls)
	}
}

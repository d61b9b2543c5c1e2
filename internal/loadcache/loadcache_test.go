package loadcache

import (
	"context"
	"errors"
	"sync"
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

// waiting is a context that tells when a Load waits on it: Load reads
// Done only while it waits on another caller's load.
type waiting struct {
	context.Context
	once   sync.Once
	called chan struct{}
}

func newWaiting() *waiting {
	return &waiting{Context: context.Background(), called: make(chan struct{})}
}

func (w *waiting) Done() <-chan struct{} {
	w.once.Do(func() { close(w.called) })
	return w.Context.Done()
}

// TestCancelledLoadIsNotHandedToWaiters: a load whose caller is cancelled
// while another waits on it fails for that caller only; the waiter loads
// again under its own context and gets the value.
func TestCancelledLoadIsNotHandedToWaiters(t *testing.T) {
	var c Cache[string, int]
	first, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		_, err := c.Load(first, "k", func() (int, int64, error) {
			close(started)
			<-first.Done()
			return 0, 0, first.Err()
		})
		firstDone <- err
	}()
	<-started
	w := newWaiting()
	type result struct {
		v   int
		err error
	}
	waiterDone := make(chan result, 1)
	go func() {
		v, err := c.Load(w, "k", func() (int, int64, error) { return 7, 1, nil })
		waiterDone <- result{v, err}
	}()
	<-w.called // the waiter waits on the first load
	cancel()
	if err := <-firstDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled caller got %v, want context.Canceled", err)
	}
	if got := <-waiterDone; got.err != nil || got.v != 7 {
		t.Fatalf("a waiter on a cancelled load got %d, %v; want 7 loaded under its own context", got.v, got.err)
	}
}

// TestFailedLoadIsSharedWithWaiters: a load that fails with its caller's
// context alive is the key's failure: a waiter gets it and runs nothing.
func TestFailedLoadIsSharedWithWaiters(t *testing.T) {
	var c Cache[string, int]
	started, release := make(chan struct{}), make(chan struct{})
	boom := errors.New("boom")
	firstDone := make(chan error, 1)
	go func() {
		_, err := c.Load(context.Background(), "k", func() (int, int64, error) {
			close(started)
			<-release
			return 0, 0, boom
		})
		firstDone <- err
	}()
	<-started
	w := newWaiting()
	waiterDone := make(chan error, 1)
	go func() {
		_, err := c.Load(w, "k", func() (int, int64, error) { return 1, 1, nil })
		waiterDone <- err
	}()
	<-w.called
	close(release)
	if err := <-firstDone; !errors.Is(err, boom) {
		t.Fatalf("first caller: %v", err)
	}
	if err := <-waiterDone; !errors.Is(err, boom) {
		t.Fatalf("a waiter on a failed load got %v, want its failure", err)
	}
}

package dataserver

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

// TestPaceBookAccountsAcrossTransfers: a reader's transfers share one
// account: the time it holds them is charged against one Grace and the
// bytes they send at Rate, a transfer it holds without taking spends the
// Grace for the next one too, and the account is forgotten once the reader
// has held nothing for Memory.
func TestPaceBookAccountsAcrossTransfers(t *testing.T) {
	const grace = 400 * time.Millisecond
	b := &PaceBook{Pace: Pace{Grace: grace, Rate: 1 << 20}, Memory: 300 * time.Millisecond}
	if got := leftOf(b, "v"); got != grace {
		t.Fatalf("a new reader has %s left, want the Grace %s", got, grace)
	}
	// A transfer that sends 1 MiB: a second of pace earned.
	w, done := b.Guard(httptest.NewRecorder(), time.Second, "v")
	if _, err := w.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	done()
	if got := leftOf(b, "v"); got < grace+900*time.Millisecond || got > grace+time.Second {
		t.Fatalf("after 1 MiB in no time the reader has %s left, want about the Grace and a second", got)
	}
	// Two transfers held without taking a byte, back to back: the second
	// runs on what the first left.
	for range 2 {
		_, done = b.Guard(httptest.NewRecorder(), time.Second, "v")
		time.Sleep(700 * time.Millisecond)
		done()
	}
	if got := leftOf(b, "v"); got > 0 {
		t.Fatalf("after holding 1.4 s for 1 MiB the reader has %s left, want none", got)
	}
	if got := leftOf(b, "w"); got != grace {
		t.Fatalf("another reader has %s left, want its own Grace %s", got, grace)
	}
	time.Sleep(400 * time.Millisecond) // past Memory with nothing held
	if got := leftOf(b, "v"); got != grace {
		t.Fatalf("a reader that held nothing for Memory has %s left, want a fresh Grace %s", got, grace)
	}
	// A transfer under way keeps its account past Memory.
	_, done = b.Guard(httptest.NewRecorder(), time.Second, "v")
	time.Sleep(500 * time.Millisecond)
	if got := leftOf(b, "v"); got != grace {
		t.Fatalf("while a transfer is under way the account holds what the ended ones left: %s, want %s", got, grace)
	}
	done()
	if got := leftOf(b, "v"); got > grace-400*time.Millisecond {
		t.Fatalf("after holding 500 ms the reader has %s left, want at most %s", got, grace-400*time.Millisecond)
	}
}

// TestPaceBookAdmitsUnderContention: a spent reader is refused a slot only
// while the slots are contended or another transfer of it is under way,
// and starts afresh otherwise; under contention a transfer that has run
// its quantum is cut, and its reader waits like a spent one.
func TestPaceBookAdmitsUnderContention(t *testing.T) {
	const grace = 300 * time.Millisecond
	b := &PaceBook{Pace: Pace{Grace: grace, Rate: 1 << 20}, Memory: time.Minute, Quantum: 100 * time.Millisecond}
	spend := func(reader string) {
		_, done := b.Guard(httptest.NewRecorder(), time.Second, reader)
		time.Sleep(grace + 50*time.Millisecond)
		done()
		if leftOf(b, reader) > 0 {
			t.Fatalf("set-up: %s is not spent", reader)
		}
	}
	spend("v")
	if ok, _ := b.Admit("v"); !ok || leftOf(b, "v") != grace {
		t.Fatalf("a spent reader, the slots uncontended: admitted %v with %s left, want admitted with a fresh Grace", ok, leftOf(b, "v"))
	}
	spend("v")
	b.Contend()
	if ok, wait := b.Admit("v"); ok || wait <= 0 || wait > grace {
		t.Fatalf("a spent reader, the slots contended: admitted %v, wait %s, want refused for at most the Grace", ok, wait)
	}
	if ok, _ := b.Admit("w"); !ok {
		t.Fatal("a reader with its Grace, the slots contended: refused")
	}
	time.Sleep(grace + 50*time.Millisecond) // the contention ends
	if ok, _ := b.Admit("v"); !ok {
		t.Fatal("a spent reader after the contention ended: refused")
	}
	// A reader spent by one transfer while another of it is under way
	// waits whatever the slots.
	_, done1 := b.Guard(httptest.NewRecorder(), time.Second, "x")
	spend("x")
	if ok, _ := b.Admit("x"); ok {
		t.Fatal("a spent reader with a transfer under way: admitted to another")
	}
	done1()

	// The quantum: uncontended a transfer runs on; contended, one that has
	// run Quantum is cut at its next write, and its reader waits.
	w, done := b.Guard(httptest.NewRecorder(), time.Second, "q")
	time.Sleep(150 * time.Millisecond)
	if _, err := w.Write(make([]byte, 1024)); err != nil {
		t.Fatalf("a transfer past its quantum, the slots uncontended: %v", err)
	}
	b.Contend()
	if _, err := w.Write(make([]byte, 1024)); !errors.Is(err, errYielded) {
		t.Fatalf("a transfer past its quantum, the slots contended: %v, want errYielded", err)
	}
	done()
	if ok, _ := b.Admit("q"); ok {
		t.Fatal("a reader cut for others, the slots still contended: admitted")
	}
	time.Sleep(grace + 50*time.Millisecond)
	if ok, _ := b.Admit("q"); !ok || leftOf(b, "q") != grace {
		t.Fatal("a reader cut for others after the contention ended: not admitted afresh")
	}
}

// leftOf is what reader's account in b leaves (PaceBook.left).
func leftOf(b *PaceBook, reader string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.left(b.account(reader, time.Now()))
}

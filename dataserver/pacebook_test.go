package dataserver

import (
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
	if got := b.Left("v"); got != grace {
		t.Fatalf("a new reader has %s left, want the Grace %s", got, grace)
	}
	// A transfer that sends 1 MiB: a second of pace earned.
	w, done := b.Guard(httptest.NewRecorder(), time.Second, "v")
	if _, err := w.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	done()
	if got := b.Left("v"); got < grace+900*time.Millisecond || got > grace+time.Second {
		t.Fatalf("after 1 MiB in no time the reader has %s left, want about the Grace and a second", got)
	}
	// Two transfers held without taking a byte, back to back: the second
	// runs on what the first left.
	for range 2 {
		_, done = b.Guard(httptest.NewRecorder(), time.Second, "v")
		time.Sleep(700 * time.Millisecond)
		done()
	}
	if got := b.Left("v"); got > 0 {
		t.Fatalf("after holding 1.4 s for 1 MiB the reader has %s left, want none", got)
	}
	if got := b.Left("w"); got != grace {
		t.Fatalf("another reader has %s left, want its own Grace %s", got, grace)
	}
	time.Sleep(400 * time.Millisecond) // past Memory with nothing held
	if got := b.Left("v"); got != grace {
		t.Fatalf("a reader that held nothing for Memory has %s left, want a fresh Grace %s", got, grace)
	}
	// A transfer under way keeps its account past Memory.
	_, done = b.Guard(httptest.NewRecorder(), time.Second, "v")
	time.Sleep(500 * time.Millisecond)
	if got := b.Left("v"); got != grace {
		t.Fatalf("while a transfer is under way the account holds what the ended ones left: %s, want %s", got, grace)
	}
	done()
	if got := b.Left("v"); got > grace-400*time.Millisecond {
		t.Fatalf("after holding 500 ms the reader has %s left, want at most %s", got, grace-400*time.Millisecond)
	}
}

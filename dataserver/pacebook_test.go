package dataserver

import (
	"errors"
	"net/http/httptest"
	"sync/atomic"
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
	w, done := b.Guard(httptest.NewRecorder(), time.Second, "v", "f", 0)
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
		_, done = b.Guard(httptest.NewRecorder(), time.Second, "v", "f", 0)
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
	_, done = b.Guard(httptest.NewRecorder(), time.Second, "v", "f", 0)
	time.Sleep(500 * time.Millisecond)
	if got := leftOf(b, "v"); got != grace {
		t.Fatalf("while a transfer is under way the account holds what the ended ones left: %s, want %s", got, grace)
	}
	done()
	if got := leftOf(b, "v"); got > grace-400*time.Millisecond {
		t.Fatalf("after holding 500 ms the reader has %s left, want at most %s", got, grace-400*time.Millisecond)
	}
}

// TestPaceBookRanksUnderContention: a spent reader ranks behind the
// others, is refused while another transfer of it is under way, and starts
// a fresh account when it is given a slot; while readers wait, a
// transfer that has run its quantum is cut.
func TestPaceBookRanksUnderContention(t *testing.T) {
	const grace = 300 * time.Millisecond
	var waiting atomic.Bool
	b := &PaceBook{Pace: Pace{Grace: grace, Rate: 1 << 20}, Memory: time.Minute, Quantum: 100 * time.Millisecond,
		Contended: waiting.Load}
	spend := func(reader string) {
		_, done := b.Guard(httptest.NewRecorder(), time.Second, reader, "f", 0)
		time.Sleep(grace + 50*time.Millisecond)
		done()
		if leftOf(b, reader) > 0 {
			t.Fatalf("set-up: %s is not spent", reader)
		}
	}
	spend("v")
	if rank, _, err := b.Rank("v", "f", 0); err != nil || !rank.Behind {
		t.Fatalf("a spent reader: rank %+v, %v; want Behind", rank, err)
	}
	if rank, _, err := b.Rank("w", "f", 0); err != nil || rank.Behind {
		t.Fatalf("a reader with its Grace: rank %+v, %v; want not Behind", rank, err)
	}
	// Given a slot, with nothing under way, it starts afresh.
	_, done := b.Guard(httptest.NewRecorder(), time.Second, "v", "f", 0)
	if got := leftOf(b, "v"); got < grace-50*time.Millisecond {
		t.Fatalf("a spent reader given a slot has %s left, want a fresh Grace", got)
	}
	done()
	// A reader spent by one transfer while another of it is under way
	// is refused another.
	_, done1 := b.Guard(httptest.NewRecorder(), time.Second, "x", "f", 0)
	spend("x")
	if _, wait, err := b.Rank("x", "f", 0); !errors.Is(err, ErrBehindPace) || wait != grace {
		t.Fatalf("a spent reader with a transfer under way: %v (wait %s), want ErrBehindPace after a Grace", err, wait)
	}
	done1()

	// The quantum: with nobody waiting a transfer runs on; with readers
	// waiting, one that has run Quantum is cut at its next write.
	w, done := b.Guard(httptest.NewRecorder(), time.Second, "q", "f", 0)
	time.Sleep(150 * time.Millisecond)
	if _, err := w.Write(make([]byte, 1024)); err != nil {
		t.Fatalf("a transfer past its quantum, nobody waiting: %v", err)
	}
	waiting.Store(true)
	if _, err := w.Write(make([]byte, 1024)); !errors.Is(err, ErrYielded) {
		t.Fatalf("a transfer past its quantum, readers waiting: %v, want ErrYielded", err)
	}
	done()
	if rank, _, err := b.Rank("q", "f", 0); err != nil || rank.Behind {
		t.Fatalf("a reader cut for others, having kept the pace: rank %+v, %v; want not Behind", rank, err)
	}
}

// TestPaceBookProgress: a reader's progress on a file is the bytes from
// its start sent to it, counted from a transfer that begins within what it
// had, and its rank claims no more of it than the offset it asks from.
func TestPaceBookProgress(t *testing.T) {
	b := &PaceBook{Pace: Pace{Grace: time.Minute, Rate: 1 << 20}, Memory: time.Minute}
	send := func(reader, file string, from int64, n int) {
		w, done := b.Guard(httptest.NewRecorder(), time.Second, reader, file, from)
		if _, err := w.Write(make([]byte, n)); err != nil {
			t.Fatal(err)
		}
		done()
	}
	progress := func(reader, file string, from int64) int64 {
		rank, _, err := b.Rank(reader, file, from)
		if err != nil {
			t.Fatal(err)
		}
		return rank.Progress
	}
	send("v", "f", 0, 1000)
	send("v", "f", 1000, 500) // resumed where it stopped
	send("v", "f", 400, 100)  // an earlier range: no more progress
	send("v", "f", 5000, 700) // past what it had: not counted
	send("v", "f", -1, 9000)  // a range that claims nothing
	for _, c := range []struct {
		reader, file string
		from, want   int64
	}{
		{"v", "f", 1500, 1500}, {"v", "f", 1 << 30, 1500}, {"v", "f", 0, 0}, {"v", "f", 700, 700},
		{"v", "g", 1500, 0}, {"w", "f", 1500, 0},
	} {
		if got := progress(c.reader, c.file, c.from); got != c.want {
			t.Errorf("%s asking %s from %d ranks with progress %d, want %d", c.reader, c.file, c.from, got, c.want)
		}
	}
}

// leftOf is what reader's account in b leaves (PaceBook.left).
func leftOf(b *PaceBook, reader string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.left(b.account(reader, time.Now()))
}

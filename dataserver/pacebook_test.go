package dataserver

import (
	"errors"
	"net/http"
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
	w, done := b.Guard(httptest.NewRecorder(), time.Time{}, time.Second, "v", "f", 0, 1<<30)
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
		_, done = b.Guard(httptest.NewRecorder(), time.Time{}, time.Second, "v", "f", 0, 1<<30)
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
	_, done = b.Guard(httptest.NewRecorder(), time.Time{}, time.Second, "v", "f", 0, 1<<30)
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
		_, done := b.Guard(httptest.NewRecorder(), time.Time{}, time.Second, reader, "f", 0, 1<<30)
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
	_, done := b.Guard(httptest.NewRecorder(), time.Time{}, time.Second, "v", "f", 0, 1<<30)
	if got := leftOf(b, "v"); got < grace-50*time.Millisecond {
		t.Fatalf("a spent reader given a slot has %s left, want a fresh Grace", got)
	}
	done()
	// A reader spent by one transfer while another of it is under way
	// is refused another.
	_, done1 := b.Guard(httptest.NewRecorder(), time.Time{}, time.Second, "x", "f", 0, 1<<30)
	spend("x")
	if _, wait, err := b.Rank("x", "f", 0); !errors.Is(err, ErrBehindPace) || wait != grace {
		t.Fatalf("a spent reader with a transfer under way: %v (wait %s), want ErrBehindPace after a Grace", err, wait)
	}
	done1()

	// The quantum: with nobody waiting a transfer runs on; with readers
	// waiting, one that has run Quantum is cut at its next write.
	w, done := b.Guard(httptest.NewRecorder(), time.Time{}, time.Second, "q", "f", 0, 1<<30)
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

// TestPaceBookProgress: a request's rank is the bytes its reader was sent
// of the file lately, decaying over Recent, when it resumes where the
// reader's last transfer of the file stopped (within ResumeSlack), none
// otherwise; only a 200 or a 206 counts, a 200 from the file's start.
func TestPaceBookProgress(t *testing.T) {
	const size = 64 << 20
	b := &PaceBook{Pace: Pace{Grace: time.Minute, Rate: 1 << 20}, Memory: time.Minute}
	send := func(reader, file string, from int64, status, n int) {
		t.Helper()
		w, done := b.Guard(httptest.NewRecorder(), time.Time{}, time.Second, reader, file, from, size)
		w.WriteHeader(status)
		if _, err := w.Write(make([]byte, n)); err != nil {
			t.Fatal(err)
		}
		done()
	}
	progress := func(reader, file string, from int64) int64 {
		t.Helper()
		r, _, err := b.Rank(reader, file, from)
		if err != nil || r.Behind {
			t.Fatalf("rank %+v, %v", r, err)
		}
		return r.Progress
	}
	send("v", "f", 0, http.StatusOK, 10<<20)
	send("v", "f", 10<<20, http.StatusPartialContent, 5<<20) // resumed: 15 MiB in all
	send("v", "f", 0, http.StatusRequestedRangeNotSatisfiable, 100)
	send("v", "f", -1, http.StatusPartialContent, 1<<20) // a Range that claims no start
	for _, c := range []struct {
		reader, file string
		from, want   int64
	}{
		{"v", "f", 15 << 20, 15 << 20},                   // resumes where it stopped
		{"v", "f", ResumeFrom, 15 << 20},                 // the same
		{"v", "f", 15<<20 - ResumeSlack, 15 << 20},       // within the slack
		{"v", "f", 15<<20 - ResumeSlack - 1, 0},          // before it: a copy held, asked from far in
		{"v", "f", 40 << 20, 0},                          // past it: bytes it was not sent
		{"v", "g", 15 << 20, 0}, {"w", "f", 15 << 20, 0}, // another file, another reader
	} {
		if got := progress(c.reader, c.file, c.from); got != c.want {
			t.Errorf("%s asking %s from %d has progress %d, want %d", c.reader, c.file, c.from, got, c.want)
		}
	}
	// The rest of the file, then asked again from its middle: Done (a copy
	// held ranks last); from byte 0 or where it stopped (a transfer broken
	// with the end in its buffers), not.
	send("v", "f", 15<<20, http.StatusPartialContent, size-15<<20)
	if r, _, _ := b.Rank("v", "f", size/2); !r.Done {
		t.Errorf("a reader sent the whole file, asking from its middle, ranks %+v, want Done", r)
	}
	for _, from := range []int64{0, size - 1<<20} {
		if r, _, _ := b.Rank("v", "f", from); r.Done {
			t.Errorf("a reader sent the whole file, asking from %d, ranks %+v, want not Done", from, r)
		}
	}
	// A 200 answer to a Range request counts from the file's start.
	send("x", "f", 30<<20, http.StatusOK, 2<<20)
	if got := progress("x", "f", 2<<20); got != 2<<20 {
		t.Errorf("after a 200 of 2 MiB to a Range from 30 MiB the reader has progress %d from 2 MiB, want 2 MiB", got)
	}
	// Recent bytes decay over Recent: a position bought long ago fades.
	b.Recent = 100 * time.Millisecond
	send("y", "f", 0, http.StatusOK, 8<<20)
	time.Sleep(300 * time.Millisecond)
	if got := progress("y", "f", 8<<20); got > 1<<20 || got < 1 {
		t.Errorf("8 MiB sent three Recent ago rank %d, want about e^-3 of it (0.4 MiB)", got)
	}
}

// leftOf is what reader's account in b leaves (PaceBook.left).
func leftOf(b *PaceBook, reader string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.left(b.account(reader, time.Now()))
}

// TestPaceBookCapsWhatAReaderCarries: a reader that took a large file
// fast is ahead of its pace by the file's whole send time; a transfer of
// it starts with at most MaxCredit of that, so that it cannot hold slots
// without reading for minutes.
func TestPaceBookCapsWhatAReaderCarries(t *testing.T) {
	b := &PaceBook{Pace: Pace{Grace: 100 * time.Millisecond, Rate: 1 << 20}, Memory: time.Minute,
		MaxCredit: 200 * time.Millisecond}
	w, done := b.Guard(httptest.NewRecorder(), time.Time{}, time.Second, "v", "f", 0, 1<<30)
	if _, err := w.Write(make([]byte, 10<<20)); err != nil { // 10 s of pace, at once
		t.Fatal(err)
	}
	done()
	if got := leftOf(b, "v"); got < 9*time.Second {
		t.Fatalf("set-up: %s left after 10 MiB at once, want about 10 s", got)
	}
	_, done = b.Guard(httptest.NewRecorder(), time.Time{}, time.Second, "v", "f", 10<<20, 1<<30)
	if got := leftOf(b, "v"); got > 200*time.Millisecond {
		t.Fatalf("a transfer starts with %s of credit, want at most MaxCredit 200ms", got)
	}
	done()
}

// TestFileProgressFast: a reader resuming a file keeps its turn
// (slots.Rank.Fast) while it takes the file at FastRate or more and would
// have the rest within FastHorizon at that rate; not one slower, nor one
// far from the end, nor one that comes back late, nor one whose fast
// transfer came before a slow one.
func TestFileProgressFast(t *testing.T) {
	const MiB = 1 << 20
	b := &PaceBook{Recent: 40 * time.Second, FastRate: 3 * MiB, FastWindow: 10 * time.Second, FastHorizon: time.Minute}
	t0 := time.Unix(1_800_000_000, 0)
	// one transfer of size bytes from byte 0, at rate for d, asked again
	// after gap: is it Fast?
	quantum := func(size, rate int64, d, gap time.Duration) bool {
		f := &fileProgress{}
		sent := rate * int64(d/time.Millisecond) / 1000
		f.record(http.StatusOK, 0, sent, size, t0, t0.Add(d), b)
		return f.rank(sent, t0.Add(d+gap), b).Fast
	}
	for _, c := range []struct {
		name       string
		size, rate int64
		gap        time.Duration
		want       bool
	}{
		{"4 MiB/s, 200 MiB: the rest in 30 s", 200 * MiB, 4 * MiB, time.Second, true},
		{"3 MiB/s, 200 MiB: the rest in 47 s", 200 * MiB, 3 * MiB, time.Second, true},
		{"2.4 MiB/s: under the fast rate", 200 * MiB, 24 * MiB / 10, time.Second, false},
		{"4 MiB/s, 1 GiB: the rest in 236 s, past the horizon", 1 << 30, 4 * MiB, time.Second, false},
		{"4 MiB/s, asked again after 21 s", 200 * MiB, 4 * MiB, 21 * time.Second, false},
	} {
		if got := quantum(c.size, c.rate, 20*time.Second, c.gap); got != c.want {
			t.Errorf("%s: Fast %v, want %v", c.name, got, c.want)
		}
	}

	// 100 MiB taken in a second before the contention, then a quantum at
	// 2.4 MiB/s: the bytes taken fast buy nothing past the slow transfer.
	f := &fileProgress{}
	f.record(http.StatusPartialContent, 0, 100*MiB, 200*MiB, t0, t0.Add(time.Second), b)
	if !f.rank(100*MiB, t0.Add(2*time.Second), b).Fast {
		t.Fatal("set-up: 100 MiB in a second is not Fast")
	}
	slow := int64(48 * MiB)
	f.record(http.StatusPartialContent, 100*MiB, slow, 200*MiB, t0.Add(2*time.Second), t0.Add(22*time.Second), b)
	if r := f.rank(100*MiB+slow, t0.Add(22*time.Second), b); r.Fast {
		t.Errorf("a quantum at 2.4 MiB/s after 100 MiB taken in a second: %+v, want not Fast", r)
	}
	// Bursts of 10 MiB taken in 100 ms, one every 5 s: each transfer fast,
	// the reader's rate 2 MiB/s.
	f = &fileProgress{}
	at := int64(0)
	for i := range 8 {
		start := t0.Add(time.Duration(i) * 5 * time.Second)
		f.record(http.StatusPartialContent, at, 10*MiB, 400*MiB, start, start.Add(100*time.Millisecond), b)
		at += 10 * MiB
	}
	if r := f.rank(at, t0.Add(36*time.Second), b); r.Fast {
		t.Errorf("10 MiB bursts every 5 s (2 MiB/s): %+v, want not Fast", r)
	}
	// A run that began elsewhere than byte 0: its position was not sent to
	// it. From the file's last 100 MiB at 4 MiB/s; and the first 100 MiB
	// taken, then resumed after more than four windows (a new run).
	f = &fileProgress{}
	f.record(http.StatusPartialContent, 100*MiB, 80*MiB, 200*MiB, t0, t0.Add(20*time.Second), b)
	if r := f.rank(180*MiB, t0.Add(20*time.Second), b); r.Fast {
		t.Errorf("a run from byte 100 MiB: %+v, want not Fast", r)
	}
	f = &fileProgress{}
	f.record(http.StatusPartialContent, 0, 100*MiB, 200*MiB, t0, t0.Add(time.Second), b)
	f.record(http.StatusPartialContent, 100*MiB, 80*MiB, 200*MiB, t0.Add(42*time.Second), t0.Add(62*time.Second), b)
	if r := f.rank(180*MiB, t0.Add(62*time.Second), b); r.Fast {
		t.Errorf("a start taken 41 s before a run at 4 MiB/s: %+v, want not Fast", r)
	}
	// A validator the slots went round: a quantum at 4 MiB/s from byte 0,
	// then 50 s asking in vain (waited every second), then another
	// quantum: its run goes on, and its rate is over its new streak. Had
	// it not asked, its second quantum began a new run, not from byte 0.
	// The rest, 230 MiB, is within the horizon at 4 MiB/s, not at the 3.5
	// MiB/s a rate over the time it waited would show.
	for _, asking := range []bool{true, false} {
		f = &fileProgress{}
		f.record(http.StatusOK, 0, 80*MiB, 390*MiB, t0, t0.Add(20*time.Second), b)
		if asking {
			for s := 21; s <= 70; s++ {
				f.waited = t0.Add(time.Duration(s) * time.Second)
			}
		}
		f.record(http.StatusPartialContent, 80*MiB, 80*MiB, 390*MiB, t0.Add(70*time.Second), t0.Add(90*time.Second), b)
		if r := f.rank(160*MiB, t0.Add(90*time.Second), b); r.Fast != asking {
			t.Errorf("a second quantum at 4 MiB/s after 50 s asking (%v) in vain: %+v, want Fast %v", asking, r, asking)
		}
	}
	// A request that does not resume is not Fast, however fast the reader.
	if r := f.rank(0, t0.Add(36*time.Second), b); r.Fast || r.Progress != 0 {
		t.Errorf("a request from byte 0 ranks %+v, want no progress", r)
	}
}

// TestFileProgressCountsNewBytesOfAStreak: a resume counts the bytes past
// where the reader's last transfer ended, not what it was sent again; a
// request elsewhere in the file starts its progress afresh.
func TestFileProgressCountsNewBytesOfAStreak(t *testing.T) {
	const MiB = 1 << 20
	b := &PaceBook{}
	t0 := time.Unix(1_800_000_000, 0)
	f := &fileProgress{}
	f.record(http.StatusOK, 0, 10*MiB, 64*MiB, t0, t0.Add(time.Second), b)
	f.record(http.StatusPartialContent, 8*MiB, 3*MiB, 64*MiB, t0.Add(time.Second), t0.Add(2*time.Second), b) // 2 MiB again, 1 new
	if got := f.rank(11*MiB, t0.Add(2*time.Second), b).Progress; got != 11*MiB {
		t.Errorf("10 MiB, then 3 MiB from 8 MiB: progress %d, want 11 MiB", got)
	}
	for range 3 { // asking again and again from 10 MiB: 1 MiB new the first time only
		f.record(http.StatusPartialContent, 10*MiB, MiB, 64*MiB, t0.Add(2*time.Second), t0.Add(3*time.Second), b)
	}
	if got := f.rank(11*MiB, t0.Add(3*time.Second), b).Progress; got != 11*MiB {
		t.Errorf("the same MiB three times: progress %d, want 11 MiB", got)
	}
	f.record(http.StatusPartialContent, 40*MiB, MiB, 64*MiB, t0.Add(3*time.Second), t0.Add(4*time.Second), b)
	if got := f.rank(41*MiB, t0.Add(4*time.Second), b).Progress; got != MiB {
		t.Errorf("a MiB from 40 MiB after 11 MiB from the start: progress %d, want 1 MiB", got)
	}
}

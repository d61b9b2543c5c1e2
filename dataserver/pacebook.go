package dataserver

import (
	"errors"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/aichain/aichain/internal/slots"
)

// PaceBook keeps each reader's Pace across its transfers, ranks the
// readers that wait for a server's transfer slots (slots.Queue), and cuts
// a long transfer for them.
//
// When each transfer started its pace, and its Grace, afresh, a reader cut
// for falling behind asked again at once and held its transfer slot
// another Grace for nothing, so a few bonded validators held every weights
// slot of a sidecar or a provider, one request per Grace each
// (TestAttackValidatorsRestartTheGraceToHoldEverySlot). A book charges a
// reader's transfers to one account: one Grace, and the time the reader
// holds transfers stays within Grace + bytes sent / Rate, counted over
// every transfer it holds.
//
// A reader whose account is spent ranks after every reader that is not
// (Rank: Behind) while others wait, and is refused while another transfer
// of it is under way; given a slot with none under way, it starts a fresh
// account. Uncontended it is served at once: an honest validator whose
// transfer a network cut of a few seconds put behind asks for the rest and
// must not be locked out while every slot stands free
// (TestAttackNetworkCutLocksAnHonestValidatorOutPastTheSpan).
//
// A reader that keeps the pace is never behind it, and four validators
// reading at just over the pace held every slot of a provider for as long
// as the file lasted at that rate, past a job's unavailable span
// (TestAttackValidatorsKeepingThePaceHoldEveryWeightsSlot). While readers
// wait (Contended), a transfer that has run Quantum is cut, and its reader
// asks for the rest (a Range request) and waits its turn.
//
// The turn goes to the reader taking the file fastest (Rank.Progress: the
// bytes it was sent of the file lately, when it resumes where it stopped;
// fileProgress), so that the uplink completes copies, which the
// validators' sidecars then share, rather than advancing every validator
// a little: a quantum-cut validator asking for the rest of a large model
// was refused until every other had had a turn, and with a few dozen
// validators waiting none had the whole file within the span
// (TestAttackValidatorsWaitingTogetherGetNoWholeCopyWithinTheSpan). A
// reader cannot claim bytes it was not sent, and one that reads slowly, at
// the pace, falls behind the honest ones that read at their link's speed.
//
// Readers are the signers a server admitted (bonded validators), so the
// book holds an account per validator at most, each dropped Memory after
// its last transfer, with its progress on each file the server holds.
type PaceBook struct {
	Pace    Pace
	Memory  time.Duration
	Quantum time.Duration // zero: a transfer is never cut for others
	// Recent is the time over which the bytes a reader was sent of a file
	// count toward its rank, decaying by a factor e (zero: never decay).
	Recent time.Duration
	// MaxCredit is the most a reader's account may be ahead of its pace
	// when a transfer of it starts (zero: no cap): a reader that took a
	// large file fast had its whole send time (8.5 minutes for 1 GiB) to
	// hold slots without reading (found by review;
	// TestPaceBookCapsWhatAReaderCarries).
	MaxCredit time.Duration
	// FastRate is the rate at which a reader resuming a file keeps its
	// turn (Rank.Fast), measured over about FastWindow of wall time (zero:
	// none does; fileProgress), while at that rate the rest of the file
	// takes it at most FastHorizon (zero: any time).
	FastRate                int64
	FastWindow, FastHorizon time.Duration
	// Contended reports whether readers wait for a slot (nil: never).
	Contended func() bool

	mu       sync.Mutex
	accounts map[string]*paceAccount
	pruned   time.Time
}

type paceAccount struct {
	held   time.Duration            // time its ended transfers were held
	sent   int64                    // bytes its ended transfers sent
	active int                      // transfers under way
	last   time.Time                // when its last transfer ended
	files  map[string]*fileProgress // what it was sent of each file
}

// ErrYielded cuts a transfer that ran Quantum while other readers waited.
var ErrYielded = errors.New("the transfer ran its quantum while other readers waited for a slot")

// account returns reader's account as of now, a fresh one when it holds no
// transfer and its last ended more than Memory ago. b.mu is held.
func (b *PaceBook) account(reader string, now time.Time) *paceAccount {
	if now.Sub(b.pruned) > b.Memory {
		for k, a := range b.accounts {
			if a.active == 0 && now.Sub(a.last) > b.Memory {
				delete(b.accounts, k)
			}
		}
		b.pruned = now
	}
	a, ok := b.accounts[reader]
	if !ok || (a.active == 0 && now.Sub(a.last) > b.Memory) {
		if b.accounts == nil {
			b.accounts = map[string]*paceAccount{}
		}
		a = &paceAccount{}
		b.accounts[reader] = a
	}
	return a
}

// left is what a's account leaves: Grace + sent / Rate − held.
func (b *PaceBook) left(a *paceAccount) time.Duration {
	return b.Pace.End(a.sent) - a.held
}

// contended reports whether readers wait for a slot.
func (b *PaceBook) contended() bool { return b.Contended != nil && b.Contended() }

// ErrBehindPace refuses a reader whose account is spent while another
// transfer of it is under way.
var ErrBehindPace = errors.New("the reader's transfers fell behind the pace")

// Rank is reader's rank for a slot to send file from byte from (-1: a
// Range that claims no start; ResumeFrom: where its last transfer of the
// file stopped): Behind when its account is spent, else as the bytes it
// was sent of file say (fileProgress.rank). A spent reader with another
// transfer under way is refused (ErrBehindPace), and told to ask again
// after a Grace.
func (b *PaceBook) Rank(reader, file string, from int64) (slots.Rank, time.Duration, error) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.account(reader, now)
	behind := b.Pace.Rate > 0 && b.left(a) <= 0
	if behind && a.active > 0 {
		return slots.Rank{}, b.Pace.Grace, ErrBehindPace
	}
	f := a.files[file]
	if from == ResumeFrom && f != nil {
		from = f.at
	}
	rank := f.rank(from, now, b)
	rank.Behind = behind
	return rank, 0, nil
}

// Waited books that reader's request for file from byte from waited its
// turn at a slot in vain (answered busy): when it resumes the reader's
// last transfer, the reader's run of transfers goes on across the wait
// (fileProgress.waited). A validator the slots went round, asking again
// all along, was a new run, never Fast, when its turn came back.
func (b *PaceBook) Waited(reader, file string, from int64) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.accounts[reader]
	if a == nil {
		return
	}
	f := a.files[file]
	if from == ResumeFrom && f != nil {
		from = f.at
	}
	// Only a live run goes on: a wait does not bring back a run that ended
	// long before, from a start taken then
	// (TestAttackValidatorsWaitingReviveARunBankedLongBeforeHoldEverySlotPastTheSpan).
	if f.resumes(from) && f.alive(now, b.FastWindow) {
		f.waited = now
	}
}

// ResumeFrom, as Rank's from, is where the reader's last transfer of the
// file stopped.
const ResumeFrom = math.MinInt64

// Guard returns w with the stall rule (GuardStall) and reader's pace from
// its account, for a transfer of file from byte from whose slot was taken
// at taken (slots.Queue.TakeAt; zero: now), the start of a run it begins
// (slots.Rank.Run): the transfer is cut
// once the reader's time on all its transfers passes Grace + everything
// they sent / Rate, or once it has run Quantum while others wait for a
// slot. A spent account with no transfer under way starts afresh (the
// reader waited its turn). done books the transfer in the account and in
// what the reader was sent of file (size bytes; the transfer asked from
// byte from, -1 for a Range that claims no start), and reports whether the
// transfer was cut for others (its quantum); call it when the response is
// written.
func (b *PaceBook) Guard(w http.ResponseWriter, taken time.Time, stall time.Duration, reader, file string, from, size int64) (http.ResponseWriter, func() (yielded bool)) {
	// The pace and the quantum run from now, when the transfer starts: a
	// request woken for its turn on a loaded host starts a little after
	// its slot was taken, and that time is not the reader's.
	start := time.Now()
	b.mu.Lock()
	a := b.account(reader, start)
	if a.active == 0 && b.Pace.Rate > 0 && b.left(a) <= 0 {
		*a = paceAccount{last: a.last, files: a.files}
	}
	if over := b.left(a) - b.MaxCredit; b.MaxCredit > 0 && over > 0 {
		a.held += over // a credit past MaxCredit is not carried
	}
	sw := newStallWriter(w, stall, time.Time{})
	sw.pace, sw.from, sw.base = b.Pace, start.Add(-a.held), a.sent
	var yielded bool // set by the writer's goroutine, read by done on the same
	if b.Quantum > 0 {
		sw.check = func() error {
			if time.Since(start) < b.Quantum || !b.contended() {
				return nil
			}
			yielded = true
			return ErrYielded
		}
	}
	a.active++
	b.mu.Unlock()
	return sw, func() bool {
		now := time.Now()
		b.mu.Lock()
		defer b.mu.Unlock()
		a.held += now.Sub(start)
		a.sent += sw.sent
		a.active--
		a.last = now
		if status := sw.statusSent(); status == http.StatusOK || status == http.StatusPartialContent {
			f := a.files[file]
			if f == nil {
				if a.files == nil {
					a.files = map[string]*fileProgress{}
				}
				f = &fileProgress{}
				a.files[file] = f
			}
			f.record(status, from, sw.sent, size, start, now, b)
			if f.run.Equal(start) && !taken.IsZero() && taken.Before(start) {
				f.run = taken // a run begins when its first slot was taken, in the queue's order
			}
		}
		return yielded
	}
}

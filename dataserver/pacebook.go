package dataserver

import (
	"errors"
	"net/http"
	"sync"
	"time"
)

// PaceBook keeps each reader's Pace across its transfers, and shares a
// server's transfer slots out fairly when readers wait for them.
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
// A spent account is refused a slot only while the slots are contended:
// for Grace after a reader was turned away because every slot was taken
// (Contend). Uncontended, a spent reader with no transfer under way starts
// a fresh account: an honest validator whose transfer a network cut of a
// few seconds put behind asks for the rest at once, and was locked out
// while every slot stood free (TestAttackNetworkCutLocksAnHonestValidatorOutPastTheSpan).
//
// A reader that keeps the pace is never behind it, and four validators
// reading at just over the pace held every slot of a provider for as long
// as the file lasted at that rate, past a job's unavailable span
// (TestAttackValidatorsKeepingThePaceHoldEveryWeightsSlot). Under
// contention a transfer that has run Quantum is cut, and its reader, like a
// spent one, waits until the contention ends before it asks for the rest
// (a Range request): the slots go round the readers that wait.
//
// Readers are the signers a server admitted (bonded validators), so the
// book holds an account per validator at most, each dropped Memory after
// its last transfer.
type PaceBook struct {
	Pace    Pace
	Memory  time.Duration
	Quantum time.Duration // zero: a transfer is never cut for others

	mu        sync.Mutex
	accounts  map[string]*paceAccount
	pruned    time.Time
	contended time.Time // when a reader was last turned away with every slot taken
}

type paceAccount struct {
	held    time.Duration // time its ended transfers were held
	sent    int64         // bytes its ended transfers sent
	active  int           // transfers under way
	last    time.Time     // when its last transfer ended
	yielded bool          // a transfer of it was cut for others (Quantum)
}

// errYielded cuts a transfer that ran Quantum while others waited.
var errYielded = errors.New("the transfer ran its quantum while other readers waited for a slot")

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

// contendedUntil is when the contention of the last Contend ends. b.mu is
// held.
func (b *PaceBook) contendedUntil() time.Time { return b.contended.Add(b.Pace.Grace) }

// Contend records that a reader was turned away because every slot was
// taken: for Grace, spent readers and readers cut for others wait, and
// transfers that have run Quantum are cut.
func (b *PaceBook) Contend() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.contended = time.Now()
}

// Admit reports whether reader may take a slot now and, when not, how long
// to wait before it asks again. A reader whose account is not spent may;
// one whose account is spent, or whose transfer was cut for others, may
// not while another transfer of it is under way or while the slots are
// contended, and starts a fresh account otherwise.
func (b *PaceBook) Admit(reader string) (bool, time.Duration) {
	if b.Pace.Rate <= 0 {
		return true, 0
	}
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.account(reader, now)
	if b.left(a) > 0 && !a.yielded {
		return true, 0
	}
	if a.active > 0 {
		return false, b.Pace.Grace
	}
	if until := b.contendedUntil(); now.Before(until) {
		return false, until.Sub(now)
	}
	*a = paceAccount{last: a.last}
	return true, 0
}

// Guard returns w with the stall rule (GuardStall) and reader's pace from
// its account: the transfer is cut once the reader's time on all its
// transfers passes Grace + everything they sent / Rate, or once it has run
// Quantum while the slots are contended. done books the transfer in the
// account; call it when the response is written.
func (b *PaceBook) Guard(w http.ResponseWriter, stall time.Duration, reader string) (http.ResponseWriter, func()) {
	start := time.Now()
	b.mu.Lock()
	a := b.account(reader, start)
	sw := newStallWriter(w, stall, time.Time{})
	sw.pace, sw.from, sw.base = b.Pace, start.Add(-a.held), a.sent
	if b.Quantum > 0 {
		sw.check = func() error {
			now := time.Now()
			if now.Sub(start) < b.Quantum {
				return nil // within its quantum: no lock taken on every step
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			if now.Before(b.contendedUntil()) {
				a.yielded = true
				return errYielded
			}
			return nil
		}
	}
	a.active++
	b.mu.Unlock()
	return sw, func() {
		now := time.Now()
		b.mu.Lock()
		defer b.mu.Unlock()
		a.held += now.Sub(start)
		a.sent += sw.sent
		a.active--
		a.last = now
	}
}

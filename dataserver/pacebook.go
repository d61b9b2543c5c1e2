package dataserver

import (
	"math"
	"net/http"
	"sync"
	"time"
)

// PaceBook keeps each reader's Pace across its transfers. When each
// transfer started its pace, and its Grace, afresh, a reader cut for
// falling behind asked again at once and held its transfer slot another
// Grace for nothing, so a few bonded validators held every weights slot of
// a sidecar or a provider, one request per Grace each
// (TestAttackValidatorsRestartTheGraceToHoldEverySlot). A book charges all
// of a reader's transfers to one account: one Grace, and the time the
// reader holds transfers stays within Grace + bytes sent / Rate, counted
// over every transfer it holds until it has held none for Memory. A reader
// whose account is spent is refused before it takes a slot (Left), and a
// transfer it starts runs on what its account has left (Guard).
//
// Readers are the signers a server admitted (bonded validators), so the
// book holds an account per validator at most, each dropped Memory after
// its last transfer.
type PaceBook struct {
	Pace   Pace
	Memory time.Duration

	mu       sync.Mutex
	accounts map[string]*paceAccount
	pruned   time.Time
}

type paceAccount struct {
	held   time.Duration // time its ended transfers were held
	sent   int64         // bytes its ended transfers sent
	active int           // transfers under way
	last   time.Time     // when its last transfer ended
}

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

// Left returns how much longer reader may hold transfers than its bytes
// pay for: Pace.Grace at first; zero or less once it is spent, until it
// has held no transfer for Memory. Without a Rate, no limit.
func (b *PaceBook) Left(reader string) time.Duration {
	if b.Pace.Rate <= 0 {
		return math.MaxInt64
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.left(b.account(reader, time.Now()))
}

// Guard returns w with the stall rule (GuardStall) and reader's pace from
// its account: the transfer is cut once the reader's time on all its
// transfers passes Grace + everything they sent / Rate. done books the
// transfer in the account; call it when the response is written.
func (b *PaceBook) Guard(w http.ResponseWriter, stall time.Duration, reader string) (http.ResponseWriter, func()) {
	start := time.Now()
	b.mu.Lock()
	a := b.account(reader, start)
	sw := newStallWriter(w, stall, time.Time{})
	sw.pace, sw.from, sw.base = b.Pace, start.Add(-a.held), a.sent
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

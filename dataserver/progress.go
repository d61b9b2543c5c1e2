package dataserver

import (
	"math"
	"net/http"
	"time"

	"github.com/aichain/aichain/internal/slots"
)

// ResumeSlack is how far before the end of a reader's last transfer of a
// file a request may ask from and still resume it: what a cut may lose
// between the bytes the server wrote and those the reader kept.
const ResumeSlack = 4 << 20

// fileProgress is what a PaceBook saw sent to one reader of one file.
//
// A reader's rank for a slot is not where it is in the file: a validator
// that once had the file, or most of another, larger one, asked from far
// into it and ranked there for good, so eight held every slot of a
// provider while reading at the pace
// (TestAttackValidatorsWithACopyAskNearItsEndToHoldEverySlot,
// TestAttackValidatorsRankOnAnotherModelToHoldEverySlot). It is the bytes
// the reader was sent of the file lately (recent, decaying by a factor e
// every PaceBook.Recent), counted only for a request that resumes where
// its last transfer stopped, and only the bytes past that (a request from
// elsewhere starts afresh): a position bought before the contention
// fades within a few quanta (TestAttackValidatorsBankAPositionToHoldEverySlot),
// and what keeps a reader's rank is the rate it takes the file at now. A
// reader once sent the whole file that asks from elsewhere than byte 0 or
// where it stopped ranks last (Done: it holds a copy); one that resumes,
// or starts again from byte 0, does not, for the server cannot tell a whole
// transfer from one whose connection broke with the file's end in its
// buffers (TestAttackValidatorWhoseTransferBrokeAtTheEndRanksLast).
//
// Recent bytes alone went round: a validator cut at its quantum showed
// about 39% of what a steady reader at its rate would, and no longer aged,
// so one whose share of the uplink was under about 5 MiB/s lost its slot
// at every cut to validators that had merely waited longer, and with 48
// honest validators at 4 MiB/s none had a copy within the span
// (TestAttackHonestValidatorsOnSlowerLinksRotateWithoutACopy). A reader
// that resumes taking the file at PaceBook.FastRate or more, near enough
// its end to have the rest within FastHorizon at that rate, keeps its turn
// (Rank.Fast). The rate is the lower of its last transfer's and its rate
// over the last FastWindow or so of wall time (swift: each transfer's
// bytes spread over its duration, decaying by e every FastWindow, over the
// same weight of the time since its streak of transfers began, a pause of
// two windows ending a streak), in which the time between its transfers
// counts as nothing taken: a rate shown before the contention lasts one
// transfer, a quantum at most. Its position must be what it was sent: only
// a run of resumed transfers from byte 0 is Fast, a pause of four windows
// in which it did not wait its turn ending a run (waited). The horizon bounds
// what keeping the pace's rate buys: a validator the server cannot tell
// from an honest one on a slow link holds a slot at most FastHorizon past
// a cut, not for as long as a large file lasts at that rate
// (TestAttackClimbersJustOverTheFastRateHoldEverySlot). And the turn is
// kept only before the readers that queued after its run began (Rank.Run,
// the slot of the run's first transfer taken): waves of hostile validators
// that queued before the honest one were each Fast once served
// (TestAttackWavesOnASmallModelHoldEverySlotPastTheSpan).
type fileProgress struct {
	at     int64     // where its last transfer of the file (200 or 206) ended
	prefix int64     // bytes from the file's start it was sent without a gap
	size   int64     // the file's size when it was last sent
	recent float64   // bytes sent lately, decaying over PaceBook.Recent
	swift  float64   // bytes sent lately, decaying over PaceBook.FastWindow
	last   float64   // the rate of its last transfer, bytes per second
	run    time.Time // when its run of transfers began: its first slot taken
	// streak is when its transfers last began after a pause of more than
	// two FastWindows (a wait in the queue): its rate is over the streak.
	streak time.Time
	// runFrom is the byte its run of transfers began from: only a run
	// from byte 0 is Fast, so that its position is what it was sent.
	runFrom int64
	when    time.Time // when recent and swift were brought up to date
	// moved is when a transfer of it last brought bytes past where the
	// one before ended, and waited when a request of it that resumed the
	// file, in a live run, last waited its turn in vain (PaceBook.Waited):
	// a run goes on across a wait in the queue, not across time it took
	// nothing new and did not wait.
	moved, waited time.Time
}

// decayed is v, as of f.when, decayed to now over tau (zero: no decay).
func (f *fileProgress) decayed(v float64, now time.Time, tau time.Duration) float64 {
	if tau <= 0 || !now.After(f.when) {
		return v
	}
	return v * math.Exp(-now.Sub(f.when).Seconds()/tau.Seconds())
}

// fast reports whether, over its last transfer and over the last
// FastWindow or so before that transfer ended, the reader took the file at
// b.FastRate or more, and at a rate that sends it the rest within
// b.FastHorizon; and it asks again within two windows of that end (the
// bytes a cut left in the network's buffers drained, or a broken
// connection made again). A fast transfer before a slow one buys nothing
// past the slow one.
func (f *fileProgress) fast(now time.Time, b *PaceBook) bool {
	window := b.FastWindow
	if b.FastRate <= 0 || window <= 0 || f.run.IsZero() || now.Sub(f.when) > 2*window {
		return false
	}
	if f.runFrom != 0 || f.prefix < f.at {
		// Where it is was not sent to it in this run: a validator asking
		// from near the end, or resuming a start taken before the
		// contention, was Fast at once and held its slot to the end
		// (TestAttackValidatorsAskingFromTheHorizonInWavesHoldEverySlotPastTheSpan,
		// TestAttackValidatorsPositionedInTheHorizonHoldEverySlotPastTheSpan).
		return false
	}
	// The weight of the time from the run's start to its last end, at
	// least one window's worth: a short run shows no rate of its own.
	rate := f.swift / (window.Seconds() * -math.Expm1(-max(f.when.Sub(f.streak).Seconds()/window.Seconds(), 1)))
	left := float64(max(f.size-f.at, 0))
	rate = min(rate, f.last)
	return rate >= float64(b.FastRate) && (b.FastHorizon <= 0 || left <= rate*b.FastHorizon.Seconds())
}

// rank is the rank of a request from byte from (-1: none claimed) as
// PaceBook b counts it: Progress its recent bytes, and Fast by its rate,
// when the request resumes its last transfer; Done when the reader was
// sent the whole file and asks from elsewhere than byte 0; none otherwise.
func (f *fileProgress) rank(from int64, now time.Time, b *PaceBook) slots.Rank {
	switch {
	case f == nil:
		return slots.Rank{}
	case f.resumes(from):
		r := slots.Rank{Progress: max(1, int64(f.decayed(f.recent, now, b.Recent))), Fast: f.fast(now, b)}
		if r.Fast {
			r.Run = f.run
		}
		return r
	case from != 0 && f.size > 0 && f.prefix >= f.size:
		return slots.Rank{Done: true}
	}
	return slots.Rank{}
}

// record books a transfer of the file, size bytes, asked from byte from
// (-1: a Range that claims no start), that ran from start to now, went out
// with status and sent sent bytes of body, for PaceBook b. Only a 200 or a
// 206 sent the file's bytes.
func (f *fileProgress) record(status int, from, sent, size int64, start, now time.Time, b *PaceBook) {
	switch {
	case status == http.StatusOK:
		from = 0
	case status != http.StatusPartialContent || from < 0:
		return
	}
	// A resume counts the bytes past where its last transfer ended: a
	// validator asking again and again from within ResumeSlack of the same
	// place kept the rank of everything it was sent, however little of it
	// was new (found by review of 6b5174b, once the tests' send buffers
	// were scaled: TestAttackValidatorsWithACopyAskNearItsEndToHoldEverySlot).
	// A request that does not resume starts a new streak: what the reader
	// was sent elsewhere in the file is not progress here (a validator
	// that had the file kept its rank asking from its middle, once its
	// first transfer there made the next ones resumes).
	resume := f.resumes(from)
	fresh := sent
	if resume {
		fresh = max(0, from+sent-f.at)
	} else {
		f.recent = 0
	}
	if tau := b.FastWindow; tau > 0 {
		if !resume || f.run.IsZero() || !f.alive(start, tau) {
			f.run, f.runFrom = start, from // a new run: what came before is elsewhere, or has faded
		}
		if f.streak.IsZero() || f.run == start || start.Sub(f.when) > 2*tau {
			f.streak, f.swift = start, 0 // its rate from here: the time it waited is not its link's
		}
		// The transfer's bytes, spread evenly over its duration, decayed
		// to its end.
		spread := float64(fresh)
		f.last = math.Inf(1)
		if d := now.Sub(start).Seconds(); d > 0 {
			spread *= tau.Seconds() / d * -math.Expm1(-d/tau.Seconds())
			f.last = float64(sent) / d
		}
		f.swift = f.decayed(f.swift, now, tau) + spread
	}
	f.recent, f.when = f.decayed(f.recent, now, b.Recent)+float64(fresh), now
	if fresh > 0 {
		f.moved = now
	}
	f.size, f.at = size, from+sent
	if from <= f.prefix && f.at > f.prefix {
		f.prefix = f.at
	}
}

// resumes reports whether a request from byte from resumes the reader's
// last transfer of the file: from where it ended, or up to ResumeSlack
// before.
func (f *fileProgress) resumes(from int64) bool {
	return f != nil && f.at > 0 && from >= 0 && from <= f.at && from >= f.at-ResumeSlack
}

// alive reports whether the reader's run of transfers goes on at t: it
// took new bytes, or waited its turn, within four windows (tau each) before.
// A transfer that brings nothing new keeps no run alive: a validator that
// took the file's start long before, asking for its last byte again every
// 1.5 s, was in its run from byte 0 at the takedown
// (TestAttackValidatorsKeepingABankedRunAliveHoldEverySlotPastTheSpan).
func (f *fileProgress) alive(t time.Time, tau time.Duration) bool {
	return t.Sub(latest(f.moved, f.waited)) <= 4*tau
}

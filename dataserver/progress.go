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
// its last transfer stopped: a position bought before the contention
// fades within a few quanta (TestAttackValidatorsBankAPositionToHoldEverySlot),
// and what keeps a reader's rank is the rate it takes the file at now. A
// reader once sent the whole file that asks from elsewhere than byte 0 or
// where it stopped ranks last (Done: it holds a copy); one that resumes,
// or starts again from byte 0, does not, for the server cannot tell a whole
// transfer from one whose connection broke with the file's end in its
// buffers (TestAttackValidatorWhoseTransferBrokeAtTheEndRanksLast).
type fileProgress struct {
	at     int64     // where its last transfer of the file (200 or 206) ended
	prefix int64     // bytes from the file's start it was sent without a gap
	size   int64     // the file's size when it was last sent
	recent float64   // bytes sent lately, decaying
	when   time.Time // when recent was brought up to date
}

// recentAt is recent decayed to now over tau (zero: no decay).
func (f *fileProgress) recentAt(now time.Time, tau time.Duration) float64 {
	if tau <= 0 || !now.After(f.when) {
		return f.recent
	}
	return f.recent * math.Exp(-now.Sub(f.when).Seconds()/tau.Seconds())
}

// rank is the rank of a request from byte from (-1: none claimed):
// Progress its recent bytes when the request resumes its last transfer;
// Done when the reader was sent the whole file and asks from elsewhere
// than byte 0; none otherwise.
func (f *fileProgress) rank(from int64, now time.Time, tau time.Duration) slots.Rank {
	switch {
	case f == nil:
		return slots.Rank{}
	case f.at > 0 && from >= 0 && from <= f.at && from >= f.at-ResumeSlack:
		return slots.Rank{Progress: max(1, int64(f.recentAt(now, tau)))}
	case from != 0 && f.size > 0 && f.prefix >= f.size:
		return slots.Rank{Done: true}
	}
	return slots.Rank{}
}

// record books a transfer of the file, size bytes, asked from byte from
// (-1: a Range that claims no start), that went out with status and sent
// sent bytes of body. Only a 200 or a 206 sent the file's bytes.
func (f *fileProgress) record(status int, from, sent, size int64, now time.Time, tau time.Duration) {
	switch {
	case status == http.StatusOK:
		from = 0
	case status != http.StatusPartialContent || from < 0:
		return
	}
	f.recent, f.when = f.recentAt(now, tau)+float64(sent), now
	f.size, f.at = size, from+sent
	if from <= f.prefix && f.at > f.prefix {
		f.prefix = f.at
	}
}

package jobexec

import (
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/internal/slots"
)

// WeightsSlots are a weights server's transfer slots: the provider agent
// sending a job's weights to its validators, a sidecar sending them to
// other validators' sidecars. A bonded validator's request takes a slot in
// its turn, and the stream keeps the validator's pace across its
// transfers (dataserver.PaceBook). While any validator waits, a transfer
// that has run its quantum (two Graces) is cut, and the validator asks
// for the rest.
//
// The validators that wait are queued (slots.Queue), one place each, and a
// freed slot goes to the first by rank, not to whichever asks first:
//   - a validator behind the pace, or holding a copy (sent the whole file
//     and asking from neither byte 0 nor where it stopped), after every
//     validator that is not;
//   - then one holding fewer slots;
//   - then one asking for a file fewer slots send: validators reading one
//     model cannot take every slot from those waiting for another
//     (TestAttackValidatorsRankOnAnotherModelToHoldEverySlot);
//   - then one resuming at 1.5 × the pace or more, near enough the end to
//     have the rest within three quanta at that rate, in a run of
//     transfers from byte 0 (slots.Rank.Fast; dataserver.fileProgress): a
//     validator on a slower link keeps its turn until it has the file,
//     where, ranked by its bytes, it lost its slot at every cut to those
//     that had merely waited longer
//     (TestAttackHonestValidatorsOnSlowerLinksRotateWithoutACopy), and a
//     hostile one reading at that rate holds a slot three quanta past a
//     cut at most (TestAttackClimbersJustOverTheFastRateHoldEverySlot),
//     from a position it was sent in the run
//     (TestAttackValidatorsAskingFromTheHorizonInWavesHoldEverySlotPastTheSpan,
//     TestAttackValidatorsPositionedInTheHorizonHoldEverySlotPastTheSpan),
//     and only before the validators that queued after its run began: a
//     wave of hostile validators that waited before the honest one, Fast
//     once served, held every slot of a small model until it had the
//     file, wave after wave
//     (TestAttackWavesOnASmallModelHoldEverySlotPastTheSpan);
//   - then the one taking the file fastest: the bytes the server sent it of
//     the file lately (decaying by e every quantum), for a request that
//     resumes where its last transfer stopped (dataserver.PaceBook.Rank):
//     the uplink completes copies, which the validators' sidecars then
//     share, instead of advancing every validator a little
//     (TestAttackValidatorsWaitingTogetherGetNoWholeCopyWithinTheSpan), and
//     no position in a file held before counts for long
//     (TestAttackValidatorsWithACopyAskNearItsEndToHoldEverySlot,
//     TestAttackValidatorsBankAPositionToHoldEverySlot), and a transfer
//     starts with at most a quantum of credit on the pace, so bytes taken
//     fast before buy no time to hold a slot without reading;
//   - a validator counting twice the pace's rate for each second it has
//     waited where that is more than its bytes, so that it passes the
//     validators whose progress grows only at the pace
//     (TestAttackPaceKeepersClimbingTheFileStarveANewcomer), and one whose
//     transfer broke after a little passes those that asked after it
//     (TestAttackValidatorWhoseTransferBrokeAtTheEndRanksLast);
//   - then the one that queued first.
//
// A validator answered busy, or cut for others, keeps its claim to a
// freed slot for WeightsQueueClaim, the time it takes to ask again: a
// transfer cut at its quantum is resumed at once by the validator that
// ranks first, not lost to one with less. Hostile validators asking back
// to back took every freed slot from honest ones that asked again when
// their Retry-After said.
type WeightsSlots struct {
	queue slots.Queue
	book  *dataserver.PaceBook
	// Hold is how long a request waits in the server for its turn before
	// it is answered busy (its place kept for WeightsQueueKeep).
	Hold time.Duration
}

// WeightsQueueKeep is how long a validator answered busy keeps its place
// in a weights server's queue for it to ask again: two Graces, past a
// sidecar's wait between attempts (its RetryBackoff or the Retry-After,
// WeightsBusyRetry) and between polls.
const WeightsQueueKeep = 2 * WeightsGrace

// WeightsQueueClaim is how long a validator answered busy, or whose
// transfer was cut for others, still counts as waiting: the time it takes
// to ask again after its Retry-After (WeightsBusyRetry), or at once after
// a cut.
const WeightsQueueClaim = 2 * time.Second

// WeightsBusyRetry is the Retry-After of a busy answer: its place is kept,
// and it is served only while it asks.
const WeightsBusyRetry = time.Second

// weightsQueueKeys bounds the validators queued for a weights server's
// slots; more validators than a chain bonds.
const weightsQueueKeys = 512

// NewWeightsSlots returns limit slots, perReader for one validator, whose
// transfers keep pace, each validator waiting up to hold for its turn.
func NewWeightsSlots(limit, perReader int, pace dataserver.Pace, hold time.Duration) *WeightsSlots {
	s := &WeightsSlots{
		queue: slots.Queue{Limit: limit, PerKey: perReader, MaxKeys: weightsQueueKeys, Keep: WeightsQueueKeep, Claim: WeightsQueueClaim},
		Hold:  hold,
	}
	quantum := 2 * pace.Grace
	s.queue.Age = 2 * pace.Rate
	s.book = &dataserver.PaceBook{Pace: pace, Memory: WeightsPaceMemory, Quantum: quantum,
		Recent: quantum, MaxCredit: quantum, FastRate: 3 * pace.Rate / 2, FastWindow: quantum / 2, FastHorizon: 3 * quantum,
		Contended: func() bool { return s.queue.Waiting() > 0 }}
	return s
}

// SlotRefusal is a weights request that did not get a slot: Behind (429)
// when the validator fell behind the pace with another transfer under way,
// busy (503) otherwise. RetryAfter is when to ask again.
type SlotRefusal struct {
	Behind     bool
	RetryAfter time.Duration
}

func (e *SlotRefusal) Error() string {
	if e.Behind {
		return "this validator's weights transfers fell behind the pace"
	}
	return "every weights transfer slot is taken; this validator keeps its place in the queue while it asks again"
}

// Status is the HTTP status of the refusal, and it sets w's Retry-After.
func (e *SlotRefusal) Status(w http.ResponseWriter) int {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int((e.RetryAfter+time.Second-1)/time.Second))))
	if e.Behind {
		return http.StatusTooManyRequests
	}
	return http.StatusServiceUnavailable
}

// Take takes a slot for reader to send file as r asks (its Range), in
// reader's turn, waiting for it up to Hold or until r's context ends (the
// write deadline of w's connection pushed past the wait). A request that
// gets no slot returns a *SlotRefusal; the caller releases a slot taken.
func (s *WeightsSlots) Take(w http.ResponseWriter, r *http.Request, reader, file string) (*WeightsSlot, error) {
	// One file, one name: a sha256 spelled in upper case was a group of its
	// own, which ranked before every honest validator's
	// (TestAttackUpperCasedNameTakesAFreedSlotBeforeALongerWaitingValidator).
	file = strings.ToLower(file)
	from := rangeFrom(r)
	rank, wait, err := s.book.Rank(reader, file, from)
	if errors.Is(err, dataserver.ErrBehindPace) {
		return nil, &SlotRefusal{Behind: true, RetryAfter: wait}
	}
	if err != nil {
		return nil, err
	}
	if s.Hold > 0 {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.Hold + 5*time.Second))
	}
	taken, ok := s.queue.TakeAt(r.Context(), reader, file, rank, s.Hold)
	if !ok {
		s.book.Waited(reader, file, from)
		return nil, &SlotRefusal{RetryAfter: WeightsBusyRetry}
	}
	return &WeightsSlot{s: s, reader: reader, file: file, from: from, taken: taken}, nil
}

// WeightsSlot is a slot a validator took to be sent a weights file.
type WeightsSlot struct {
	s            *WeightsSlots
	reader, file string
	from         int64
	taken        time.Time // when the slot was taken, in the queue's order
	yielded      bool
}

// Serve answers r with f, the weights file OpenCachedWeights opened,
// ranges allowed (a cut transfer is asked again for the rest). The
// transfer runs while the reader keeps the pace of its account across all
// its transfers; one that takes nothing for stall, falls behind, or runs
// its quantum while others wait is dropped (dataserver.PaceBook.Guard).
func (t *WeightsSlot) Serve(w http.ResponseWriter, r *http.Request, f *os.File, stall time.Duration) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	w, done := t.s.book.Guard(w, t.taken, stall, t.reader, t.file, t.from, st.Size())
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", st.ModTime(), f)
	t.yielded = done()
	return nil
}

// Release frees the slot. One whose transfer was cut for others keeps the
// validator's place at its rank for the time it takes to ask for the
// rest: a freed slot goes to it before a validator with less of the file.
func (t *WeightsSlot) Release() {
	if !t.yielded {
		t.s.queue.Release(t.reader, t.file)
		return
	}
	rank, _, err := t.s.book.Rank(t.reader, t.file, dataserver.ResumeFrom)
	if err != nil {
		rank = slots.Rank{Behind: true}
	}
	t.s.queue.Yield(t.reader, t.file, rank)
}

// InFlight is the number of slots taken.
func (s *WeightsSlots) InFlight() int { return s.queue.InFlight() }

// Queued is the number of validators with a place in the queue.
func (s *WeightsSlots) Queued() int { return s.queue.Queued() }

// rangeFrom is the first byte r asks for: 0 without a Range, the start of
// a single "bytes=N-" or "bytes=N-M" range, and -1 (no progress claimed)
// for any other, or one with If-Range.
func rangeFrom(r *http.Request) int64 {
	h := r.Header.Get("Range")
	if h == "" {
		return 0
	}
	if r.Header.Get("If-Range") != "" {
		return -1 // may be answered whole, from byte 0
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return -1
	}
	first, _, ok := strings.Cut(spec, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(first), 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

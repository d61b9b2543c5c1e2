package provider

import (
	"testing"
	"time"
)

// The keep mark follows the oldest job the agent still holds: files used
// since a sizingLead before its bid stay in the disk cache
// (jobexec.TestAttackManyModelsFillTheDisk), ended jobs keep nothing, a
// record from before BidAt keeps everything, and with no live job nothing
// is kept.
func TestKeepCacheFollowsTheOldestLiveJob(t *testing.T) {
	a := testAgent(t)
	var got []time.Time
	a.cfg.KeepCacheSince = func(t time.Time) { got = append(got, t) }
	now := time.Now().Unix()
	a.recs[1] = &Record{ID: 1, Phase: PhaseEnded, BidAt: now - 7200}
	a.recs[2] = &Record{ID: 2, Phase: PhaseSubmitted, BidAt: now - 600}
	a.recs[3] = &Record{ID: 3, Phase: PhaseBid, BidAt: now - 60}
	a.keepCache()
	if want := time.Unix(now-600, 0).Add(-sizingLead); len(got) != 1 || !got[0].Equal(want) {
		t.Fatalf("keep mark %v, want %v (the submitted job's bid, less %v)", got, want, sizingLead)
	}
	a.recs[4] = &Record{ID: 4, Phase: PhaseWon} // stored before BidAt existed
	a.keepCache()
	if !got[1].Equal(time.Unix(1, 0)) {
		t.Fatalf("with a record of unknown bid time the mark is %v, want the epoch", got[1])
	}
	for id := range a.recs {
		delete(a.recs, id)
	}
	a.keepCache()
	if !got[2].IsZero() {
		t.Fatalf("with no job held the mark is %v, want none", got[2])
	}
}

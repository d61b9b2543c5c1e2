package dataserver

import (
	"testing"
	"time"
)

// TestRefusalsCoverOnlyRequestsSignedNoLater: a refusal covers the requests
// for its access signed at or before the latest refused one (the signer's
// own clock, whatever the server's), none of another access, and none once
// every request it covers is stale; past its bound the oldest is dropped.
func TestRefusalsCoverOnlyRequestsSignedNoLater(t *testing.T) {
	now := time.Unix(1_767_225_600, 0)
	r := newRefusals(2, 2, time.Minute)
	a, b, c := accessKey{id: 1, addr: "a", version: 1}, accessKey{id: 1, addr: "b", version: 1}, accessKey{id: 2, addr: "a"}
	r.record(a, now.Unix()-3, now) // a client whose clock is 3 s behind
	switch {
	case !r.covers(a, now.Unix()-3, now):
		t.Fatal("the refused request itself is not covered")
	case r.covers(a, now.Unix()-2, now):
		t.Fatal("a request the client signed after the refused one is covered")
	case r.covers(b, now.Unix()-3, now) || r.covers(c, now.Unix()-3, now):
		t.Fatal("a refusal covers another access")
	}
	r.record(a, now.Unix()-5, now) // an older request refused later: the mark stays
	if !r.covers(a, now.Unix()-3, now) {
		t.Fatal("an older refusal lowered the mark")
	}
	if r.covers(a, now.Unix()-3, now.Add(time.Minute+time.Second)) || r.len() != 0 {
		t.Fatal("a refusal outlived its requests' window")
	}
	r.record(a, now.Unix(), now)
	r.record(b, now.Unix(), now.Add(time.Second))
	r.record(c, now.Unix(), now.Add(2*time.Second))
	if r.len() != 2 || r.covers(a, now.Unix(), now.Add(2*time.Second)) || !r.covers(b, now.Unix(), now.Add(2*time.Second)) {
		t.Fatal("past its bound, the oldest refusal is not the one dropped")
	}
}

// TestRefusalsPerSignerPushOutOnlyTheirOwn: past its cap a signer's new
// refusal pushes out its own oldest, never another signer's; refreshing one
// of its refusals makes it its newest.
func TestRefusalsPerSignerPushOutOnlyTheirOwn(t *testing.T) {
	now := time.Unix(1_767_225_600, 0)
	r := newRefusals(10, 2, time.Minute)
	other := accessKey{id: 1, addr: "honest", version: 2}
	r.record(other, now.Unix(), now)
	k := func(id uint64) accessKey { return accessKey{id: id, addr: "flusher"} }
	r.record(k(1), now.Unix(), now)
	r.record(k(2), now.Unix(), now)
	r.record(k(1), now.Unix(), now) // k(1) refreshed: k(2) is now the flusher's oldest
	r.record(k(3), now.Unix(), now)
	switch {
	case r.len() != 3:
		t.Fatalf("%d refusals remembered, want 3", r.len())
	case !r.covers(other, now.Unix(), now):
		t.Fatal("another signer's refusals pushed out the honest one's")
	case r.covers(k(2), now.Unix(), now) || !r.covers(k(1), now.Unix(), now) || !r.covers(k(3), now.Unix(), now):
		t.Fatal("past its cap the signer's oldest refusal is not the one dropped")
	}
	if r.covers(k(1), now.Unix(), now.Add(2*time.Minute)) || r.len() != 0 || len(r.bySigner) != 0 {
		t.Fatalf("expired refusals left %d entries and %d signers' lists", r.len(), len(r.bySigner))
	}
}

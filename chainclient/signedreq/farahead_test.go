package signedreq

import (
	"errors"
	"testing"
	"time"
)

// A request refused as signed more than FutureHorizon ahead leaves no
// nonce but a span: its copy, and any request of the address signed within
// the span, is refused once fresh; a request of the address signed before
// the span (its clock set right) is served; another address is untouched;
// the span is forgotten once stale.
func TestFarAheadSpan(t *testing.T) {
	s := &NonceStore{Window: time.Minute}
	now := time.Unix(1_000_000, 0)
	at := func(addr string, ts time.Time, nonce string) *Verified {
		return &Verified{Request: Request{Address: addr, Timestamp: ts.Unix(), Nonce: nonce}, SignedAt: ts}
	}
	ahead := now.Add(FutureHorizon + time.Minute)
	s.RecordFuture(at("a", ahead, "n1"), now, false)
	s.RecordFuture(at("a", ahead.Add(30*time.Second), "n2"), now.Add(30*time.Second), false)
	if s.Len() != 0 {
		t.Fatalf("%d nonces held for requests signed past the horizon; want none (the span)", s.Len())
	}
	later := ahead.Add(10 * time.Second)
	for _, v := range []*Verified{at("a", ahead, "n1"), at("a", later, "n3"), at("a", ahead.Add(30*time.Second), "n2")} {
		if err := s.Use(v, later); !errors.Is(err, ErrRefusedEarlier) {
			t.Fatalf("request of a signed at %d, within the span: %v, want ErrRefusedEarlier", v.Timestamp, err)
		}
	}
	if err := s.Use(at("a", ahead.Add(-time.Second), "n4"), later); err != nil {
		t.Fatalf("request of a signed before the span: %v", err)
	}
	if err := s.Use(at("b", later, "n1"), later); err != nil {
		t.Fatalf("another address's request: %v", err)
	}
	stale := ahead.Add(30*time.Second + 4*time.Minute)
	if err := s.Use(at("a", stale, "n5"), stale); err != nil {
		t.Fatalf("request after the span: %v", err)
	}
	if _, held := s.far["a"]; held {
		t.Fatal("the span is still held once every request it covers is stale")
	}
}

package provider

import (
	"net/http"
	"testing"
)

// TestAttackRequestersFillTheNonceStoreAgainstValidators: the chunk server
// holds at most MaxTotal fresh nonces (2,000,000) and each account up to
// PerAddress (20,000) a window. The requesters of the jobs a provider holds
// filled it, and every later request got 429, a bonded validator's sidecar
// fetching the chunks it samples too: the provider's honest result went
// unverified, its job inconclusive or judged withheld. Now a validator is
// refused only past its own per-account cap; the requester still gets 429.
// (The caps are scaled down here: 2 per account, 2 in all.)
func TestAttackRequestersFillTheNonceStoreAgainstValidators(t *testing.T) {
	s := newServed(t, 9, gemmChunks(), Config{}, Record{})
	s.a.auth.nonces.PerAddress, s.a.auth.nonces.MaxTotal = 2, 2
	for range 2 {
		if status, body := s.get(t, s.requester, s.url, "/v1/jobs/9/chunks/0"); status != http.StatusOK {
			t.Fatalf("the requester's read under the caps: %d %s", status, body)
		}
	}
	if status, body := s.get(t, s.requester, s.url, "/v1/jobs/9/chunks/1"); status != http.StatusTooManyRequests {
		t.Fatalf("the requester past the caps: %d %s, want 429", status, body)
	}
	for i := range 2 {
		if status, body := s.get(t, s.validator, s.url, "/v1/jobs/9/chunks/2"); status != http.StatusOK {
			t.Fatalf("the validator's read %d with the store full: %d %s", i+1, status, body)
		}
	}
	if status, body := s.get(t, s.validator, s.url, "/v1/jobs/9/chunks/2"); status != http.StatusTooManyRequests {
		t.Fatalf("the validator past its own cap: %d %s, want 429", status, body)
	}
}

package signedreq

import (
	"errors"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
)

// TestAttackFilledNonceStoreLocksOutValidators: the store holds at most
// MaxTotal fresh nonces. Accounts anyone can open (the holders of a free
// licence on a dataset server) fill it, each up to its PerAddress cap, and
// every later request got 429 — a bonded validator's sidecar reading a
// job's data to verify it, or the job's winner reading its input, too: the
// job went unverified or its provider missed its window. A reserved signer
// (UseReserved) is refused only past its own cap; others still get 429.
func TestAttackFilledNonceStoreLocksOutValidators(t *testing.T) {
	now := time.Unix(1767225600, 0)
	v := &Verifier{Audiences: []string{"http://a"}, Prefix: "aic", Now: func() time.Time { return now }}
	store := &NonceStore{PerAddress: 3, MaxTotal: 6}
	verified := func(s Signer) *Verified {
		t.Helper()
		got, err := v.Verify(newSigned(t, s, "http://a", "/x", now))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	signer := func() Signer { return PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"} }
	for range 2 { // two sybils, each at its cap: the store is full
		s := signer()
		for range 3 {
			if err := store.Use(verified(s), now); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := store.Use(verified(signer()), now); !errors.Is(err, ErrTooMany) {
		t.Fatalf("a third ordinary account with the store full: %v, want %v", err, ErrTooMany)
	}
	validator := signer()
	for i := range 3 {
		if err := store.UseReserved(verified(validator), now); err != nil {
			t.Fatalf("the validator's request %d with the store full: %v", i+1, err)
		}
	}
	if err := store.UseReserved(verified(validator), now); !errors.Is(err, ErrTooMany) {
		t.Fatalf("the validator past its own cap: %v, want %v", err, ErrTooMany)
	}
	if n := store.Len(); n != 9 {
		t.Fatalf("the store holds %d nonces, want 9 (reserved ones counted)", n)
	}
}

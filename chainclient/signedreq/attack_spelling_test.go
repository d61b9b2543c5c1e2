package signedreq

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
)

// upperSigner signs as its key's account, spelling the address in upper
// case: bech32 allows an all-upper-case string, and DecodeAndConvert reads
// it as the same account (x/datamarket's HasAccess compares addresses "in
// their canonical form, whatever their spelling", so the chain grants it the
// same access).
type upperSigner struct{ PrivKeySigner }

func (s upperSigner) Address() string { return strings.ToUpper(s.PrivKeySigner.Address()) }

// TestAttackAddressSpellingIsASecondIdentity: Verify accepts the upper-case
// spelling of the signer's address and returns it as Verified.Address, so
// every per-account structure keyed by that string counts one account
// twice: the NonceStore's PerAddress cap (one account gets 2 × 20,000
// requests a window, and half the licences fill MaxTotal and lock every
// other buyer out with 429), and in the dataset server the "one look-up in
// flight per account" rule, the access cache and the pool an account is
// looked up in. Verify should refuse a non-canonical spelling, or return the
// canonical one: it now returns the canonical one.
func TestAttackAddressSpellingIsASecondIdentity(t *testing.T) {
	now := time.Unix(1767225600, 0)
	lower := PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}
	upper := upperSigner{lower}
	v := &Verifier{Audiences: []string{"http://a"}, Prefix: "aic", Now: func() time.Time { return now }}
	store := &NonceStore{PerAddress: 1}

	first, err := v.Verify(newSigned(t, lower, "http://a", "/x", now))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Use(first, now); err != nil {
		t.Fatal(err)
	}
	// The same account's second request, with the cap of one reached.
	second, err := v.Verify(newSigned(t, upper, "http://a", "/x", now))
	if err != nil {
		return // refused: the spelling is not a second identity
	}
	if second.Address != lower.Address() {
		t.Errorf("Verify accepted %q as the signer, not the canonical %q: one key, two accounts", second.Address, lower.Address())
	}
	if err := store.Use(second, now); !errors.Is(err, ErrTooMany) {
		t.Errorf("the account's second request past its cap of 1, spelled in upper case: %v, want %v", err, ErrTooMany)
	}
}

package signedreq

import (
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
)

// TestAttackFillStoreToLockOutReservedSignersOwnRequests: sybils with access
// (free-licence holders) fill the store's MaxTotal. A job's winner, reserved
// for its job's dataset (UseReserved) but an ordinary licensee of another
// dataset on the same server, sends both requests in the same second: the
// ordinary one is refused as too many (fine), but the mark it leaves
// (refusedUpTo) then refuses the winner's reserved request for its job's
// input with ErrRefusedEarlier, although "only its own PerAddress cap
// applies" to a reserved signer and it is far below it. The sybils thus
// lock the reserved signer out of a request the store promised to serve.
func TestAttackFillStoreToLockOutReservedSignersOwnRequests(t *testing.T) {
	now := time.Unix(1767225600, 0)
	v := &Verifier{Audiences: []string{"http://a"}, Prefix: "aic", Now: func() time.Time { return now }}
	store := &NonceStore{PerAddress: 3, MaxTotal: 6}
	verified := func(s Signer, target string) *Verified {
		t.Helper()
		got, err := v.Verify(newSigned(t, s, "http://a", target, now))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	signer := func() Signer { return PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"} }
	for range 2 { // the sybils fill the store
		s := signer()
		for range 3 {
			if err := store.Use(verified(s, "/x"), now); err != nil {
				t.Fatal(err)
			}
		}
	}
	winner := signer()
	// Its ordinary request (another dataset it licenses): 429, as before.
	_ = store.Use(verified(winner, "/datasets/7"), now)
	// Its reserved request for its job's input, signed the same second.
	if err := store.UseReserved(verified(winner, "/datasets/3"), now); err != nil {
		t.Fatalf("the winner's reserved request (0 of its 3 per-address nonces used): %v, want it served", err)
	}
}

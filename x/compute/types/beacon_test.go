package types_test

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/sign/bls"

	"github.com/aichain/aichain/x/compute/types"
)

type testKey struct {
	sk  *bls.PrivateKey[types.BeaconGroup]
	pub []byte
}

func testKeys(t testing.TB, n int) []testKey {
	t.Helper()
	out := make([]testKey, n)
	for i := range out {
		seed := sha256.Sum256([]byte(fmt.Sprint("key", i)))
		sk, err := bls.KeyGen[types.BeaconGroup](seed[:], nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := sk.PublicKey().MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = testKey{sk, pub}
	}
	return out
}

func signAll(keys []testKey, msg []byte) (pubs, sigs [][]byte) {
	for _, k := range keys {
		pubs = append(pubs, k.pub)
		sigs = append(sigs, bls.Sign(k.sk, msg))
	}
	return pubs, sigs
}

func allTrue(ok []bool) bool {
	for _, v := range ok {
		if !v {
			return false
		}
	}
	return true
}

// TestVerifyBeaconShares: valid shares pass in one batch; a bad one among
// them is found and the rest still pass.
func TestVerifyBeaconShares(t *testing.T) {
	keys := testKeys(t, 7)
	msg := types.BeaconShareMessage("c", nil, 9)
	pubs, sigs := signAll(keys, msg)
	if ok := types.VerifyBeaconShares(msg, pubs, sigs); !allTrue(ok) {
		t.Fatalf("valid shares refused: %v", ok)
	}
	sigs[4] = bls.Sign(keys[4].sk, types.BeaconShareMessage("c", nil, 10))
	ok := types.VerifyBeaconShares(msg, pubs, sigs)
	for i, v := range ok {
		if v != (i != 4) {
			t.Fatalf("share %d: %t", i, v)
		}
	}
}

// TestAttackCancellingShares: two colluding validators publish σ₁+δ and
// σ₂−δ for any δ they like: each is invalid, but their plain sum equals
// σ₁+σ₂, so a check of the plain aggregate would record both and let them
// steer the beacon through δ. The batch check weighs each share by a
// coefficient hashed from the whole batch, and refuses both.
func TestAttackCancellingShares(t *testing.T) {
	keys := testKeys(t, 4)
	msg := types.BeaconShareMessage("c", nil, 3)
	pubs, sigs := signAll(keys, msg)
	var delta, s0, s1 bls12381.G1
	delta.Hash([]byte("attacker's choice"), []byte("dst"))
	if err := s0.SetBytes(sigs[0]); err != nil {
		t.Fatal(err)
	}
	if err := s1.SetBytes(sigs[1]); err != nil {
		t.Fatal(err)
	}
	s0.Add(&s0, &delta)
	delta.Neg()
	s1.Add(&s1, &delta)
	sigs[0], sigs[1] = s0.BytesCompressed(), s1.BytesCompressed()
	// The plain aggregate still verifies: the attack is real.
	agg, err := bls.Aggregate(types.BeaconGroup{}, sigs)
	if err != nil {
		t.Fatal(err)
	}
	var sum, pk bls12381.G2
	sum.SetIdentity()
	for _, p := range pubs {
		if err := pk.SetBytes(p); err != nil {
			t.Fatal(err)
		}
		sum.Add(&sum, &pk)
	}
	aggPub := new(bls.PublicKey[types.BeaconGroup])
	if err := aggPub.UnmarshalBinary(sum.BytesCompressed()); err != nil {
		t.Fatal(err)
	}
	if !bls.Verify(aggPub, msg, agg) {
		t.Fatal("test setup: the plain aggregate should verify")
	}
	ok := types.VerifyBeaconShares(msg, pubs, sigs)
	if ok[0] || ok[1] || !ok[2] || !ok[3] {
		t.Fatalf("cancelling shares: %v, want [false false true true]", ok)
	}
}

// TestAttackShareEncodingMalleability: the uncompressed encoding of a valid
// share is the same signature in other bytes; accepted, it would give its
// signer a second beacon input to choose from. Only the canonical 48-byte
// compressed form passes.
func TestAttackShareEncodingMalleability(t *testing.T) {
	keys := testKeys(t, 1)
	msg := types.BeaconShareMessage("c", nil, 3)
	pubs, sigs := signAll(keys, msg)
	var p bls12381.G1
	if err := p.SetBytes(sigs[0]); err != nil {
		t.Fatal(err)
	}
	if ok := types.VerifyBeaconShares(msg, pubs, [][]byte{p.Bytes()}); ok[0] {
		t.Fatal("uncompressed encoding accepted")
	}
	if ok := types.VerifyBeaconShares(msg, pubs, sigs); !ok[0] {
		t.Fatal("canonical share refused")
	}
}

// BenchmarkVerifyBeaconShares: one height's shares of n validators, all
// valid (one batch: two pairings plus n scalar multiplications in G1 and
// G2), against n separate verifications.
func BenchmarkVerifyBeaconShares(b *testing.B) {
	for _, n := range []int{4, 32, 100} {
		keys := testKeys(b, n)
		msg := types.BeaconShareMessage("c", nil, 3)
		pubs, sigs := signAll(keys, msg)
		b.Run(fmt.Sprintf("batch-%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if !allTrue(types.VerifyBeaconShares(msg, pubs, sigs)) {
					b.Fatal("refused")
				}
			}
		})
		// A third of the shares another height's (valid points, not this
		// height's signatures): each multiplied once, then halves checked
		// on sums; compare with batch-n and one-by-one-n in the same run.
		bad := append([][]byte(nil), sigs...)
		other := types.BeaconShareMessage("c", nil, 4)
		for j := 0; j < n; j += 3 {
			bad[j] = bls.Sign(keys[j].sk, other)
		}
		b.Run(fmt.Sprintf("third-invalid-%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if allTrue(types.VerifyBeaconShares(msg, pubs, bad)) {
					b.Fatal("accepted")
				}
			}
		})
		b.Run(fmt.Sprintf("one-by-one-%d", n), func(b *testing.B) {
			pks := make([]*bls.PublicKey[types.BeaconGroup], n)
			for i := range pks {
				pks[i], _ = types.ParseBeaconPubKey(pubs[i])
			}
			for i := 0; i < b.N; i++ {
				for j := range sigs {
					if !bls.Verify(pks[j], msg, sigs[j]) {
						b.Fatal("refused")
					}
				}
			}
		})
	}
}

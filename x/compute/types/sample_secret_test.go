package types_test

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestRequesterSecretBlindsTheWithholdingValidator measures the sampling
// rate of results whose provider has a friend with a beacon key: the friend
// sees the honest shares of the draw's two heights first and reveals or
// withholds its own (4 beacon pairs), choosing one that leaves the result
// unsampled when there is one. Over the beacons alone that keeps a 20 %
// floor's result sampled about 0.2⁴ = 0.16 % of the time; with the
// requester's secret, revealed after the friend chose, the friend's pick is
// one blind draw, and the rate is the floor's.
func TestRequesterSecretBlindsTheWithholdingValidator(t *testing.T) {
	const jobs, rate = 20_000, 2000
	bytesOf := func(parts ...uint64) []byte {
		var b []byte
		for _, p := range parts {
			b = binary.BigEndian.AppendUint64(b, p)
		}
		h := sha256.Sum256(b)
		return h[:]
	}
	plain, mixed := 0, 0
	for id := uint64(1); id <= jobs; id++ {
		// beacon[b][withheld]: the beacon of the draw's height b with the
		// friend's share in (0) or out (1).
		var beacon [2][2][]byte
		for b := range beacon {
			for o := range beacon[b] {
				beacon[b][o] = bytesOf(id, uint64(b), uint64(o))
			}
		}
		seedOf := func(out int) [32]byte {
			return types.BeaconSeed(id, [][]byte{beacon[0][out&1], beacon[1][out>>1&1]})
		}
		pick := 0
		for out := 0; out < 4; out++ {
			if !types.SampleSelected(seedOf(out), rate) {
				pick = out
				break
			}
		}
		secret := bytesOf(id, 7, 7) // fixed at the job's creation, unknown to the friend
		if types.SampleSelected(seedOf(pick), rate) {
			plain++
		}
		if types.SampleSelected(types.SecretSeed(seedOf(pick), secret), rate) {
			mixed++
		}
	}
	t.Logf("sampled with the friend's choice: %d of %d over the beacons alone, %d with the requester's secret", plain, jobs, mixed)
	if plain*100 > jobs {
		t.Fatalf("over the beacons alone the friend's choice left %d of %d results sampled: the set-up does not reproduce the bias", plain, jobs)
	}
	// 20 % ± 2 points: seven standard deviations at 20,000 draws.
	if mixed*100 < jobs*18 || mixed*100 > jobs*22 {
		t.Fatalf("with the requester's secret %d of %d results were sampled, want about 20 %%", mixed, jobs)
	}
}

// TestSampleCommitmentOpensOnlyItsSecret: the commitment opens with its
// secret alone, of the secret's size.
func TestSampleCommitmentOpensOnlyItsSecret(t *testing.T) {
	secret := sha256.Sum256([]byte("s"))
	c := types.SampleCommitment(secret[:])
	if !types.OpensSampleCommitment(c, secret[:]) {
		t.Fatal("the secret does not open its commitment")
	}
	other := secret
	other[0] ^= 1
	for name, s := range map[string][]byte{"another secret": other[:], "a prefix": secret[:31], "nothing": nil} {
		if types.OpensSampleCommitment(c, s) {
			t.Errorf("%s opens the commitment", name)
		}
	}
	var seed [32]byte
	if types.SecretSeed(seed, nil) != seed || types.SecretSeed(seed, secret[:]) == seed {
		t.Fatal("SecretSeed: the seed itself without a secret, another with one")
	}
}

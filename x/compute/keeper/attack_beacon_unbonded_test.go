package keeper_test

import (
	"errors"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackUnbondedValidatorKeyDelaysEveryDraw. Anyone can create a
// validator with a minimal self-delegation that never enters the bonded
// set (here: created, Unbonded, zero power) and register a beacon key for
// it. BeaconKeyCount counts it, so beaconActive turns on for the whole
// chain although no validator that signs a round has a key: every draw
// waits beacon_window_blocks + 2 blocks (decide_height h + 2 + W instead of
// h + 1) for beacons that can never be available (no share of the round's
// power), and then falls back to the header hash of a later block anyway.
// Honest outcome: a key that signs no round changes nothing; the draw of a
// result submitted at h runs at h + 1, as with no key registered. Now a
// validator outside the set cannot register a key, and draws wait only
// while the keys cover more than 2/3 of the set's power
// (TestBeaconWaitsOnlyForAKeyedSet: keys left by validators that have gone).
func TestAttackUnbondedValidatorKeyDelaysEveryDraw(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)

	// The attacker's validator: created, never bonded.
	pk := ed25519.GenPrivKeyFromSecret([]byte("audit32-M-unbonded")).PubKey()
	valoper := sdk.ValAddress(s.acc(5)).String()
	val, err := stakingtypes.NewValidator(valoper, pk, stakingtypes.Description{Moniker: "cheap"})
	must(t, err)
	must(t, s.ta.StakingKeeper.SetValidator(s.ta.Ctx, val))
	must(t, s.ta.StakingKeeper.SetValidatorByConsAddr(s.ta.Ctx, val))
	if val.IsBonded() {
		t.Fatal("the attacker's validator is bonded")
	}
	sg := signer(t, "audit32-M")
	if err := s.registerBeacon(valoper, sg.PubKey(), sg.ProofOfPossession(apptesting.ChainID, valoper)); !errors.Is(err, types.ErrNotValidator) {
		t.Fatalf("the key of a validator outside the set: %v, want ErrNotValidator", err)
	}
	if n, err := s.k.BeaconKeyCount.Get(s.ta.Ctx); err == nil && n != 0 {
		t.Fatalf("a refused key was counted: %d", n)
	}
	s.next(1)

	req, prov := s.acc(0), s.acc(1)
	id := s.submitted(req, prov)
	h := s.height()
	if j := s.job(id); j.Sample.DecideHeight != h+1 || len(j.Sample.BeaconHeights) != 0 {
		t.Fatalf("draw of a result submitted at %d: decide_height %d, beacon heights %v; want %d and none (no validator of the set has a key)",
			h, j.Sample.DecideHeight, j.Sample.BeaconHeights, h+1)
	}
	s.next(2) // drawn in the block after the submission, VERIFYING from the next
	s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
}

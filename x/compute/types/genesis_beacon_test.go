package types_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cloudflare/circl/sign/bls"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// beaconGenesis is a genesis with two beacon keys (one rotated), a final
// beacon and an open round with a recorded and a refused share.
func beaconGenesis(t *testing.T) *types.GenesisState {
	t.Helper()
	keys := testKeys(t, 3)
	gs := types.DefaultGenesis()
	a, b := bytes.Repeat([]byte{1}, 20), bytes.Repeat([]byte{2}, 20)
	pop := bls.Sign(keys[0].sk, []byte("pop"))
	gs.BeaconKeys = []types.GenesisBeaconKey{
		{ValidatorAddress: sdk.ValAddress(a).String(), Pubkey: keys[0].pub, ProofOfPossession: pop, ConsAddress: a},
		{ValidatorAddress: sdk.ValAddress(b).String(), Pubkey: keys[1].pub, ProofOfPossession: pop, ConsAddress: b, Since: 7, PreviousPubkey: keys[2].pub},
	}
	gs.Beacons = []types.GenesisBeacon{{Height: -3, Beacon: types.Beacon{Value: bytes.Repeat([]byte{9}, 32), SignedPower: 20, TotalPower: 20, Shares: 2}}}
	gs.BeaconRounds = []types.GenesisBeaconRound{{
		Height: -1,
		Round:  types.BeaconRound{TotalPower: 20, KeyedPower: 20, Voters: []types.BeaconVoter{{ConsAddress: a, Power: 10}, {ConsAddress: b, Power: 10}}},
		Shares: []types.GenesisBeaconShare{{ConsAddress: a, Signature: pop}, {ConsAddress: b}},
	}}
	gs.LastRound = &types.GenesisLastRound{Height: -1, Keyed: true}
	return gs
}

// TestGenesisValidateBeaconState: the beacon state an export carries
// validates; each inconsistency is refused with ErrInvalidGenesis.
func TestGenesisValidateBeaconState(t *testing.T) {
	if err := beaconGenesis(t).Validate(); err != nil {
		t.Fatalf("valid beacon state refused: %v", err)
	}
	for name, edit := range map[string]func(gs *types.GenesisState){
		"key not a G2 point": func(gs *types.GenesisState) {
			gs.BeaconKeys[0].Pubkey = bytes.Repeat([]byte{0xff}, types.BeaconPubKeySize)
		},
		"previous key not a point": func(gs *types.GenesisState) { gs.BeaconKeys[1].PreviousPubkey = []byte{1, 2} },
		"previous key is the key":  func(gs *types.GenesisState) { gs.BeaconKeys[1].PreviousPubkey = gs.BeaconKeys[1].Pubkey },
		"key twice":                func(gs *types.GenesisState) { gs.BeaconKeys[1].Pubkey = gs.BeaconKeys[0].Pubkey },
		"consensus address twice":  func(gs *types.GenesisState) { gs.BeaconKeys[1].ConsAddress = gs.BeaconKeys[0].ConsAddress },
		"proof of possession size": func(gs *types.GenesisState) { gs.BeaconKeys[0].ProofOfPossession = nil },
		"beacon height twice":      func(gs *types.GenesisState) { gs.Beacons = append(gs.Beacons, gs.Beacons[0]) },
		"value without the power":  func(gs *types.GenesisState) { gs.Beacons[0].Beacon.SignedPower = 10 },
		"power without the value":  func(gs *types.GenesisState) { gs.Beacons[0].Beacon.Value = nil },
		"signed above the total":   func(gs *types.GenesisState) { gs.Beacons[0].Beacon.SignedPower = 30 },
		"round also final":         func(gs *types.GenesisState) { gs.BeaconRounds[0].Height = -3 },
		"voters out of order":      func(gs *types.GenesisState) { v := gs.BeaconRounds[0].Round.Voters; v[0], v[1] = v[1], v[0] },
		"total power not the sum":  func(gs *types.GenesisState) { gs.BeaconRounds[0].Round.TotalPower = 30 },
		"keyed above the total":    func(gs *types.GenesisState) { gs.BeaconRounds[0].Round.KeyedPower = 21 },
		"share of no voter":        func(gs *types.GenesisState) { gs.BeaconRounds[0].Shares[1].ConsAddress = []byte("x") },
		"share twice": func(gs *types.GenesisState) {
			gs.BeaconRounds[0].Shares[1].ConsAddress = gs.BeaconRounds[0].Shares[0].ConsAddress
		},
		"share size":                 func(gs *types.GenesisState) { gs.BeaconRounds[0].Shares[0].Signature = []byte{1} },
		"more rounds than ever open": func(gs *types.GenesisState) { gs.BeaconRounds = manyRounds(gs.BeaconRounds[0]) },
	} {
		gs := beaconGenesis(t)
		edit(gs)
		if err := gs.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
			t.Errorf("%s: %v, want ErrInvalidGenesis", name, err)
		}
	}
}

func manyRounds(r types.GenesisBeaconRound) []types.GenesisBeaconRound {
	out := make([]types.GenesisBeaconRound, types.MaxBeaconWindowBlocks+2)
	for i := range out {
		out[i] = r
		out[i].Height = int64(i + 1)
	}
	return out
}

package types

import (
	"bytes"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// validateBeacon checks the beacon part of the genesis without state: the
// keys, the final beacons, the open rounds with their shares. The keys' proofs
// of possession are not checked (an export's are bound to the chain-id they
// were made on, and a restart may change it); nor are the recorded shares
// (they were verified when recorded).
func (gs GenesisState) validateBeacon() error {
	if err := validateBeaconKeys(gs.BeaconKeys); err != nil {
		return err
	}
	if n := len(gs.BeaconRestartTag); n != 0 && n != BeaconRestartTagSize {
		return ErrInvalidGenesis.Wrapf("beacon_restart_tag is %d bytes, want %d or none", n, BeaconRestartTagSize)
	}
	final := make(map[int64]bool, len(gs.Beacons))
	for _, b := range gs.Beacons {
		if final[b.Height] {
			return ErrInvalidGenesis.Wrapf("beacon of height %d appears twice", b.Height)
		}
		final[b.Height] = true
		if err := validFinalBeacon(b.Beacon); err != nil {
			return ErrInvalidGenesis.Wrapf("beacon of height %d: %v", b.Height, err)
		}
	}
	if n := len(gs.BeaconRounds); n > MaxBeaconWindowBlocks+1 {
		return ErrInvalidGenesis.Wrapf("%d open beacon rounds, at most %d are ever open", n, MaxBeaconWindowBlocks+1)
	}
	open := make(map[int64]bool, len(gs.BeaconRounds))
	for _, r := range gs.BeaconRounds {
		if open[r.Height] || final[r.Height] {
			return ErrInvalidGenesis.Wrapf("beacon round of height %d appears twice, or is also final", r.Height)
		}
		open[r.Height] = true
		if err := validBeaconRound(r); err != nil {
			return ErrInvalidGenesis.Wrapf("beacon round of height %d: %v", r.Height, err)
		}
	}
	return nil
}

// validateBeaconKeys checks genesis beacon keys without state: a valid key
// encoding (and previous key, if any), a proof of possession of the right
// size, one key per validator (operator and consensus address), each key
// once.
func validateBeaconKeys(keys []GenesisBeaconKey) error {
	vals := make(map[string]bool, len(keys))
	cons := make(map[string]bool, len(keys))
	pubs := make(map[string]bool, len(keys))
	for i, k := range keys {
		if err := validGenesisBeaconKey(k); err != nil {
			return ErrInvalidGenesis.Wrapf("beacon_keys[%d]: %v", i, err)
		}
		if vals[k.ValidatorAddress] || pubs[string(k.Pubkey)] || (len(k.ConsAddress) > 0 && cons[string(k.ConsAddress)]) {
			return ErrInvalidGenesis.Wrapf("beacon_keys[%d]: validator or key repeated", i)
		}
		vals[k.ValidatorAddress], pubs[string(k.Pubkey)] = true, true
		if len(k.ConsAddress) > 0 {
			cons[string(k.ConsAddress)] = true
		}
	}
	return nil
}

func validGenesisBeaconKey(k GenesisBeaconKey) error {
	m := MsgRegisterBeaconKey{ValidatorAddress: k.ValidatorAddress, Pubkey: k.Pubkey, ProofOfPossession: k.ProofOfPossession}
	if err := m.ValidateBasic(); err != nil {
		return err
	}
	if _, err := ParseBeaconPubKey(k.Pubkey); err != nil {
		return err
	}
	if len(k.ConsAddress) > 0 {
		if err := sdk.VerifyAddressFormat(k.ConsAddress); err != nil {
			return ErrInvalidAddress.Wrapf("cons_address: %v", err)
		}
	}
	if len(k.PreviousPubkey) > 0 {
		if _, err := ParseBeaconPubKey(k.PreviousPubkey); err != nil {
			return ErrInvalidBeaconKey.Wrapf("previous_pubkey: %v", err)
		}
		if bytes.Equal(k.PreviousPubkey, k.Pubkey) {
			return ErrInvalidBeaconKey.Wrap("previous_pubkey is the key itself")
		}
	}
	return nil
}

// validFinalBeacon checks a final beacon: powers in range, and a value (32
// bytes) exactly when its shares carried more than 2/3 of the power.
func validFinalBeacon(b Beacon) error {
	if b.TotalPower < 0 || b.SignedPower < 0 || b.SignedPower > b.TotalPower {
		return ErrInvalidGenesis.Wrapf("signed_power %d of total_power %d", b.SignedPower, b.TotalPower)
	}
	available := b.TotalPower > 0 && math.NewInt(b.SignedPower).MulRaw(3).GT(math.NewInt(b.TotalPower).MulRaw(2))
	if available != (len(b.Value) > 0) || (available && len(b.Value) != 32) {
		return ErrInvalidGenesis.Wrapf("value of %d bytes with signed_power %d of total_power %d", len(b.Value), b.SignedPower, b.TotalPower)
	}
	return nil
}

// validBeaconRound checks an open round: voters in strictly increasing
// address order with positive powers summing to total_power, keyed_power
// within it, and at most one share per voter, each empty (refused) or of
// the share size.
func validBeaconRound(r GenesisBeaconRound) error {
	sum := math.ZeroInt()
	for i, v := range r.Round.Voters {
		if len(v.ConsAddress) == 0 || v.Power <= 0 {
			return ErrInvalidGenesis.Wrapf("voter %d: address %X, power %d", i, v.ConsAddress, v.Power)
		}
		if i > 0 && bytes.Compare(r.Round.Voters[i-1].ConsAddress, v.ConsAddress) >= 0 {
			return ErrInvalidGenesis.Wrapf("voter %d: %X out of order", i, v.ConsAddress)
		}
		sum = sum.AddRaw(v.Power)
	}
	if !sum.Equal(math.NewInt(r.Round.TotalPower)) || r.Round.KeyedPower < 0 || r.Round.KeyedPower > r.Round.TotalPower {
		return ErrInvalidGenesis.Wrapf("total_power %d (voters sum to %s), keyed_power %d", r.Round.TotalPower, sum, r.Round.KeyedPower)
	}
	seen := make(map[string]bool, len(r.Shares))
	for _, s := range r.Shares {
		if seen[string(s.ConsAddress)] || !isVoter(r.Round, s.ConsAddress) {
			return ErrInvalidGenesis.Wrapf("share of %X: repeated, or not a voter of the round", s.ConsAddress)
		}
		seen[string(s.ConsAddress)] = true
		if n := len(s.Signature); n != 0 && n != BeaconShareSize {
			return ErrInvalidGenesis.Wrapf("share of %X is %d bytes, want %d (or none: refused)", s.ConsAddress, n, BeaconShareSize)
		}
	}
	return nil
}

func isVoter(r BeaconRound, cons []byte) bool {
	for _, v := range r.Voters {
		if bytes.Equal(v.ConsAddress, cons) {
			return true
		}
	}
	return false
}

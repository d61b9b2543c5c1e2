package types

import (
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

// ModelBondLocks sums the model_bond of the live (non-terminal) jobs by the
// account they locked it in: what each model owner's bond must have locked.
func ModelBondLocks(jobs []Job) (map[string]sdk.Coins, error) {
	locks := map[string]sdk.Coins{}
	for _, j := range jobs {
		if j.ModelBond.IsZero() {
			continue
		}
		if err := j.ModelBond.Validate(); err != nil {
			return nil, ErrInvalidGenesis.Wrapf("job %d model_bond: %v", j.Id, err)
		}
		if err := common.CanonicalAddress("model_bonder", j.ModelBonder, ErrInvalidAddress); err != nil {
			return nil, err
		}
		if !j.State.IsTerminal() {
			locks[j.ModelBonder] = locks[j.ModelBonder].Add(j.ModelBond...)
		}
	}
	return locks, nil
}

// Free is what the owner may withdraw or a new job lock: bonded − locked
// (empty if locked is not within bonded, which Validate refuses).
func (b ModelBond) Free() sdk.Coins {
	free, neg := b.Bonded.SafeSub(b.Locked...)
	if neg {
		return sdk.NewCoins()
	}
	return free
}

// Validate checks a bond on its own: an owner, valid coins, locked within
// bonded, and not empty (an owner with nothing bonded has no entry).
func (b ModelBond) Validate() error {
	if err := common.CanonicalAddress("owner", b.Owner, ErrInvalidAddress); err != nil {
		return err
	}
	if err := b.Bonded.Validate(); err != nil {
		return ErrInvalidGenesis.Wrapf("model bond of %s: bonded %v", b.Owner, err)
	}
	if err := b.Locked.Validate(); err != nil {
		return ErrInvalidGenesis.Wrapf("model bond of %s: locked %v", b.Owner, err)
	}
	if b.Bonded.IsZero() {
		return ErrInvalidGenesis.Wrapf("model bond of %s is empty", b.Owner)
	}
	if !b.Locked.IsAllLTE(b.Bonded) {
		return ErrInvalidGenesis.Wrapf("model bond of %s: locked %s exceeds bonded %s", b.Owner, b.Locked, b.Bonded)
	}
	return nil
}

// validateModelBonds checks the model bonds against the jobs' locks
// (CheckModelBonds).
func (gs GenesisState) validateModelBonds() error {
	locks, err := ModelBondLocks(gs.Jobs)
	if err != nil {
		return err
	}
	return CheckModelBonds(gs.ModelBonds, locks)
}

// CheckModelBonds checks model bonds against locks (ModelBondLocks of the
// jobs), for genesis and the invariants: each owner once, each bond valid,
// and each one's locked exactly the model_bond of its live jobs (a lock
// below them would let the owner withdraw what a running job's abort may
// owe its requester; above them, strand bond no job releases).
func CheckModelBonds(bonds []ModelBond, locks map[string]sdk.Coins) error {
	seen := make(map[string]bool, len(bonds))
	for _, b := range bonds {
		if seen[b.Owner] {
			return ErrInvalidGenesis.Wrapf("model bond of %s appears twice", b.Owner)
		}
		seen[b.Owner] = true
		if err := b.Validate(); err != nil {
			return err
		}
		if !b.Locked.Equal(locks[b.Owner]) {
			return ErrInvalidGenesis.Wrapf("model bond of %s: locked %s, its live jobs lock %s", b.Owner, b.Locked, locks[b.Owner])
		}
	}
	for owner, l := range locks {
		if !seen[owner] {
			return ErrInvalidGenesis.Wrapf("live jobs lock %s of %s, which has no model bond", l, owner)
		}
	}
	return nil
}

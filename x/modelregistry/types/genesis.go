package types

import (
	errorsmod "cosmossdk.io/errors"

	"github.com/aichain/aichain/types/common"
)

// DefaultGenesis returns the default genesis: default params, no models, and
// model ids starting at 1.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), Models: []Model{}, NextModelId: 1}
}

// Validate checks the genesis state: valid params and models, unique ids
// below next_model_id, unique (name, version) pairs, and no two names equal
// up to case (FoldName).
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if gs.NextModelId == 0 {
		return errorsmod.Wrap(ErrInvalidGenesis, "next_model_id must be at least 1")
	}
	ids := make(map[uint64]bool, len(gs.Models))
	nameVersions := make(map[[2]string]bool, len(gs.Models))
	folded := make(map[string]string, len(gs.Models)) // FoldName(name) → name
	for _, m := range gs.Models {
		if err := m.Validate(); err != nil {
			return errorsmod.Wrap(ErrInvalidGenesis, err.Error())
		}
		if ids[m.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "model id %d appears twice", m.Id)
		}
		ids[m.Id] = true
		if m.Id >= gs.NextModelId {
			return errorsmod.Wrapf(ErrInvalidGenesis, "model id %d is not below next_model_id %d", m.Id, gs.NextModelId)
		}
		nv := [2]string{m.Name, m.Version}
		if nameVersions[nv] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "model %s version %s appears twice", m.Name, m.Version)
		}
		nameVersions[nv] = true
		if other, ok := folded[FoldName(m.Name)]; ok && other != m.Name {
			return errorsmod.Wrapf(ErrInvalidGenesis, "model names %q and %q are equal up to case", other, m.Name)
		}
		folded[FoldName(m.Name)] = m.Name
	}
	return common.ValidateCommitments(gs.WeightsCommits, ErrInvalidGenesis)
}

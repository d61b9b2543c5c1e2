package keeper_test

import (
	"errors"
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackGovModuleListsDatasetBreaksGenesisReimport: InitGenesis
// refuses a dataset a module account owns (checkDatasetAccounts), as
// TransferDataset refuses one as the new owner. The gov module account
// signs whatever a passed proposal carries, so a proposal listing a
// "community" dataset owned by gov, with its shares paid to an ordinary
// account (a share naming gov is refused), was accepted; from then on every
// genesis export of the chain failed to import and a restart from an
// export halted at InitChain. ListDataset refuses the owner
// (ErrInvalidOwner), changes nothing, and the export imports.
func TestAttackGovModuleListsDatasetBreaksGenesisReimport(t *testing.T) {
	s := setup(t)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	s.list(listMsg(s.owner.Address.String(), perpetual(100, false)))

	msg := listMsg(gov, perpetual(100, false))
	msg.Shares = []common.Share{{Address: s.other.Address.String(), Weight: 1}}
	before := s.snap()
	_, listErr := s.ms.ListDataset(s.ta.Ctx, msg)

	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("the export does not validate: %v", err)
	}
	if err := s.k.InitGenesis(s.ta.Ctx, gs); err != nil {
		t.Fatalf("listing by gov accepted (%v), but the chain's own export no longer imports: %v", listErr, err)
	}
	if !errors.Is(listErr, types.ErrInvalidOwner) {
		t.Fatalf("a dataset listed by the gov module account: %v, want %v", listErr, types.ErrInvalidOwner)
	}
	s.unchanged(before, "a dataset listed by the gov module account")
}

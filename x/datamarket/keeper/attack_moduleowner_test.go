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
// refused a dataset a module account owns (it now takes one: see
// TestAttackGovDatasetFromBeforeTheUpgradeStillBreaksReimport), as
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

// TestAttackGovDatasetFromBeforeTheUpgradeStillBreaksReimport: ListDataset
// refuses the gov module account as owner from now on, but a chain on which
// a proposal listed a dataset before the rule keeps it, owned by gov. Its
// own export must still import (a zero-height restart or a hard fork), and
// does: InitGenesis takes a module-account owner, which holds no coin of
// the dataset, while a share naming a module account stays refused.
func TestAttackGovDatasetFromBeforeTheUpgradeStillBreaksReimport(t *testing.T) {
	s := setup(t)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	id := s.list(listMsg(s.owner.Address.String(), perpetual(100, false)))
	// Stored as the old code stored MsgListDataset{Owner: gov}.
	d, err := s.k.Datasets.Get(s.ta.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	d.Owner = gov
	if err := s.k.Datasets.Set(s.ta.Ctx, id, d); err != nil {
		t.Fatal(err)
	}
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("the export does not validate: %v", err)
	}
	if err := s.k.InitGenesis(s.ta.Ctx, gs); err != nil {
		t.Fatalf("the chain's own export with a dataset gov listed before the rule does not import: %v", err)
	}
	if got, err := s.k.Datasets.Get(s.ta.Ctx, id); err != nil || got.Owner != gov {
		t.Fatalf("dataset %d after import: owner %q (%v), want %s", id, got.Owner, err, gov)
	}
	// A share naming a module account is still refused at import.
	gs.Datasets[0].Shares = []common.Share{{Address: gov, Weight: 1}}
	if err := s.k.InitGenesis(s.ta.Ctx, gs); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("a share to the gov module account at import: %v, want %v", err, types.ErrInvalidGenesis)
	}
}

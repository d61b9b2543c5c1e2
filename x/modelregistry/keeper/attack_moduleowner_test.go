package keeper_test

import (
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/keeper"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackModuleOwnerBreaksGenesisReimport: TransferOwnership refuses a
// module account as a model's owner and InitGenesis refused any model whose
// owner is one (it now takes one: see
// TestAttackGovModelFromBeforeTheUpgradeStillBreaksReimport), but
// RegisterModel (and PublishVersion) accepted any signer as owner. The gov module account signs whatever a passed proposal carries
// (x/gov only checks that each message's signer is its authority; this app
// filters no message type), so a proposal that registers a "community"
// model owned by gov succeeds. From then on every genesis export of the
// chain fails to import (ErrInvalidGenesis at InitChain): a restart from an
// export (zero-height or hard-fork upgrade) halts. Either the registration
// must be refused, or the export must import. newModel refuses it
// (ErrInvalidOwner) and changes nothing.
func TestAttackModuleOwnerBreaksGenesisReimport(t *testing.T) {
	f := setup(t)
	alice := f.addr(0)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	f.register(t, registerMsg(alice, "llama", "1"))
	state := f.snapshot(t)
	_, regErr := f.srv.RegisterModel(f.ta.Ctx, registerMsg(gov, "community", "1", common.Share{Address: alice, Weight: 1}))
	if regErr == nil {
		t.Log("a model owned by the gov module account was registered")
	}
	gs, err := f.k.ExportGenesis(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("the export does not validate: %v", err)
	}
	if err := f.k.InitGenesis(f.ta.Ctx, gs); err != nil {
		t.Fatalf("registration by gov accepted (%v), but the chain's own export no longer imports: %v", regErr, err)
	}
	wantErr(t, regErr, types.ErrInvalidOwner, "a model registered by the gov module account")
	if f.snapshot(t) != state {
		t.Fatal("the refused registration changed state")
	}
	if _, err := f.k.LatestVersion(f.ta.Ctx, "community"); err == nil {
		t.Fatal("the refused name is registered")
	}
}

// TestAttackModuleOwnerPublishesVersion: a model that a module account
// came to own before the rule (stored directly here) cannot grow: its
// owner, the gov module account, may not publish a version of it either
// (newModel, ErrInvalidOwner), and nothing changes.
func TestAttackModuleOwnerPublishesVersion(t *testing.T) {
	f := setup(t)
	alice := f.addr(0)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	id := f.register(t, registerMsg(alice, "community", "1"))
	m := f.model(t, id)
	m.Owner = gov
	if err := f.k.Models.Set(f.ta.Ctx, id, m); err != nil {
		t.Fatal(err)
	}
	state := f.snapshot(t)
	_, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(gov, "community", "2", common.Share{Address: alice, Weight: 1})))
	wantErr(t, err, types.ErrInvalidOwner, "the gov module account publishes a version")
	if f.snapshot(t) != state {
		t.Fatal("the refused version changed state")
	}
}

// TestAttackGovModelFromBeforeTheUpgradeStillBreaksReimport: the fix stops
// a passed proposal from registering a model owned by the gov module
// account from now on, but a chain on which one passed before the upgrade
// (possible on every binary up to af77fcc) keeps that model: the 3→4
// migration files skeletons only, and InitGenesis still refuses the
// model's owner, so the upgraded chain's own export (zero-height restart,
// hard fork) still fails to import until another proposal transfers the
// model away. Either the migration must move or release such models, or
// the import must take the chain's own state.
func TestAttackGovModelFromBeforeTheUpgradeStillBreaksReimport(t *testing.T) {
	f := setup(t)
	alice := f.addr(0)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	id := f.register(t, registerMsg(alice, "community", "1"))
	// Stored as the old code stored MsgRegisterModel{Owner: gov}.
	m := f.model(t, id)
	m.Owner = gov
	if err := f.k.Models.Set(f.ta.Ctx, id, m); err != nil {
		t.Fatal(err)
	}
	if err := keeper.NewMigrator(f.k).Migrate3to4(f.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	gs, err := f.k.ExportGenesis(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("the export does not validate: %v", err)
	}
	if err := f.k.InitGenesis(f.ta.Ctx, gs); err != nil {
		t.Fatalf("after the 3→4 migration the chain's own export still does not import: %v", err)
	}
}

package keeper_test

import (
	"errors"
	"testing"

	"cosmossdk.io/collections"

	"github.com/aichain/aichain/x/modelregistry/keeper"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestMigrate1to2: a version-1 store has an entry (folded name, id) for
// every model and no Latest. Read as version 2 without the migration, a
// registered name would look free; the migration drops the old index and
// files each name's latest version, after which the name rules hold as
// before: look-alikes are refused, the owner publishes on top of the latest
// version.
func TestMigrate1to2(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	l1 := f.register(t, registerMsg(alice, "Llama", "1"))
	res, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "Llama", "2")))
	if err != nil {
		t.Fatal(err)
	}
	l2 := res.ModelId
	b1 := f.register(t, registerMsg(bob, "bert", "1"))

	// Make it a version-1 store.
	folded := f.k.FoldedNameV1()
	for id, name := range map[uint64]string{l1: "Llama", l2: "Llama", b1: "bert"} {
		if err := folded.Set(f.ta.Ctx, collections.Join(types.FoldName(name), id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.k.Latest.Clear(f.ta.Ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.k.LatestVersion(f.ta.Ctx, "Llama"); !errors.Is(err, types.ErrNameNotFound) {
		t.Fatalf("latest version of Llama in a version-1 store read as version 2: %v, want ErrNameNotFound", err)
	}

	if err := keeper.NewMigrator(f.k).Migrate1to2(f.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	it, err := folded.Iterate(f.ta.Ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	left, err := it.Keys()
	if err != nil || len(left) != 0 {
		t.Fatalf("folded-name index after the migration: %v %v, want empty", left, err)
	}
	for name, want := range map[string]uint64{"Llama": l2, "bert": b1} {
		m, err := f.k.LatestVersion(f.ta.Ctx, name)
		if err != nil || m.Id != want {
			t.Fatalf("latest version of %s after the migration: %d %v, want %d", name, m.Id, err, want)
		}
	}
	state := f.snapshot(t)
	_, err = f.srv.RegisterModel(f.ta.Ctx, registerMsg(bob, "LLAMA", "1"))
	wantErr(t, err, types.ErrNameTaken, "a look-alike after the migration")
	_, err = f.srv.RegisterModel(f.ta.Ctx, registerMsg(bob, "bert", "9"))
	wantErr(t, err, types.ErrNameTaken, "a taken name after the migration")
	if f.snapshot(t) != state {
		t.Fatal("refused registrations changed state")
	}
	res, err = f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "Llama", "3")))
	if err != nil {
		t.Fatalf("the owner publishes after the migration: %v", err)
	}
	if m, err := f.k.LatestVersion(f.ta.Ctx, "Llama"); err != nil || m.Id != res.ModelId {
		t.Fatalf("latest version after publishing: %d %v, want %d", m.Id, err, res.ModelId)
	}
}

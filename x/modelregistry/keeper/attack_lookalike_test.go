package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/modelregistry/keeper"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackNameSquatConfusableName: Alice registers "llama-7b" and
// "opt-13b". The README promises that no one can pass a look-alike off as
// another owner's model (names are folded, types.FoldName), but the fold is
// strings.ToLower only: Mallory registers "Ilama-7b" (capital i, which most
// sans-serif fonts draw exactly as a lower-case L) and "0pt-13b" (digit
// zero for the letter O), under her own ownership and fees, beside Alice's
// names. Requesters who pick "the llama-7b model" from a list or an
// explorer cannot tell them apart and pay Mallory. A name that folds to
// another one's confusable skeleton (I/l/1, O/0) must be refused with
// ErrNameTaken, like "LLAMA-7b" is.
func TestAttackNameSquatConfusableName(t *testing.T) {
	f := setup(t)
	alice, mallory := f.addr(0), f.addr(1)
	f.register(t, registerMsg(alice, "llama-7b", "1"))
	f.register(t, registerMsg(alice, "opt-13b", "1"))
	f.register(t, registerMsg(alice, "mistral-7b", "1"))
	f.register(t, registerMsg(alice, "whisper", "1"))

	_, err := f.srv.RegisterModel(f.ta.Ctx, registerMsg(mallory, "LLAMA-7b", "1"))
	wantErr(t, err, types.ErrNameTaken, "the name in another case (control)")

	state := f.snapshot(t)
	for _, lookAlike := range []string{"Ilama-7b", "0pt-13b", "1lama-7b", "lLama-7b", "IIama-7b", "OPT-l3b", "rnistral-7b", "vvhisper", "VVhisper"} {
		_, err := f.srv.RegisterModel(f.ta.Ctx, registerMsg(mallory, lookAlike, "1"))
		wantErr(t, err, types.ErrNameTaken, "Mallory's look-alike "+lookAlike)
	}
	if f.snapshot(t) != state {
		t.Fatal("refused look-alikes changed state")
	}
	// Names that read differently stay free, and Alice publishes on her own.
	for _, other := range []string{"llama-8b", "opt-13", "llava-7b"} {
		f.register(t, registerMsg(mallory, other, "1"))
	}
	if _, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "llama-7b", "2"))); err != nil {
		t.Fatalf("Alice publishes a version of her name: %v", err)
	}
}

// TestMigrate3to4: a version-3 store files no skeletons, and "llama" and
// "Ilama" may both be registered. The migration files each skeleton as the
// first model's (lowest id); both names keep working, each reached by its
// own name and published by its own owner, both survive a genesis round
// trip, and a third look-alike is refused.
func TestMigrate3to4(t *testing.T) {
	f := setup(t)
	alice, mallory, bob := f.addr(0), f.addr(1), f.addr(2)
	l1 := f.register(t, registerMsg(alice, "llama", "1"))
	// Make it a version-3 store in which Mallory registered "Ilama".
	if err := f.k.Skeletons.Clear(f.ta.Ctx, nil); err != nil {
		t.Fatal(err)
	}
	i1 := f.register(t, registerMsg(mallory, "Ilama", "1"))
	if err := f.k.Skeletons.Clear(f.ta.Ctx, nil); err != nil {
		t.Fatal(err)
	}

	if err := keeper.NewMigrator(f.k).Migrate3to4(f.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	f.wantSkeleton(t, "llama", l1)
	_, err := f.srv.RegisterModel(f.ta.Ctx, registerMsg(bob, "1lama", "1"))
	wantErr(t, err, types.ErrNameTaken, "a third look-alike after the migration")
	f.wantGrandfathered(t, map[string]uint64{"llama": l1, "Ilama": i1})
	for _, v := range []struct{ owner, name string }{{alice, "llama"}, {mallory, "Ilama"}} {
		if _, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(v.owner, v.name, "2"))); err != nil {
			t.Fatalf("%s publishes after the migration: %v", v.name, err)
		}
	}

	gs, err := f.k.ExportGenesis(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.k.InitGenesis(f.ta.Ctx, gs); err != nil {
		t.Fatalf("the export with grandfathered look-alikes does not import: %v", err)
	}
	f.wantSkeleton(t, "llama", l1)
	_, err = f.srv.RegisterModel(f.ta.Ctx, registerMsg(bob, "ILAMA", "1"))
	wantErr(t, err, types.ErrNameTaken, "a look-alike after the genesis round trip")
}

// TestAttackSquatterBlocksDistinctHonestNames: NameSkeleton folds case
// first and then maps the lower-case i to l, so names that no
// font draws alike share a skeleton: Google's "bit" (Big Transfer) and
// Meta's "blt" (Byte Latent Transformer), "vim" (Vision Mamba) and "vlm",
// "mim" and "mlm" (masked image / language modeling), "gim" (an image
// matcher) and "glm" (THUDM), "dit" (Diffusion Transformer) and "dlt". Whoever
// registers one of each pair first (an honest owner, or a squatter who
// registers the short names for free) shuts the other honest owner out of
// a name that is not a look-alike: the old code (fold by case only)
// accepted both. The lower-case i has a dot; only the capital I (and 1, |)
// is drawn as an l.
func TestAttackSquatterBlocksDistinctHonestNames(t *testing.T) {
	f := setup(t)
	first, second := f.addr(0), f.addr(1)
	pairs := [][2]string{
		{"bit-m-r50x1", "blt-m-r50x1"},
		{"vim-small", "vlm-small"},
		{"mim-base", "mlm-base"},
		{"gim-dkm", "glm-dkm"},
		{"dit-xl-2", "dlt-xl-2"},
	}
	for _, p := range pairs {
		f.register(t, registerMsg(first, p[0], "1"))
	}
	refused := 0
	for _, p := range pairs {
		if _, err := f.srv.RegisterModel(f.ta.Ctx, registerMsg(second, p[1], "1")); err != nil {
			refused++
			t.Errorf("honest %q (not drawn like %q) refused: %v", p[1], p[0], err)
		}
	}
	if refused > 0 {
		t.Fatalf("%d of %d distinct honest names refused as look-alikes", refused, len(pairs))
	}
}

// TestAttackLookalikeWithClForD: the skeleton makes rn one with m and vv one
// with w but leaves the equally classic cl/d pair (Unicode TR39's
// confusables map "cl" to "d"), so Mallory registers "clolly-v2-12b" beside
// Databricks' "dolly-v2-12b" (and "clistilbert" beside "distilbert"), at her
// own fees, in the same way the fix refuses "rnistral" beside "mistral".
func TestAttackLookalikeWithClForD(t *testing.T) {
	f := setup(t)
	alice, mallory := f.addr(0), f.addr(1)
	f.register(t, registerMsg(alice, "dolly-v2-12b", "1"))
	f.register(t, registerMsg(alice, "distilbert-base", "1"))
	for _, lookAlike := range []string{"clolly-v2-12b", "clistilbert-base"} {
		if _, err := f.srv.RegisterModel(f.ta.Ctx, registerMsg(mallory, lookAlike, "1")); err == nil {
			t.Errorf("Mallory's look-alike %q registered beside Alice's name", lookAlike)
		}
	}
}

// wantSkeleton fails unless Skeletons files name's skeleton as model id's.
func (f *fixture) wantSkeleton(t *testing.T, name string, id uint64) {
	t.Helper()
	if got, err := f.k.Skeletons.Get(f.ta.Ctx, types.NameSkeleton(name)); err != nil || got != id {
		t.Fatalf("skeleton of %s filed as model %d (%v), want %d", name, got, err, id)
	}
}

// wantGrandfathered fails unless each name's latest version is the model
// of that exact name it maps to.
func (f *fixture) wantGrandfathered(t *testing.T, latest map[string]uint64) {
	t.Helper()
	for name, id := range latest {
		m, err := f.k.LatestVersion(f.ta.Ctx, name)
		if err != nil || m.Id != id || m.Name != name {
			t.Fatalf("latest version of %s: model %d %q (%v), want %d", name, m.Id, m.Name, err, id)
		}
	}
}

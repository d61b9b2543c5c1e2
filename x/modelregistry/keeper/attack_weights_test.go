package keeper_test

import (
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/keeper"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackCopiedWeightsUnderOwnName: Alice registers llama with her
// weights at 1,000 a job. The weights are public (validators fetch them
// from the model's uri), so Mallory registers the same file under a name of
// her own at 1 a job, and later publishes it as a version of a name she
// registered with other weights, to take the jobs (and fees) of requesters
// who want Alice's model. Both are refused (ErrWeightsTaken) and change
// nothing; Alice may publish her own weights again as a new version of her
// name; a job on her model pays her to the coin and Mallory nothing.
func TestAttackCopiedWeightsUnderOwnName(t *testing.T) {
	f := setup(t)
	alice, mallory := f.addr(0), f.addr(1)
	llama := registerMsg(alice, "llama", "1")
	id := f.register(t, llama)
	own := f.register(t, registerMsg(mallory, "mallory-net", "1"))

	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	m := f.moves(denom, f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, pool)
	state := f.snapshot(t)
	copied := registerMsg(mallory, "cheap-llama", "1")
	copied.Sha256, copied.Uri, copied.FeePerJob, copied.FeePer1kRows = llama.Sha256, llama.Uri, coins(1), nil
	_, err := f.srv.RegisterModel(f.ta.Ctx, copied)
	wantErr(t, err, types.ErrWeightsTaken, "Alice's weights under a new name")
	republished := registerMsg(mallory, "mallory-net", "2")
	republished.Sha256 = llama.Sha256
	_, err = f.srv.PublishVersion(f.ta.Ctx, publishMsg(republished))
	wantErr(t, err, types.ErrWeightsTaken, "Alice's weights as a version of Mallory's name")
	if f.snapshot(t) != state {
		t.Fatal("refused copies changed state")
	}
	f.wantWeights(t, llama.Sha256, id)
	if _, err := f.k.LatestVersion(f.ta.Ctx, "cheap-llama"); err == nil {
		t.Fatal("the copy's name was registered")
	}
	if latest, err := f.k.LatestVersion(f.ta.Ctx, "mallory-net"); err != nil || latest.Id != own {
		t.Fatalf("mallory-net's latest version: %d %v, want %d", latest.Id, err, own)
	}

	// The name's owner publishes the same weights again (a re-release).
	again := registerMsg(alice, "llama", "1.0.1")
	again.Sha256 = llama.Sha256
	res, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(again))
	if err != nil {
		t.Fatalf("Alice republishes her weights: %v", err)
	}
	f.wantWeights(t, llama.Sha256, id)
	terms, err := f.k.ModelTermsForJob(f.ta.Ctx, res.ModelId, 1000)
	if err != nil {
		t.Fatal(err)
	}
	f.payJob(t, res.ModelId, terms, 1000)
	// 1000 + 50 per 1k rows = 1050: 52 (5%, floor) to the pool, 998 to Alice.
	m.expect(t, "a job on Alice's model", ints(998, 0, 52)...)
}

// TestMigrate2to3: a version-2 store files no weights, and two names
// registered before the rule may hold the same ones. The migration files
// each file as the first model's (lowest id) that holds it; afterwards a
// new name is refused that file, and the names that held it keep working.
func TestMigrate2to3(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	a1 := f.register(t, registerMsg(alice, "alpha", "1"))
	b1 := f.register(t, registerMsg(bob, "beta", "1"))
	shared := f.model(t, a1).Sha256
	// Make it a version-2 store in which beta holds alpha's weights too.
	b := f.model(t, b1)
	b.Sha256 = shared
	if err := f.k.Models.Set(f.ta.Ctx, b1, b); err != nil {
		t.Fatal(err)
	}
	if err := f.k.Weights.Clear(f.ta.Ctx, nil); err != nil {
		t.Fatal(err)
	}

	if err := keeper.NewMigrator(f.k).Migrate2to3(f.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	f.wantWeights(t, shared, a1)
	copied := registerMsg(bob, "gamma", "1")
	copied.Sha256 = shared
	_, err := f.srv.RegisterModel(f.ta.Ctx, copied)
	wantErr(t, err, types.ErrWeightsTaken, "a new name with filed weights after the migration")
	republished := registerMsg(bob, "beta", "2")
	republished.Sha256 = shared
	_, err = f.srv.PublishVersion(f.ta.Ctx, publishMsg(republished))
	wantErr(t, err, types.ErrWeightsTaken, "beta publishing alpha's weights again")
	if _, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(bob, "beta", "3"))); err != nil {
		t.Fatalf("beta publishes weights of its own after the migration: %v", err)
	}
}

// wantWeights fails unless Weights files sha as model id's.
func (f *fixture) wantWeights(t *testing.T, sha string, id uint64) {
	t.Helper()
	if got, err := f.k.Weights.Get(f.ta.Ctx, sha); err != nil || got != id {
		t.Fatalf("weights %s filed as model %d (%v), want %d", sha, got, err, id)
	}
}

package keeper_test

import (
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackNameSquatFrontRunHandsCreatorsWeightsToCopier: the weights
// commitment binds the name as well as the weights, so a registration that
// loses its name loses its commitment too, after its sha256 went public.
//
// Mallory expects the creator's next model to be called "llama-7b" (it was
// announced; names are meant to be found) and keeps a commitment to
// ("llama-7b", junk weights) of its own, renewed each ttl, without
// registering it (that would warn the creator off the name). When the
// creator's MsgRegisterModel("llama-7b", W) reaches the mempool, Mallory (the
// proposer of that block, or the winner of a gossip race) puts, ahead of it
// in block L, its own registration of "llama-7b" (its commitment is old
// enough) and a commitment to ("copied-7b", W) (W is in the creator's
// pending tx). The creator's registration fails (ErrNameTaken) and its
// commitment to ("llama-7b", W) can never be used. The creator commits to a
// new name with W in block L+1 at the earliest; Mallory's commitment from
// block L is one block older, so Mallory registers W first (L+K) and the
// creator's registration of its own weights (L+1+K) is refused for good
// (ErrWeightsTaken): every job on the weights pays Mallory. One proposer
// slot (not K in a row) and a guessed name take the weights.
//
// What the test wants: the creator, whose commitment to W is the older
// (made K blocks before L), keeps W; a job on W pays the creator 998 of
// 1,050, Mallory 0. So a registration commits twice: to the name and the
// weights (which keeps the name), and to the weights alone, filed under the
// weights' key, where the oldest that verifies registers them
// (ErrOlderCommitment).
func TestAttackNameSquatFrontRunHandsCreatorsWeightsToCopier(t *testing.T) {
	f := setup(t)
	f.withCommits(t, 100)
	creator, mallory := f.ta.Accounts[0], f.ta.Accounts[1]

	// Long before: Mallory's commitment to the announced name, junk weights.
	squat := registerMsg(mallory.String(), "llama-7b", "0.0.1")
	f.commit(t, mallory.Address, squat.Name, squat.Sha256)
	f.blocks(commitDelay)

	// The creator commits to its name and weights and waits the delay.
	pending := registerMsg(creator.String(), "llama-7b", "1.0.0")
	f.commit(t, creator.Address, pending.Name, pending.Sha256)
	f.blocks(commitDelay)

	// Block L: Mallory's squat and its commitment to the creator's weights
	// (read from the pending tx) land ahead of the creator's registration.
	f.register(t, squat)
	copied := registerMsg(mallory.String(), "copied-7b", "1.0.0")
	copied.Sha256 = pending.Sha256
	f.commit(t, mallory.Address, copied.Name, copied.Sha256)
	_, err := f.srv.RegisterModel(f.ta.Ctx, pending)
	wantErr(t, err, types.ErrNameTaken, "the creator's registration behind the squat")

	// Block L+1: the creator commits to its weights under another name.
	f.blocks(1)
	renamed := registerMsg(creator.String(), "llama-7b-chat", "1.0.0")
	renamed.Sha256 = pending.Sha256
	f.commit(t, creator.Address, renamed.Name, renamed.Sha256)

	// Block L+K: Mallory's commitment is old enough; L+1+K: the creator's.
	f.blocks(commitDelay - 1)
	_, mallorysErr := f.srv.RegisterModel(f.ta.Ctx, copied)
	wantErr(t, mallorysErr, types.ErrOlderCommitment, "Mallory's registration of the creator's weights, on a commitment younger than the creator's")
	f.blocks(1)
	_, creatorsErr := f.srv.RegisterModel(f.ta.Ctx, renamed)
	if creatorsErr != nil {
		t.Errorf("the creator's registration of its own weights (its first commitment to them %d blocks older than Mallory's): %v; Mallory's registration of them: %v",
			commitDelay, creatorsErr, mallorysErr)
	}

	// A job on the weights W: whoever holds them is paid.
	holder, err := f.k.Weights.Get(f.ta.Ctx, pending.Sha256)
	if err != nil {
		t.Fatal(err)
	}
	terms, err := f.k.ModelTermsForJob(f.ta.Ctx, holder, 1000)
	if err != nil {
		t.Fatal(err)
	}
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	m := f.moves(denom, creator.Address, mallory.Address, pool)
	f.payJob(t, holder, terms, 1000)
	// 1000 + 50 per 1k rows = 1050: 52 (5%, floor) to the pool, 998 to the weights' creator.
	m.expect(t, "a job on the creator's weights", ints(998, 0, 52)...)
}

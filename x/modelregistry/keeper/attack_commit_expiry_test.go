package keeper_test

import (
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackSquatNearExpiryHandsCreatorsWeightsToCopier: the weights-only
// commitment kept the weights after a lost name only while it lived. A
// commitment could not be renewed (MsgCommitWeights on a live one left it
// as it was, expiry included) and one made again after expiry was as young
// as its new height. A creator that registers in the last K blocks of its
// commitment's ttl (a valid registration: expires_height is what the
// commit answered) and loses the name to the squat of
// TestAttackNameSquatFrontRunHandsCreatorsWeightsToCopier cannot register
// under a new name before its weights commitment expires (the new name
// commitment needs K blocks); its weights commitment made again is younger
// than Mallory's, made in the squat's block from the creator's pending
// registration. Mallory registers the weights and every job on them pays
// Mallory, as before the fix. (A registration relayed by an interchain
// account, public on the controller chain blocks before it executes, gives
// the same without a guessed name nor a proposer slot.)
//
// What the test wants: the creator, whose first commitment to W is the
// older, keeps W: a job on W pays the creator 998 of 1,050, Mallory 0. Now
// a commitment is kept a ttl past its expiry, holding its content against
// younger ones, and its owner's commitment again renews it with its first
// height (modkit.Commitments.Commit).
func TestAttackSquatNearExpiryHandsCreatorsWeightsToCopier(t *testing.T) {
	const ttl = 100
	f := setup(t)
	f.withCommits(t, ttl)
	creator, mallory := f.ta.Accounts[0], f.ta.Accounts[1]

	// The creator commits at H and registers at H+ttl-1, inside its window.
	pending := registerMsg(creator.String(), "llama-7b", "1.0.0")
	f.commit(t, creator.Address, pending.Name, pending.Sha256)
	f.blocks(ttl - 1 - commitDelay)
	// Mallory keeps a live commitment to the announced name, junk weights
	// (renewed each ttl, as in the name-squat test).
	squat := registerMsg(mallory.String(), "llama-7b", "0.0.1")
	f.commit(t, mallory.Address, squat.Name, squat.Sha256)
	f.blocks(commitDelay)

	// Block L = H+ttl-1: the squat and Mallory's commitment to the
	// creator's weights land ahead of the creator's registration.
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
	f.blocks(commitDelay - 1)
	_, mallorysErr := f.srv.RegisterModel(f.ta.Ctx, copied)
	t.Logf("mallory at %d: %v", f.ta.Ctx.BlockHeight(), mallorysErr)
	f.blocks(1)
	_, creatorsErr := f.srv.RegisterModel(f.ta.Ctx, renamed)
	t.Logf("creator at %d: %v", f.ta.Ctx.BlockHeight(), creatorsErr)
	if creatorsErr != nil {
		// Its weights commitment expired: made again, it is younger than Mallory's.
		f.commit(t, creator.Address, renamed.Name, renamed.Sha256)
		f.blocks(commitDelay)
		_, creatorsErr = f.srv.RegisterModel(f.ta.Ctx, renamed)
	}
	t.Logf("creator at %d: %v", f.ta.Ctx.BlockHeight(), creatorsErr)
	if creatorsErr != nil {
		t.Errorf("the creator's registration of its own weights (its first commitment to them %d blocks older than Mallory's): %v; Mallory's registration of them: %v",
			ttl-1, creatorsErr, mallorysErr)
	}

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
	m.expect(t, "a job on the creator's weights", ints(998, 0, 52)...)
}

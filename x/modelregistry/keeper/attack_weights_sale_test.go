package keeper_test

import (
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackSellerRepublishesSoldVersionWeights: Alice registers llama v1
// (weights W1, 1,000 a job) and publishes v2. She sells v1 to Bob
// (MsgTransferOwnership of model v1): Bob now owns the model whose file is
// W1 and is paid for every job on it. Alice still owns the name's latest
// version, so she publishes W1 again as llama v3, at 1 a job with herself
// as the only share, and takes the jobs (and fees) of requesters who want
// W1 — the very thing the weights rule exists to stop
// (TestAttackCopiedWeightsUnderOwnName), done to the owner that bought the
// file. keeper.checkWeights accepts W1 because it compares only the *name*
// of the model that filed the weights, not who owns that model now.
//
// Wanted: the republication is refused (ErrWeightsTaken) and changes
// nothing; a job on Bob's v1 pays Bob to the coin and Alice nothing.
func TestAttackSellerRepublishesSoldVersionWeights(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	llama := registerMsg(alice, "llama", "1")
	v1 := f.register(t, llama)
	if _, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "llama", "2"))); err != nil {
		t.Fatal(err)
	}
	f.give(t, alice, v1, bob)
	// Bob makes the model his: he is its only revenue share.
	if _, err := f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: bob, ModelId: v1, Shares: []common.Share{{Address: bob, Weight: 1}}}); err != nil {
		t.Fatal(err)
	}

	state := f.snapshot(t)
	copied := registerMsg(alice, "llama", "3")
	copied.Sha256, copied.Uri, copied.FeePerJob, copied.FeePer1kRows = llama.Sha256, llama.Uri, coins(1), nil
	res, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(copied))
	if err == nil {
		// Show what the accepted copy does to Bob's revenue: a requester
		// who wants W1 runs the cheaper copy, and Alice is paid for it.
		terms, terr := f.k.ModelTermsForJob(f.ta.Ctx, res.ModelId, 1000)
		if terr != nil {
			t.Fatal(terr)
		}
		pool := authtypes.NewModuleAddress(common.RewardPoolName)
		m := f.moves(denom, f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, pool)
		f.payJob(t, res.ModelId, terms, 1000)
		m.expect(t, "a job on the copy of Bob's weights", ints(1, 0, 0)...)
		t.Fatalf("Alice republished the weights of model %d, which Bob owns, as model %d at %s a job (v1 costs %s): Bob's file now earns Alice",
			v1, res.ModelId, terms.Fee, f.model(t, v1).FeePerJob)
	}
	wantErr(t, err, types.ErrWeightsTaken, "the seller republishes the sold version's weights")
	if f.snapshot(t) != state {
		t.Fatal("the refused republication changed state")
	}
	terms, err := f.k.ModelTermsForJob(f.ta.Ctx, v1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	m := f.moves(denom, f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, pool)
	f.payJob(t, v1, terms, 1000)
	// 1000 + 50 per 1k rows = 1050: 52 (5%, floor) to the pool, 998 to Bob.
	m.expect(t, "a job on Bob's v1", ints(0, 998, 52)...)
}

// TestAttackBuyerOfLatestRepublishesKeptVersionWeights is the mirror case:
// Alice sells llama's latest version (v2) to Bob and keeps v1. Bob, now the
// name's publisher, publishes v1's file as v3 at his own fees: refused, and
// nothing changes; his own file (v2's) he may publish again.
func TestAttackBuyerOfLatestRepublishesKeptVersionWeights(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	llama := registerMsg(alice, "llama", "1")
	f.register(t, llama)
	v2msg := registerMsg(alice, "llama", "2")
	res, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(v2msg))
	if err != nil {
		t.Fatal(err)
	}
	f.give(t, alice, res.ModelId, bob)
	state := f.snapshot(t)
	copied := registerMsg(bob, "llama", "3")
	copied.Sha256, copied.Uri, copied.FeePerJob, copied.FeePer1kRows = llama.Sha256, llama.Uri, coins(1), nil
	_, err = f.srv.PublishVersion(f.ta.Ctx, publishMsg(copied))
	wantErr(t, err, types.ErrWeightsTaken, "the buyer of the latest version republishes a kept version's weights")
	if f.snapshot(t) != state {
		t.Fatal("the refused republication changed state")
	}
	own := registerMsg(bob, "llama", "3")
	own.Sha256, own.Uri = v2msg.Sha256, v2msg.Uri
	if _, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(own)); err != nil {
		t.Fatalf("Bob republishing the file of the version he bought: %v", err)
	}
}

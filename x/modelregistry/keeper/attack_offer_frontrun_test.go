package keeper_test

import (
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackSellerRepublishesWeightsWhileOfferPending: Alice registers
// llama v1 (weights W1, 1,000 a job + 50 per 1k rows) and v2, and offers v1
// to Bob (MsgTransferOwnership). Bob sends MsgAcceptOwnership; Alice sees it
// and, ahead of it, publishes W1 again as llama v3 at 1 a job, with herself
// as the only share. Then Bob's acceptance lands: he owns v1, "the version
// sold takes its file with it" (checkWeights), yet W1 is already on sale as
// Alice's v3 at a thousandth of the price, for ever. checkWeights only asks
// who owns the first model of W1 *now*, and during a pending offer that is
// still the seller: the rule of TestAttackSellerRepublishesSoldVersionWeights
// is dodged by publishing one transaction earlier. The buyer cannot guard
// against it: AcceptOwnership takes no expected state.
//
// Wanted: weights whose first model is on offer cannot be published again
// (ErrOfferPending), and nothing changes; a job on Bob's v1 pays Bob.
func TestAttackSellerRepublishesWeightsWhileOfferPending(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	llama := registerMsg(alice, "llama", "1")
	v1 := f.register(t, llama)
	if _, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "llama", "2"))); err != nil {
		t.Fatal(err)
	}
	// The offer.
	if _, err := f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: v1, NewOwner: bob}); err != nil {
		t.Fatal(err)
	}

	// Alice front-runs Bob's acceptance.
	state := f.snapshot(t)
	copied := registerMsg(alice, "llama", "3")
	copied.Sha256, copied.Uri, copied.FeePerJob, copied.FeePer1kRows = llama.Sha256, llama.Uri, coins(1), nil
	res, perr := f.srv.PublishVersion(f.ta.Ctx, publishMsg(copied))
	if perr != nil {
		wantErr(t, perr, types.ErrOfferPending, "the seller republishes the weights of the version on offer")
		if f.snapshot(t) != state {
			t.Fatal("the refused republication changed state")
		}
	}

	// Bob's acceptance lands; he makes v1's revenue his. (A fix may
	// instead refuse the acceptance of a model whose file was published
	// again after the offer: then Bob has lost nothing.)
	if _, err := f.srv.AcceptOwnership(f.ta.Ctx, &types.MsgAcceptOwnership{NewOwner: bob, ModelId: v1, OfferSeq: f.model(t, v1).OfferSeq}); err != nil {
		if perr == nil {
			return
		}
		t.Fatal(err)
	}
	if _, err := f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: bob, ModelId: v1, Shares: []common.Share{{Address: bob, Weight: 1}}}); err != nil {
		t.Fatal(err)
	}

	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	if perr == nil {
		// What the accepted copy does: a requester who wants W1 runs the
		// copy, and Alice is paid for Bob's file.
		terms, err := f.k.ModelTermsForJob(f.ta.Ctx, res.ModelId, 1000)
		if err != nil {
			t.Fatal(err)
		}
		m := f.moves(denom, f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, pool)
		f.payJob(t, res.ModelId, terms, 1000)
		m.expect(t, "a job on the copy of the file Bob bought", ints(1, 0, 0)...)
		t.Fatalf("while v1 was on offer to Bob, Alice republished its weights as model %d at %s a job (v1 costs %s); "+
			"Bob accepted and owns v1, and Alice's copy earns from his file: a job on it paid Alice 1 and Bob 0",
			res.ModelId, terms.Fee, f.model(t, v1).FeePerJob)
	}
	terms, err := f.k.ModelTermsForJob(f.ta.Ctx, v1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	m := f.moves(denom, f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, pool)
	f.payJob(t, v1, terms, 1000)
	// 1000 + 50 per 1k rows = 1050: 52 (5%, floor) to the pool, 998 to Bob.
	m.expect(t, "a job on Bob's v1", ints(0, 998, 52)...)
}

// TestAttackSellerSupersedesLatestWhileOfferPending: Alice offers llama's
// latest version v1 to Bob, which carries the name: "transferring the latest
// version also hands over the right to publish the next one". Seeing Bob's
// MsgAcceptOwnership, she publishes llama v2 ahead of it (at 1 a job). Bob's
// acceptance lands on a version that is no longer the latest: the name stays
// Alice's, Bob may not publish it (ErrNotOwner), and requesters who run the
// name's latest version pay Alice. The offer binds nothing, and the
// acceptance cannot say what it accepts.
//
// Wanted: the seller cannot supersede the version on offer (her v2 is
// refused and changes nothing): once Bob accepts, he owns the name's latest
// version and may publish the next.
func TestAttackSellerSupersedesLatestWhileOfferPending(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	v1 := f.register(t, registerMsg(alice, "llama", "1"))
	if _, err := f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: v1, NewOwner: bob}); err != nil {
		t.Fatal(err)
	}

	state := f.snapshot(t)
	v2 := registerMsg(alice, "llama", "2")
	v2.FeePerJob, v2.FeePer1kRows = coins(1), nil
	if _, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(v2)); err == nil {
		t.Log("Alice published llama v2 while v1, the latest, was on offer to Bob")
	} else {
		wantErr(t, err, types.ErrOfferPending, "the seller supersedes the version on offer")
		if f.snapshot(t) != state {
			t.Fatal("the refused publication changed state")
		}
	}
	if _, err := f.srv.AcceptOwnership(f.ta.Ctx, &types.MsgAcceptOwnership{NewOwner: bob, ModelId: v1, OfferSeq: f.model(t, v1).OfferSeq}); err != nil {
		// A fix may refuse the acceptance of a version superseded after
		// the offer instead: Bob has then bought nothing he did not see.
		if m := f.model(t, v1); m.Owner == alice {
			return
		}
		t.Fatal(err)
	}

	latest, err := f.k.LatestVersion(f.ta.Ctx, "llama")
	if err != nil {
		t.Fatal(err)
	}
	if latest.Owner != bob {
		// What it costs Bob: a job on the name's latest version pays Alice.
		terms, err := f.k.ModelTermsForJob(f.ta.Ctx, latest.Id, 1000)
		if err != nil {
			t.Fatal(err)
		}
		pool := authtypes.NewModuleAddress(common.RewardPoolName)
		m := f.moves(denom, f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, pool)
		f.payJob(t, latest.Id, terms, 1000)
		m.expect(t, "a job on llama's latest version", ints(1, 0, 0)...)
		_, perr := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(bob, "llama", "3")))
		t.Fatalf("Bob accepted llama's latest version (model %d) but the name's latest is now Alice's model %d: "+
			"a job on it paid Alice 1 and Bob 0, and Bob's next version is refused (%v)", v1, latest.Id, perr)
	}
	if _, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(bob, "llama", "3"))); err != nil {
		t.Fatalf("Bob, owner of llama's latest version, publishes the next: %v", err)
	}
}

// TestAttackSellerDeprecatesModelWhileOfferPending: Alice offers llama v1 to
// Bob and, seeing his MsgAcceptOwnership, deprecates it ahead of it. Bob's
// acceptance lands: he owns a model that takes no new job, whose fees and
// shares can no longer change, and that no one can make active again. The
// offer binds nothing, and the acceptance cannot say what it accepts.
//
// Wanted: Bob never ends up owning a model deprecated after the offer he
// accepted (either the deprecation of a model on offer is refused, or the
// acceptance of one deprecated since the offer is).
func TestAttackSellerDeprecatesModelWhileOfferPending(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	v1 := f.register(t, registerMsg(alice, "llama", "1"))
	if _, err := f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: v1, NewOwner: bob}); err != nil {
		t.Fatal(err)
	}
	_, derr := f.srv.DeprecateModel(f.ta.Ctx, &types.MsgDeprecateModel{Owner: alice, ModelId: v1})
	if derr != nil {
		wantErr(t, derr, types.ErrOfferPending, "the seller deprecates the model on offer")
	}
	_, aerr := f.srv.AcceptOwnership(f.ta.Ctx, &types.MsgAcceptOwnership{NewOwner: bob, ModelId: v1, OfferSeq: f.model(t, v1).OfferSeq})
	m := f.model(t, v1)
	if derr == nil && aerr == nil && m.Owner == bob && m.Status == types.MODEL_STATUS_DEPRECATED {
		_, terr := f.k.ModelTermsForJob(f.ta.Ctx, v1, 1000)
		t.Fatalf("Bob accepted model %d, deprecated by Alice while on offer to him: he owns a model that takes no job (%v)", v1, terr)
	}
	if aerr == nil && m.Status != types.MODEL_STATUS_ACTIVE {
		t.Fatalf("Bob owns model %d in status %s", v1, m.Status)
	}
}

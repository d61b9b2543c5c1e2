package keeper_test

import (
	"strings"
	"testing"

	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestUpdateUri: the owner moves its model's weights to another uri, on a
// deprecated model too (its running jobs still need them); the file, its
// sha256, stays. Anyone else, an empty or spaced uri, one past the params'
// max_uri_length and a model on offer are refused, and change nothing.
func TestUpdateUri(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	id := f.register(t, registerMsg(alice, "m", "1"))
	sha := f.model(t, id).Sha256

	mirror := "https://mirror.example/m-1.safetensors"
	if _, err := f.srv.UpdateUri(f.ta.Ctx, &types.MsgUpdateUri{Owner: alice, ModelId: id, Uri: mirror}); err != nil {
		t.Fatal(err)
	}
	if m := f.model(t, id); m.Uri != mirror || m.Sha256 != sha {
		t.Fatalf("after update-uri: uri %q sha256 %s, want %q and the same file %s", m.Uri, m.Sha256, mirror, sha)
	}
	if !hasEvent(f.ta.Ctx, "aichain.modelregistry.v1.EventUriUpdated") {
		t.Fatal("EventUriUpdated missing")
	}

	before := f.snapshot(t)
	_, err := f.srv.UpdateUri(f.ta.Ctx, &types.MsgUpdateUri{Owner: bob, ModelId: id, Uri: "https://bob.example/w"})
	wantErr(t, err, types.ErrNotOwner, "non-owner moves the weights")
	_, err = f.srv.UpdateUri(f.ta.Ctx, &types.MsgUpdateUri{Owner: alice, ModelId: 99, Uri: mirror})
	wantErr(t, err, types.ErrModelNotFound, "unknown model")
	for _, bad := range []string{"", "https://m.example/a b", "https://m.example/\x00"} {
		_, err = f.srv.UpdateUri(f.ta.Ctx, &types.MsgUpdateUri{Owner: alice, ModelId: id, Uri: bad})
		wantErr(t, err, types.ErrInvalidModel, "uri "+bad)
	}
	params, err := f.k.Params.Get(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	long := "https://m.example/" + strings.Repeat("a", int(params.MaxUriLength))
	_, err = f.srv.UpdateUri(f.ta.Ctx, &types.MsgUpdateUri{Owner: alice, ModelId: id, Uri: long})
	wantErr(t, err, types.ErrInvalidModel, "uri past max_uri_length")
	if _, err := f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: id, NewOwner: bob}); err != nil {
		t.Fatal(err)
	}
	before = f.snapshot(t) // the offer recorded
	_, err = f.srv.UpdateUri(f.ta.Ctx, &types.MsgUpdateUri{Owner: alice, ModelId: id, Uri: "https://alice.example/gone"})
	wantErr(t, err, types.ErrOfferPending, "the seller moves the weights of a model on offer")
	if after := f.snapshot(t); after != before {
		t.Fatal("a refused update-uri changed the state")
	}

	// Deprecated: its running jobs still fetch the weights.
	dep := f.register(t, registerMsg(alice, "d", "1"))
	if _, err := f.srv.DeprecateModel(f.ta.Ctx, &types.MsgDeprecateModel{Owner: alice, ModelId: dep}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.UpdateUri(f.ta.Ctx, &types.MsgUpdateUri{Owner: alice, ModelId: dep, Uri: mirror}); err != nil {
		t.Fatalf("update-uri of a deprecated model: %v", err)
	}
}

// TestBuyerMovesBoughtWeights: the owner vouches for its weights'
// availability with its bond (x/compute ModelBond: a job another account
// creates on the model locks it, and an abort that finds the weights gone
// pays it to the requester), yet a bought model's uri is the seller's
// server. Before MsgUpdateUri the buyer could not move them (a version's uri
// never changed, and only the name's latest version's owner may publish the
// file again), so a seller that kept the server could take the weights down
// after the sale and have accomplices' jobs draw on the buyer's bond. Now
// the buyer points the model at its own mirror in the transaction that
// accepts it, and the seller can no longer move it.
func TestBuyerMovesBoughtWeights(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	v1 := f.register(t, registerMsg(alice, "llama", "1"))
	if _, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "llama", "2"))); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: v1, NewOwner: bob}); err != nil {
		t.Fatal(err)
	}
	// Bob's one transaction: accept, then move the weights.
	if _, err := f.srv.AcceptOwnership(f.ta.Ctx, &types.MsgAcceptOwnership{NewOwner: bob, ModelId: v1, OfferSeq: f.model(t, v1).OfferSeq}); err != nil {
		t.Fatal(err)
	}
	bobs := "https://bob.example/llama-1.safetensors"
	if _, err := f.srv.UpdateUri(f.ta.Ctx, &types.MsgUpdateUri{Owner: bob, ModelId: v1, Uri: bobs}); err != nil {
		t.Fatalf("the buyer moves the weights it bought: %v", err)
	}
	// Alice, who kept v2 and the name, cannot move v1's weights back.
	_, err := f.srv.UpdateUri(f.ta.Ctx, &types.MsgUpdateUri{Owner: alice, ModelId: v1, Uri: "https://alice.example/gone"})
	wantErr(t, err, types.ErrNotOwner, "the seller moves the sold model's weights")
	res, err := f.q.Model(f.ta.Ctx, &types.QueryModelRequest{Id: v1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Model.Uri != bobs || res.Model.Owner != bob {
		t.Fatalf("model %d as a verifier reads it: uri %q owner %s, want %q and bob", v1, res.Model.Uri, res.Model.Owner, bobs)
	}
}

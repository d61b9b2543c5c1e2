package keeper_test

import (
	"errors"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/keeper"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackPushedModelSellsUnderTheVictimsName: a transfer needed no
// consent, so mallory could register a model whose every share is hers and
// give it to alice, a known creator. The chain then listed it as alice's
// (its owner, and among her models), requesters who choose models by their
// creator used it, and each job's model fee went to mallory. A transfer is
// now an offer that the recipient accepts: until alice does, the model is
// mallory's, and it is not among alice's models.
func TestAttackPushedModelSellsUnderTheVictimsName(t *testing.T) {
	f := setup(t)
	alice, mallory := f.addr(0), f.addr(3)
	id := f.register(t, registerMsg(mallory, "alice-llama", "1", common.Share{Address: mallory, Weight: 1}))
	mv := f.moves(denom, sdk.MustAccAddressFromBech32(alice), sdk.MustAccAddressFromBech32(mallory))
	if _, err := f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: mallory, ModelId: id, NewOwner: alice}); err != nil {
		t.Fatal(err)
	}
	mv.expect(t, "the offer", ints(0, 0)...)
	if m := f.model(t, id); m.Owner != mallory || m.PendingOwner != alice {
		t.Fatalf("model %d: owner %s, pending %s; want mallory's, offered to alice", id, m.Owner, m.PendingOwner)
	}
	res, err := f.q.Models(f.ta.Ctx, &types.QueryModelsRequest{Owner: alice})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Models) != 0 {
		t.Fatalf("alice's models list %d she never accepted: requesters take them for hers", len(res.Models))
	}
}

// TestModelOwnershipOffer: only the account offered a model takes it, only
// while the offer stands; a later offer replaces the earlier; the owner keeps
// the model until the offer is accepted, and may withdraw it.
func TestModelOwnershipOffer(t *testing.T) {
	f := setup(t)
	alice, bob, carol := f.addr(0), f.addr(1), f.addr(2)
	id := f.register(t, registerMsg(alice, "m", "1"))
	accept := func(who string) error {
		_, err := f.srv.AcceptOwnership(f.ta.Ctx, &types.MsgAcceptOwnership{NewOwner: who, ModelId: id, OfferSeq: f.model(t, id).OfferSeq})
		return err
	}
	offer := func(to string) {
		t.Helper()
		if _, err := f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: id, NewOwner: to}); err != nil {
			t.Fatal(err)
		}
	}
	refused := func(what string, want error, err error) {
		t.Helper()
		before := f.snapshot(t)
		wantErr(t, err, want, what)
		if f.snapshot(t) != before {
			t.Fatalf("%s changed state", what)
		}
	}
	refused("accept with no offer", types.ErrNoTransferOffer, accept(bob))
	_, err := f.srv.CancelOwnershipTransfer(f.ta.Ctx, &types.MsgCancelOwnershipTransfer{Owner: alice, ModelId: id})
	refused("cancel with no offer", types.ErrNoTransferOffer, err)
	_, err = f.srv.AcceptOwnership(f.ta.Ctx, &types.MsgAcceptOwnership{NewOwner: bob, ModelId: 99})
	refused("accept of an unknown model", types.ErrModelNotFound, err)

	offer(bob)
	refused("accept by another account", types.ErrNoTransferOffer, accept(carol))
	_, err = f.srv.CancelOwnershipTransfer(f.ta.Ctx, &types.MsgCancelOwnershipTransfer{Owner: bob, ModelId: id})
	refused("cancel by the recipient", types.ErrNotOwner, err)
	_, err = f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: bob, ModelId: id, FeePerJob: coins(1)})
	refused("fees set by the recipient before it accepts", types.ErrNotOwner, err)
	_, err = f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(bob, "m", "2")))
	refused("a version published by the recipient before it accepts", types.ErrNotOwner, err)

	offer(carol) // replaces bob's
	refused("accept of a replaced offer", types.ErrNoTransferOffer, accept(bob))
	if _, err := f.srv.CancelOwnershipTransfer(f.ta.Ctx, &types.MsgCancelOwnershipTransfer{Owner: alice, ModelId: id}); err != nil {
		t.Fatal(err)
	}
	if m := f.model(t, id); m.Owner != alice || m.PendingOwner != "" {
		t.Fatalf("after the cancel: owner %s, pending %q", m.Owner, m.PendingOwner)
	}
	refused("accept of a withdrawn offer", types.ErrNoTransferOffer, accept(carol))

	// An acceptance names its offer: one of an offer withdrawn and made
	// again is refused.
	offer(bob)
	stale := f.model(t, id).OfferSeq
	if _, err := f.srv.CancelOwnershipTransfer(f.ta.Ctx, &types.MsgCancelOwnershipTransfer{Owner: alice, ModelId: id}); err != nil {
		t.Fatal(err)
	}
	offer(bob)
	_, err = f.srv.AcceptOwnership(f.ta.Ctx, &types.MsgAcceptOwnership{NewOwner: bob, ModelId: id, OfferSeq: stale})
	refused("accept of an offer withdrawn and made again", types.ErrOfferChanged, err)

	// Offered under another spelling of bob's address, taken under a third.
	offer(strings.ToUpper(bob))
	if m := f.model(t, id); m.PendingOwner != bob {
		t.Fatalf("pending_owner %q, want the canonical %s", m.PendingOwner, bob)
	}
	if err := accept(strings.ToUpper(bob)); err != nil {
		t.Fatal(err)
	}
	if m := f.model(t, id); m.Owner != bob || m.PendingOwner != "" {
		t.Fatalf("after the accept: owner %s, pending %q", m.Owner, m.PendingOwner)
	}
	refused("accept twice", types.ErrNoTransferOffer, accept(bob))
	_, err = f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: id, NewOwner: carol})
	refused("the previous owner offers it again", types.ErrNotOwner, err)
}

// TestGenesisKeepsOwnershipOffer: an offer pending at an export stands after
// the import, and the recipient takes it there; a pending owner that is the
// owner, or not in canonical form, is refused at import.
func TestGenesisKeepsOwnershipOffer(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	id := f.register(t, registerMsg(alice, "m", "1"))
	if _, err := f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: id, NewOwner: bob}); err != nil {
		t.Fatal(err)
	}
	gs, err := f.k.ExportGenesis(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	fresh := apptesting.Setup(t, 1)
	if err := fresh.ModelRegistryKeeper.InitGenesis(fresh.Ctx, gs); err != nil {
		t.Fatalf("import: %v", err)
	}
	srv := keeper.NewMsgServerImpl(fresh.ModelRegistryKeeper)
	if _, err := srv.AcceptOwnership(fresh.Ctx, &types.MsgAcceptOwnership{NewOwner: bob, ModelId: id, OfferSeq: 1}); err != nil {
		t.Fatalf("the offer after the import: %v", err)
	}
	if m, err := fresh.ModelRegistryKeeper.GetModel(fresh.Ctx, id); err != nil || m.Owner != bob || m.PendingOwner != "" {
		t.Fatalf("after the accept on the imported chain: %+v, %v", m, err)
	}
	for _, bad := range []string{alice, strings.ToUpper(bob), "aic1"} {
		gs.Models[0].PendingOwner = bad
		if err := gs.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
			t.Errorf("pending_owner %q at import: %v, want %v", bad, err, types.ErrInvalidGenesis)
		}
	}
}

package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

func TestUpdateFeesAndShares(t *testing.T) {
	f := setup(t)
	alice, bob, carol := f.addr(0), f.addr(1), f.addr(2)
	id := f.register(t, registerMsg(alice, "m", "1"))

	if _, err := f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: alice, ModelId: id, FeePerJob: coins(7), FeePer1kRows: nil}); err != nil {
		t.Fatal(err)
	}
	m := f.model(t, id)
	if !m.FeePerJob.Equal(coins(7)) || !m.FeePer1kRows.IsZero() {
		t.Fatalf("fees after update: %s + %s per 1k rows", m.FeePerJob, m.FeePer1kRows)
	}
	shares := []common.Share{{Address: bob, Weight: 1}, {Address: carol, Weight: 3}}
	if _, err := f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: id, Shares: shares}); err != nil {
		t.Fatal(err)
	}
	terms, err := f.k.ModelTermsForJob(f.ta.Ctx, id, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if !terms.Fee.Equal(coins(7)) || len(terms.Shares) != 2 || terms.Shares[1].Address != carol || terms.InputDim != 4 || terms.OutputDim != 3 {
		t.Fatalf("terms after updates: %+v", terms)
	}
	if !hasEvent(f.ta.Ctx, "aichain.modelregistry.v1.EventFeesUpdated") || !hasEvent(f.ta.Ctx, "aichain.modelregistry.v1.EventSharesUpdated") {
		t.Fatal("update events missing")
	}

	before := f.snapshot(t)
	_, err = f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: bob, ModelId: id, FeePerJob: coins(1)})
	wantErr(t, err, types.ErrNotOwner, "non-owner updates fees")
	_, err = f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: alice, ModelId: 99, FeePerJob: coins(1)})
	wantErr(t, err, types.ErrModelNotFound, "unknown model")
	unsorted := sdk.Coins{sdk.NewInt64Coin("uzz", 1), sdk.NewInt64Coin("uaa", 1)}
	_, err = f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: alice, ModelId: id, FeePerJob: unsorted})
	wantErr(t, err, types.ErrInvalidFees, "unsorted fee coins")
	_, err = f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: bob, ModelId: id, Shares: shares})
	wantErr(t, err, types.ErrNotOwner, "non-owner updates shares")
	_, err = f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: id, Shares: []common.Share{{Address: bob, Weight: 0}}})
	wantErr(t, err, types.ErrInvalidShares, "zero-weight share")
	_, err = f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: id, Shares: nil})
	wantErr(t, err, types.ErrInvalidShares, "no shares")
	_, err = f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: id, Shares: []common.Share{{Address: "aic1bad", Weight: 1}}})
	wantErr(t, err, types.ErrInvalidShares, "bad share address")
	_, err = f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: 0, Shares: shares})
	wantErr(t, err, types.ErrInvalidModel, "model id 0")
	if after := f.snapshot(t); after != before {
		t.Fatal("failed updates changed state")
	}
}

func TestDeprecateModel(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	id := f.register(t, registerMsg(alice, "m", "1"))

	_, err := f.srv.DeprecateModel(f.ta.Ctx, &types.MsgDeprecateModel{Owner: bob, ModelId: id})
	wantErr(t, err, types.ErrNotOwner, "non-owner deprecates")
	if _, err := f.srv.DeprecateModel(f.ta.Ctx, &types.MsgDeprecateModel{Owner: alice, ModelId: id}); err != nil {
		t.Fatal(err)
	}
	if f.model(t, id).Status != types.MODEL_STATUS_DEPRECATED {
		t.Fatal("model not deprecated")
	}
	if !hasEvent(f.ta.Ctx, "aichain.modelregistry.v1.EventModelDeprecated") {
		t.Fatal("no EventModelDeprecated")
	}
	// No new job may use it.
	_, err = f.k.ModelTermsForJob(f.ta.Ctx, id, 100)
	wantErr(t, err, types.ErrDeprecated, "terms of a deprecated model")

	before := f.snapshot(t)
	_, err = f.srv.DeprecateModel(f.ta.Ctx, &types.MsgDeprecateModel{Owner: alice, ModelId: id})
	wantErr(t, err, types.ErrDeprecated, "deprecated twice")
	_, err = f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: alice, ModelId: id, FeePerJob: coins(1)})
	wantErr(t, err, types.ErrDeprecated, "fees of a deprecated model")
	_, err = f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: id, Shares: []common.Share{{Address: bob, Weight: 1}}})
	wantErr(t, err, types.ErrDeprecated, "shares of a deprecated model")
	_, err = f.srv.DeprecateModel(f.ta.Ctx, &types.MsgDeprecateModel{Owner: alice, ModelId: 42})
	wantErr(t, err, types.ErrModelNotFound, "unknown model")
	if after := f.snapshot(t); after != before {
		t.Fatal("failed deprecations changed state")
	}

	// A job created before the deprecation still settles and pays the model.
	fee := coins(1000)
	if err := f.ta.BankKeeper.MintCoins(f.ta.Ctx, minttypes.ModuleName, fee); err != nil {
		t.Fatal(err)
	}
	if err := f.k.PayModelFee(f.ta.Ctx, id, minttypes.ModuleName, fee, []common.Share{{Address: alice, Weight: 1}}, 10); err != nil {
		t.Fatalf("pay a deprecated model's fee for an old job: %v", err)
	}
	if u := f.model(t, id).Usage; u.Jobs != 1 || u.Rows != 10 {
		t.Fatalf("usage %+v, want 1 job and 10 rows", u)
	}
}

func TestTransferOwnership(t *testing.T) {
	f := setup(t)
	alice, bob, carol := f.addr(0), f.addr(1), f.addr(2)
	id := f.register(t, registerMsg(alice, "m", "1"))

	before := f.snapshot(t)
	_, err := f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: bob, ModelId: id, NewOwner: carol})
	wantErr(t, err, types.ErrNotOwner, "non-owner transfers")
	_, err = f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: id, NewOwner: alice})
	wantErr(t, err, types.ErrInvalidAddress, "transfer to self")
	_, err = f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: id, NewOwner: "aic1bad"})
	wantErr(t, err, types.ErrInvalidAddress, "bad new owner")
	_, err = f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: 7, NewOwner: bob})
	wantErr(t, err, types.ErrModelNotFound, "unknown model")
	if after := f.snapshot(t); after != before {
		t.Fatal("failed transfers changed state")
	}

	f.give(t, alice, id, bob)
	if m := f.model(t, id); m.Owner != bob || m.PendingOwner != "" {
		t.Fatalf("owner %s, pending %q after the accept", m.Owner, m.PendingOwner)
	}
	// The old owner is refused from now on; the new owner may act.
	_, err = f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: alice, ModelId: id, FeePerJob: coins(1)})
	wantErr(t, err, types.ErrNotOwner, "old owner updates fees")
	_, err = f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "m", "2")))
	wantErr(t, err, types.ErrNotOwner, "old owner publishes")
	if _, err := f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: bob, ModelId: id, FeePerJob: coins(1)}); err != nil {
		t.Fatalf("new owner updates fees: %v", err)
	}
	if _, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(bob, "m", "2"))); err != nil {
		t.Fatalf("new owner publishes: %v", err)
	}
	// The owner index follows the transfer.
	res, err := f.q.Models(f.ta.Ctx, &types.QueryModelsRequest{Owner: alice})
	if err != nil || len(res.Models) != 0 {
		t.Fatalf("alice's models after transfer: %v %v", res, err)
	}
	res, err = f.q.Models(f.ta.Ctx, &types.QueryModelsRequest{Owner: bob})
	if err != nil || len(res.Models) != 2 {
		t.Fatalf("bob's models after transfer: %v %v", res, err)
	}
}

func TestUpdateParams(t *testing.T) {
	f := setup(t)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	if f.k.GetAuthority() != gov {
		t.Fatalf("authority %s, want the gov module %s", f.k.GetAuthority(), gov)
	}
	before, err := f.k.Params.Get(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := types.DefaultParams()
	p.WeightsCommitDelayBlocks = 0 // the test chain registers without commitments (apptesting)
	p.PlatformFeeBps = 1234
	_, err = f.srv.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: f.addr(0), Params: p})
	wantErr(t, err, types.ErrInvalidSigner, "non-gov authority")
	bad := p
	bad.PlatformFeeBps = 10_001
	_, err = f.srv.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: bad})
	wantErr(t, err, types.ErrInvalidParams, "fee over 100%")
	bad = p
	bad.MaxNameLength = 0
	_, err = f.srv.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: bad})
	wantErr(t, err, types.ErrInvalidParams, "zero name length")
	if got, _ := f.k.Params.Get(f.ta.Ctx); got != before {
		t.Fatalf("params changed by refused updates: %+v", got)
	}
	if _, err := f.srv.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: p}); err != nil {
		t.Fatal(err)
	}
	res, err := f.q.Params(f.ta.Ctx, &types.QueryParamsRequest{})
	if err != nil || res.Params.PlatformFeeBps != 1234 {
		t.Fatalf("params after update: %v %v", res, err)
	}
}

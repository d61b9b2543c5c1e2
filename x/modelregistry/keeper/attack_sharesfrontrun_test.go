package keeper_test

import (
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackSellerReroutesModelSharesWhileOfferPending: Alice sells llama
// v1 to Bob off chain. As agreed she first routes its revenue to Bob
// (shares [bob:1]) and offers it to him; Bob reads the model, shares and
// fees included, and signs MsgAcceptOwnership naming that offer. Seeing
// the acceptance in the mempool, Alice slips in ahead of it new shares
// [alice:1] and a fee of 1 a job: while an offer is pending she may not
// deprecate the model or publish its weights again (ErrOfferPending), but
// she could still replace its shares and fees, and neither changes the
// offer's offer_seq. Bob then owned a model whose jobs paid Alice, and
// every job created until he noticed kept those terms for its life (here a
// job created right after the acceptance: 950 to Alice, nothing to Bob).
// Now both are refused while the offer is pending (ErrOfferPending, nothing
// changes) and the job pays Bob its 1,000 at the terms he accepted.
func TestAttackSellerReroutesModelSharesWhileOfferPending(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	v1 := f.register(t, registerMsg(alice, "llama", "1", common.Share{Address: bob, Weight: 1}))
	if _, err := f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: v1, NewOwner: bob}); err != nil {
		t.Fatal(err)
	}
	seen := f.model(t, v1) // what Bob read before signing his acceptance

	// Alice's front-run, ahead of the acceptance in the same block.
	_, sharesErr := f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: v1,
		Shares: []common.Share{{Address: alice, Weight: 1}}})
	_, feesErr := f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: alice, ModelId: v1, FeePerJob: coins(1)})
	if _, err := f.srv.AcceptOwnership(f.ta.Ctx, &types.MsgAcceptOwnership{NewOwner: bob, ModelId: v1, OfferSeq: seen.OfferSeq}); err != nil {
		t.Fatal(err)
	}
	for what, err := range map[string]error{"shares": sharesErr, "fees": feesErr} {
		if !errors.Is(err, types.ErrOfferPending) {
			t.Errorf("the seller replaced the %s of model %d while it was on offer: %v, want ErrOfferPending", what, v1, err)
		}
	}
	m := f.model(t, v1)
	if m.Owner != bob || !sdk.Coins(m.FeePerJob).Equal(seen.FeePerJob) || len(m.Shares) != 1 || m.Shares[0].Address != bob {
		t.Errorf("model %d after the acceptance: owner %s, fee %s a job, shares %v; Bob accepted fee %s, shares %v",
			v1, m.Owner, m.FeePerJob, m.Shares, seen.FeePerJob, seen.Shares)
	}

	// A job created right after the acceptance, paid at settlement.
	terms, err := f.k.ModelTermsForJob(f.ta.Ctx, v1, 0)
	if err != nil {
		t.Fatal(err)
	}
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	mv := f.moves(denom, f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, pool)
	f.payJob(t, v1, terms, 0)
	mv.expect(t, "a job created after the acceptance", ints(0, 950, 50)...)
}

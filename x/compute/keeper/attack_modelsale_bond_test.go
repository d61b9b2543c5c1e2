package keeper_test

import (
	"bytes"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackBuyerTakesDownBoughtWeightsToCollectSellersBond: an honest
// seller, who vouches for its model with an availability bond, offers the
// model to a buyer (MsgTransferOwnership). While the offer is pending (the
// seller may not deprecate the model then: ErrOfferPending) the buyer
// creates a job on the model over a dataset its second account (the one
// that runs its provider) lists, priced at the seller's whole free bond: the
// job locks that much of the SELLER's bond (model_bonder = the owner at
// creation). The buyer's provider wins; the buyer accepts the offer and, in
// the same transaction, points the model's uri at a server that serves
// nothing (MsgUpdateUri, which the buyer now controls), and its provider
// aborts for unavailable inputs. Verifiers fetched the weights from the
// model's current uri alone, found them gone, the abort stood, and the
// seller's bond paid the buyer (as requester) while the dataset fee went to
// the buyer's second account: the buyer gained 47,750 of the seller's
// 50,000, though the seller's server still served the weights.
//
// The job now keeps the uri its bond vouched for (Job.model_uri), and the
// input check lists it (PendingVerification.model_uri): a sidecar falls
// back to it when the model's uri fails, finds the seller's server serving
// the weights (sidecar TestAttackBuyerRepointsBoughtModelToVoteInputsGone,
// and the localnet's TestAttackBuyerTakesDownBoughtWeightsLocalnet), and
// votes INPUTS_AVAILABLE: the abort is the buyer's provider's timeout, and
// the seller is whole.
func TestAttackBuyerTakesDownBoughtWeightsToCollectSellersBond(t *testing.T) {
	const stake = 50_000 // the seller's bond, and the buyer's dataset fee
	s := newSuite(t)
	s.setParams(attackParams())
	seller, buyer, buyerProv := s.acc(0), s.acc(1), s.acc(2)
	s.registerAny(buyerProv, 1_000_000)
	w := s.splitInputs(seller, buyer, nil, 40)
	modelID := w.Mlp.ModelId
	sellerURI := s.model(modelID).Uri
	// A dataset of the buyer's second account (its provider's; a job on
	// the requester's own dataset pays no fee), priced at the seller's bond.
	d, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).ListDataset(s.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: buyerProv.String(), Name: "rows-dear", Format: "npy-f32", Rows: 40, Cols: 3, RowsPerChunk: 8,
		ContentRoot: bytes.Repeat([]byte{9}, 32), Sha256: string(bytes.Repeat([]byte("ce"), 32)), RowsSha256: string(bytes.Repeat([]byte("ce"), 32)),
		Uri:    "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(coin(stake))}},
	})
	must(t, err)
	w.Mlp.DatasetId = d.DatasetId
	s.postModelBond(seller, stake)

	mr := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper)
	if _, err := mr.TransferOwnership(s.ta.Ctx, &mrtypes.MsgTransferOwnership{Owner: seller.String(), ModelId: modelID, NewOwner: buyer.String()}); err != nil {
		t.Fatal(err)
	}
	l := s.ledger(seller, buyer, buyerProv)
	provBond := s.provider(buyerProv).Bond.Amount

	// While the offer is pending: the buyer's job on the seller's model.
	m := s.createMsg(buyer, stake)
	m.Workload = w
	m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(modelFee)), sdk.NewCoins(coin(stake))
	id := s.mlpJobWith(m)
	s.modelBondOf(seller, stake, stake)
	if j := s.job(id); j.ModelBonder != seller.String() || j.ModelUri != sellerURI {
		t.Fatalf("the job locked the bond of %s and keeps the uri %q, want the seller %s and its uri %q", j.ModelBonder, j.ModelUri, seller, sellerURI)
	}
	s.win(buyerProv, id, stake)

	// The buyer's one transaction: accept, and move the weights to nowhere;
	// its provider aborts. What the validators' sidecars are asked: the
	// model's uri is the buyer's, and the job's is still the seller's.
	s.buyerRepointsAndAborts(buyer, buyerProv, modelID, id, sellerURI)

	// The seller's server serves the weights there: honest validators find
	// the inputs available, and the abort is the buyer's provider's timeout.
	s.verdicts(id, types.Verdict_VERDICT_INPUTS_AVAILABLE, 'a', 10, 10, 10)
	s.nextPast(id)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	s.modelBondOf(seller, stake, 0)
	l.delta("honest seller", seller, 0)
	// The buyer's accounts, its provider's bond with them, paid for the
	// timeout.
	got := s.worth(buyer).Add(s.worth(buyerProv)).Sub(l.before[buyer.String()]).Sub(l.before[buyerProv.String()])
	got = got.Add(s.provider(buyerProv).Bond.Amount).Sub(provBond)
	if !got.IsNegative() {
		t.Fatalf("the buyer's accounts, with its provider's bond, changed by %s, want a loss (its provider's timeout)", got)
	}
	t.Logf("the buyer's accounts, with its provider's bond: %s", got)
}

// model reads a model's record.
func (s *suite) model(id uint64) mrtypes.Model {
	s.t.Helper()
	m, err := s.ta.ModelRegistryKeeper.GetModel(s.ta.Ctx, id)
	must(s.t, err)
	return m
}

// buyerRepointsAndAborts is a model buyer's one transaction: it accepts the
// pending sale of modelID, points the model's uri at nothing, and its
// provider aborts job id for unavailable inputs. It checks that the input
// check the validators are asked lists job id with the uri the job kept,
// jobURI, where the model's own is the buyer's.
func (s *suite) buyerRepointsAndAborts(buyer, buyerProv sdk.AccAddress, modelID, id uint64, jobURI string) {
	s.t.Helper()
	const gone = "https://buyer.example/gone"
	mr := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper)
	if _, err := mr.AcceptOwnership(s.ta.Ctx, &mrtypes.MsgAcceptOwnership{NewOwner: buyer.String(), ModelId: modelID, OfferSeq: s.model(modelID).OfferSeq}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := mr.UpdateUri(s.ta.Ctx, &mrtypes.MsgUpdateUri{Owner: buyer.String(), ModelId: modelID, Uri: gone}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.ms.AbortJob(s.ta.Ctx, &types.MsgAbortJob{Provider: buyerProv.String(), JobId: id, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE}); err != nil {
		s.t.Fatalf("abort: %v", err)
	}
	s.inv()
	res, err := s.q.PendingVerifications(s.ta.Ctx, &types.QueryPendingVerificationsRequest{})
	must(s.t, err)
	if len(res.Pending) != 1 || res.Pending[0].JobId != id || !res.Pending[0].InputsCheck {
		s.t.Fatalf("pending verifications %+v, want job %d's input check", res.Pending, id)
	}
	if pv := res.Pending[0]; pv.ModelUri != jobURI || s.model(modelID).Uri != gone {
		s.t.Fatalf("the input check lists the model uri %q (the model's is %q), want the seller's %q, the job's",
			pv.ModelUri, s.model(modelID).Uri, jobURI)
	}
}

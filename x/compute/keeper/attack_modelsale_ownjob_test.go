package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackBuyerRepointsModelToVoidSellersOwnJob: a seller runs a job on
// its own model over a paid dataset (a requester owning the model locks no
// bond), and offers the model for sale. The buyer's provider wins the job;
// the buyer accepts and, in the same transaction, points the model's uri at
// nothing, and its provider aborts for unavailable inputs. A job kept the
// model's uri only with a bond (lockModelBond), so this one kept none: the
// input check's sidecars had only the buyer's uri, found nothing, voted the
// inputs unavailable, and the abort stood: the seller paid the dataset fee
// from its escrow for no output. A job without a dataset fee, which locks no
// bond either, was as exposed to the model's next owner. Now every job over
// a model keeps its uri at creation (newJob), and the input check lists it
// (PendingVerification.model_uri), where a sidecar falls back when the
// model's uri fails (sidecar TestAttackBuyerRepointsBoughtModelToVoteInputsGone).
func TestAttackBuyerRepointsModelToVoidSellersOwnJob(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	seller, buyer, buyerProv, other := s.acc(0), s.acc(1), s.acc(2), s.acc(3)
	s.registerAny(buyerProv, 1_000_000)
	w := s.splitInputs(seller, other, nil, 40)
	modelID := w.Mlp.ModelId
	sellerURI := s.model(modelID).Uri

	// The seller's own job: its dataset fee locks no bond.
	m := s.createMsg(seller, 50_000)
	m.Workload = w
	m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(modelFee)), sdk.NewCoins(coin(datasetFee))
	id := s.mlpJobWith(m)
	if j := s.job(id); !j.ModelBond.IsZero() || j.ModelUri != sellerURI {
		t.Fatalf("the seller's own job locked %s and keeps the uri %q, want no bond and the model's uri %q", j.ModelBond, j.ModelUri, sellerURI)
	}
	// Another requester's job over the model and its own dataset (no
	// dataset fee, so no bond) keeps it too.
	fm := s.createMsg(other, 50_000)
	fm.Workload, fm.MaxModelFee = w, sdk.NewCoins(coin(modelFee))
	if j := s.job(s.mlpJobWith(fm)); !j.ModelBond.IsZero() || !j.DatasetFee.IsZero() || j.ModelUri != sellerURI {
		t.Fatalf("a job without a dataset fee locked %s and keeps the uri %q, want no bond and the model's uri %q", j.ModelBond, j.ModelUri, sellerURI)
	}

	mr := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper)
	if _, err := mr.TransferOwnership(s.ta.Ctx, &mrtypes.MsgTransferOwnership{Owner: seller.String(), ModelId: modelID, NewOwner: buyer.String()}); err != nil {
		t.Fatal(err)
	}
	s.win(buyerProv, id, 50_000)
	s.buyerRepointsAndAborts(buyer, buyerProv, modelID, id, sellerURI)
}

package keeper_test

import (
	"bytes"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackTimeoutOnIBCJobWithDatasetFee: an mlp job priced in the voucher
// over a dataset priced in the voucher (and a model in uaic) times out after
// its winner was granted the data. Per denom, to the coin: the dataset fee
// owed goes to the dataset's owner in vouchers; the requester gets the rest
// of its escrow back in both denoms and a compensation capped, denom by
// denom, at what it lost (the 1,000 uaic creation fee; the 700-voucher
// dataset fee), so it ends with −500 uaic and no voucher gained; the rest of
// the penalty (bond lock in uaic, price collateral in vouchers) goes to the
// reward pool.
func TestAttackTimeoutOnIBCJobWithDatasetFee(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	s.allowIBC()
	req, prov, owner := s.acc(0), s.acc(1), s.acc(5)
	s.registerAny(prov, 1_000_000)
	s.fundIBC(1_000_000, req, prov)
	w := s.mlpInputs(owner)
	_, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).ListDataset(s.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: owner.String(), Name: "rows-ibc", Format: "npy-f32", Rows: 40, Cols: 3, RowsPerChunk: 8,
		ContentRoot: bytes.Repeat([]byte{9}, 32), Sha256: string(bytes.Repeat([]byte("ce"), 32)), RowsSha256: string(bytes.Repeat([]byte("ce"), 32)),
		Uri:    "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(icoin(datasetFee))}},
	})
	must(t, err)
	w.Mlp.DatasetId = 2
	// The model's owner vouches for it in the dataset fee's denom too.
	s.fundIBC(datasetFee, owner)
	_, err = s.ms.PostModelBond(s.ta.Ctx, &types.MsgPostModelBond{Owner: owner.String(), Amount: sdk.NewCoins(icoin(datasetFee))})
	must(t, err)
	l, il := s.ledger(req, prov, owner), s.iledger(req, prov, owner)

	m := s.createMsg(req, 0)
	m.Workload, m.MaxPrice = w, icoin(10_000)
	m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(modelFee)), sdk.NewCoins(icoin(datasetFee))
	res, err := s.ms.CreateJob(s.ta.Ctx, m)
	must(t, err)
	id := res.JobId
	s.inv()
	must(t, s.commitIn(prov, id, icoin(6_000)))
	for s.height() <= s.job(id).CommitEnd {
		s.next(1)
	}
	must(t, s.revealIn(prov, id, icoin(6_000)))
	for s.job(id).State != types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
	if !s.job(id).DatasetFeeOwed {
		t.Fatal("the winner's access did not make the dataset fee owed")
	}
	s.runToTimeout(id)
	il.delta("requester: escrow back less the dataset fee, which the compensation covers", req, 0)
	il.delta("dataset owner paid in vouchers", owner, datasetFee-marketFee(datasetFee))
	il.delta("winner forfeits its price collateral", prov, -20_000)
	il.delta("reward pool: the rest of the voucher penalty and the market fee", poolAddr(), 20_000-datasetFee+marketFee(datasetFee))
	il.delta("module", moduleAddr(), 0)
	// The bond lock covers the creation fee (CoverLock: 2 × 1,000).
	l.delta("requester: creation fee compensated (model fee refunded)", req, 0)
	l.delta("reward pool: creation fee and the rest of the bond penalty", poolAddr(), creationFee+1_000)
	l.delta("module", moduleAddr(), -2_000) // the winner's bond lock, taken from its bond
	s.bondOf(prov, 998_000, 0, 0)
}

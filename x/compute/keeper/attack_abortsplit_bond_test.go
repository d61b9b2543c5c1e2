package keeper_test

import (
	"bytes"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackDatasetServerSplitsAbortCheckToCollectModelBond: a requester
// pairs an honest owner's bonded model with a dataset of its second account,
// priced at the owner's whole free bond, runs the winning provider and one
// small validator (1 of 30 power). Its provider aborts. The dataset's server
// (the attacker's; each probe is signed by the asking validator) answers 404
// to honest validators holding exactly 1/3 of the power, who vote
// DATASET_UNAVAILABLE (not more than 1/3: the fee is not refunded); the
// other honest validators find the model and the rows and vote
// INPUTS_AVAILABLE (19, short of 2/3); the attacker's validator votes
// INPUTS_UNAVAILABLE. The two unavailable kinds together pass 1/3, so the
// abort stands with the dataset "served", and the owner's bond was paid to
// the requester although only the attacker's 1/30 ever called the model
// unavailable: the attacker gained the bond less its creation fee and the
// market's cut, and the honest owner lost it.
//
// The bond now pays only when more than 1/3 of the power found the model
// unavailable (INPUTS_UNAVAILABLE alone), what a coalition below 1/3 cannot
// fake. An abort that stands on the two kinds together says nothing of
// either input, and is paid for as one without a quorum: the winner, which
// aborted, forfeits the dataset fee to the requester (forfeitOwnerFees).
func TestAttackDatasetServerSplitsAbortCheckToCollectModelBond(t *testing.T) {
	const stake = 50_000 // the owner's bond, and the attacker's dataset fee
	s := newSuite(t)
	s.setParams(attackParams())
	owner, req, dsAcct, prov := s.acc(0), s.acc(1), s.acc(2), s.acc(3)
	s.registerAny(prov, 1_000_000)
	w := s.splitInputs(owner, dsAcct, nil, 40)
	d, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).ListDataset(s.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: dsAcct.String(), Name: "rows-dear", Format: "npy-f32", Rows: 40, Cols: 3, RowsPerChunk: 8,
		ContentRoot: bytes.Repeat([]byte{5}, 32), Sha256: string(bytes.Repeat([]byte("5e"), 32)), RowsSha256: string(bytes.Repeat([]byte("5e"), 32)),
		Uri:    "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(coin(stake))}},
	})
	must(t, err)
	w.Mlp.DatasetId = d.DatasetId
	s.postModelBond(owner, stake)
	l := s.ledger(owner, req, dsAcct, prov)
	provBond := s.provider(prov).Bond.Amount

	m := s.createMsg(req, stake)
	m.Workload = w
	m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(modelFee)), sdk.NewCoins(coin(stake))
	id := s.mlpJobWith(m)
	s.modelBondOf(owner, stake, stake)
	s.win(prov, id, stake)
	if _, err := s.ms.AbortJob(s.ta.Ctx, &types.MsgAbortJob{Provider: prov.String(), JobId: id, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE}); err != nil {
		t.Fatalf("abort: %v", err)
	}
	s.inv()

	vote := func(c byte, p int64, v types.Verdict) types.ValidatorVerdicts {
		return types.ValidatorVerdicts{ConsAddress: []byte{c}, Power: p, Verdicts: []types.JobVerdict{{JobId: id, Verdict: v}}}
	}
	must(t, s.applyVerdicts(30, []types.ValidatorVerdicts{
		vote('a', 5, types.Verdict_VERDICT_DATASET_UNAVAILABLE), // refused by the attacker's server
		vote('b', 5, types.Verdict_VERDICT_DATASET_UNAVAILABLE),
		vote('c', 10, types.Verdict_VERDICT_INPUTS_AVAILABLE), // served, and the model too
		vote('d', 9, types.Verdict_VERDICT_INPUTS_AVAILABLE),
		vote('z', 1, types.Verdict_VERDICT_INPUTS_UNAVAILABLE), // the attacker's validator
	}))
	s.inv()
	s.nextPast(id)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)

	lost := s.provider(prov).Bond.Amount.Sub(provBond)
	attacker := s.worth(req).Add(s.worth(dsAcct)).Add(s.worth(prov)).Add(lost).
		Sub(l.before[req.String()]).Sub(l.before[dsAcct.String()]).Sub(l.before[prov.String()])
	t.Logf("attacker's accounts (with its provider's bond) changed by %s; the model owner's by %s",
		attacker, s.worth(owner).Sub(l.before[owner.String()]))
	l.delta("honest model owner (its model was served to every honest validator)", owner, 0)
	s.modelBondOf(owner, stake, 0)
	if want := math.NewInt(-creationFee - marketFee(stake)); !attacker.Equal(want) {
		t.Fatalf("attacker's accounts changed by %s, want %s (its creation fee and the market's cut)", attacker, want)
	}
	l.delta("requester (refunded; the winner's forfeit paid its dataset fee back)", req, -creationFee)
	l.delta("module account (the job's escrow out, the winner's forfeit out of its bond)", moduleAddr(), -stake)
	l.delta("reward pool (the creation fee and the market's cut)", poolAddr(), creationFee+marketFee(stake))
	if !lost.Equal(math.NewInt(-stake)) {
		t.Fatalf("the winner's bond changed by %s, want -%d (it forfeits the dataset fee)", lost, stake)
	}
}

package keeper_test

import (
	"bytes"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
)

// bigDatasetFee is the PER_JOB fee of the dataset the owner's provider
// bids on: worth far more than the collateral of a cheap job.
const bigDatasetFee = 60_000

// TestAttackDatasetOwnerWinsAndTimesOut: a dataset's owner runs a provider
// (or colludes with one). An honest requester creates a cheap mlp job over
// the dataset; the owner's provider wins it, which makes the dataset fee the
// owner's (dataset_fee_owed), and lets it time out. The requester's
// compensation is capped at requester_compensation_bps of the forfeited
// collateral, sized to max_price, not to the dataset fee: before, a job of
// max_price 1,000 (collateral 2,000) over a 60,000 dataset paid the owner
// 60,000 less the market fee for a 2,000 penalty, and the requester lost the
// 60,000 with 1,000 back. Now a job whose dataset fee its winner's timeout
// could not compensate is refused (ErrDatasetFeeUncovered, nothing moved);
// at a max_price that covers it the attack costs the owner more than the
// fee, and the requester ends even (its creation fee compensated too).
func TestAttackDatasetOwnerWinsAndTimesOut(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, owner := s.acc(0), s.acc(1)
	s.registerAny(owner, 1_000_000) // the owner's own provider
	w := s.bigFeeDataset(owner)
	l := s.ledger(req, owner)
	before := s.snap(req, owner)

	for _, maxPrice := range []int64{1_000, bigDatasetFee - 1} { // compensation 1,000 and 59,999
		res, err := s.ms.CreateJob(s.ta.Ctx, s.bigFeeJob(req, w, maxPrice))
		if err == nil { // the attack as it ran before the check
			s.win(owner, res.JobId, maxPrice)
			for s.job(res.JobId).State == types.JobState_JOB_STATE_ASSIGNED {
				s.next(1)
			}
		}
		l.delta("dataset owner", owner, 0)
		l.delta("requester", req, 0)
		l.delta("reward pool", poolAddr(), 0)
		l.delta("module account", moduleAddr(), 0)
		s.bondOf(owner, 1_000_000, 0, 0)
		s.unchanged(before, req, owner)
		wantErr(t, err, types.ErrDatasetFeeUncovered)
	}

	// max_price 60,000: collateral 120,000, compensation up to 60,000.
	id := s.mlpJobWith(s.bigFeeJob(req, w, bigDatasetFee))
	s.win(owner, id, bigDatasetFee)
	s.runToTimeout(id)
	// The lock covers what the requester loses (CoverLock): twice the
	// creation and dataset fees, above the 120,000 max_price asks.
	const penalty, comp = 2 * (bigDatasetFee + creationFee), bigDatasetFee + creationFee
	mf := marketFee(bigDatasetFee)
	l.delta("requester: creation fee and dataset fee lost, both compensated", req, -creationFee-bigDatasetFee+comp)
	l.delta("dataset owner: the fee less the market's cut, its bond penalty below", owner, bigDatasetFee-mf)
	s.bondOf(owner, 1_000_000-penalty, 0, 0)
	if gain := bigDatasetFee - mf - penalty; gain >= 0 {
		t.Fatalf("the owner's provider gained %d by timing out", gain)
	}
	l.delta("reward pool", poolAddr(), creationFee+mf+penalty-comp)
	l.delta("module account: the penalty left it", moduleAddr(), -penalty)
}

// bigFeeDataset registers mlpInputs' model (of owner) and lists dataset 2,
// also owner's, with a PER_JOB offer of bigDatasetFee; it returns the
// workload over them.
func (s *suite) bigFeeDataset(owner sdk.AccAddress) types.WorkloadSpec {
	s.t.Helper()
	w := s.mlpInputs(owner)
	_, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).ListDataset(s.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: owner.String(), Name: "rows-dear", Format: "npy-f32", Rows: 40, Cols: 3, RowsPerChunk: 8,
		ContentRoot: bytes.Repeat([]byte{8}, 32), Sha256: string(bytes.Repeat([]byte("cf"), 32)), RowsSha256: string(bytes.Repeat([]byte("cf"), 32)),
		Uri:    "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(coin(bigDatasetFee))}},
	})
	must(s.t, err)
	w.Mlp.DatasetId = 2
	return w
}

// bigFeeJob is req's mlp job over bigFeeDataset's workload at maxPrice.
func (s *suite) bigFeeJob(req sdk.AccAddress, w types.WorkloadSpec, maxPrice int64) *types.MsgCreateJob {
	m := s.createMsg(req, maxPrice)
	m.Workload = w
	m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(modelFee)), sdk.NewCoins(coin(bigDatasetFee))
	return m
}

// mlpJobWith creates the job m asks for and returns its id.
func (s *suite) mlpJobWith(m *types.MsgCreateJob) uint64 {
	s.t.Helper()
	res, err := s.ms.CreateJob(s.ta.Ctx, m)
	must(s.t, err)
	s.inv()
	return res.JobId
}

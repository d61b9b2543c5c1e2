package keeper_test

import (
	"fmt"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestOneJobsPanicKeepsTheBlocksOtherVerdicts: the verdicts of one block
// decide two jobs. The first job's record is corrupt (its clearing price's
// denom is not a denom), so its settlement panics. The PreBlocker recovers a panic of
// ApplyVerdicts by dropping the block's verdicts, every job's: one bad job
// would hold back every verification on the chain for as long as it stayed
// under check. Now the bad job stays under check, its outcome not applied,
// and the other job settles in the same block, its provider paid to the coin.
func TestOneJobsPanicKeepsTheBlocksOtherVerdicts(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000
	p.VerificationBlocks = 20 // both jobs under check at once
	s.setParams(p)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	bad := s.verifyingJob(req, prov)
	good := s.verifyingJob(req, prov)

	j := s.job(bad)
	j.ClearingPrice = sdk.Coin{Denom: "!bad", Amount: math.NewInt(verifyPrice)}
	if err := s.k.Jobs.Set(s.ta.Ctx, bad, j); err != nil {
		t.Fatal(err)
	}
	s.wantState(bad, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	l := s.ledger(req, prov)
	var votes []types.ValidatorVerdicts
	for i, power := range []int64{10, 10} {
		votes = append(votes, types.ValidatorVerdicts{ConsAddress: []byte{'v', byte(i)}, Power: power, Verdicts: []types.JobVerdict{
			{JobId: bad, Verdict: types.Verdict_VERDICT_VALID}, {JobId: good, Verdict: types.Verdict_VERDICT_VALID},
		}})
	}
	// As the PreBlocker applies them: a panic drops the block's verdicts.
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic in ApplyVerdicts: %v", r)
			}
		}()
		return s.applyVerdicts(30, votes)
	}()
	if err != nil {
		t.Fatalf("the block's verdicts were dropped: %v", err)
	}
	s.wantState(good, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	s.wantState(bad, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	l.delta("requester", req, 0)
	l.delta("provider", prov, verifyPrice-verifyPrice/10) // less the 10% protocol fee
}

package simulation

import (
	"context"
	"crypto/sha256"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// simSecret is the sample secret of a simulated job, from what the job
// stores of its creation: the reveal factory finds it again.
func simSecret(requester string, w types.WorkloadSpec, maxPrice sdk.Coin) []byte {
	h := sha256.New()
	h.Write([]byte("aichain/sim/sample-secret"))
	h.Write([]byte(requester))
	h.Write([]byte(w.String()))
	h.Write([]byte(maxPrice.String()))
	return h.Sum(nil)
}

// simDisputeSecret is the secret of a simulated dispute's sample
// commitment, from the job it disputes.
func simDisputeSecret(j types.Job) []byte {
	h := sha256.New()
	h.Write([]byte("aichain/sim/dispute-secret"))
	h.Write(simSecret(j.Requester, j.Workload, j.MaxPrice))
	h.Write(j.Result.OutputRoot)
	return h.Sum(nil)
}

// MsgRevealSampleSecretFactory has the requester of a submitted job created
// with a sample commitment, or disputed with one, reveal its secret within
// the draw's reveal window
// (which only a draw from beacons opens: none in a simulation without vote
// extensions).
func MsgRevealSampleSecretFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgRevealSampleSecret] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRevealSampleSecret) {
		j, ok := randomJobIn(ctx, k, testData.Rand(), reporter, types.JobState_JOB_STATE_SUBMITTED)
		if !ok {
			return nil, nil
		}
		h := sdk.UnwrapSDKContext(ctx).BlockHeight()
		commitment, revealed, secret := j.SampleCommitment, j.Sample.Secret, simSecret(j.Requester, j.Workload, j.MaxPrice)
		if j.Sample.Disputed { // a dispute's draw waits for the dispute's secret
			commitment, revealed, secret = j.Sample.DisputeCommitment, j.Sample.DisputeSecret, simDisputeSecret(j)
		}
		if len(commitment) == 0 || (j.Sample.Decided && !j.Sample.Disputed) || j.Sample.Selected || len(revealed) > 0 ||
			j.Sample.RevealFrom == 0 || h < j.Sample.RevealFrom || h >= j.Sample.DecideHeight {
			reporter.Skip("not waiting for its sample secret")
			return nil, nil
		}
		req := testData.GetAccount(reporter, j.Requester)
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{req}, &types.MsgRevealSampleSecret{
			Requester: req.AddressBech32, JobId: j.Id, Secret: secret,
		}
	}
}

package chainclient

import (
	"testing"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackNodeInflatesEverySubmissionsFee: TestAttackNodeSetsEveryTxFeeJustUnderTheMax
// for the message a provider agent sends for every job it wins. A tx's gas
// is capped at what its messages can use (MsgsGasLimit), and since
// MsgSubmitResult is a ChargedMsg that cap adds GasChargeBound: the verdicts
// of a full check by 100 validators of a 32 KiB job record (14,307,200
// gas), whatever the job and the set. A node that simulates a huge gas at
// the max gas price has every submission, of a gemm job on a 4-validator
// chain sampled at the floor (charged nothing for verdicts), signed with
// 15,507,200 gas: a fee of 387,680 uaic (516× the honest 750), where the
// cap (1,200,000 gas) left it 30,000 before the change; tx after tx,
// every job. The bound on what a lying node takes (at most 100× the honest
// fee, as for any other tx) no longer holds for submissions.
func TestAttackNodeInflatesEverySubmissionsFee(t *testing.T) {
	n := &hostileNode{gasPrice: DefaultMaxGasPrice, gasUsed: 1_000_000_000_000}
	fees, gas, sendErr := sendVia(t, n, func(self string) sdk.Msg {
		return &computetypes.MsgSubmitResult{Provider: self, JobId: 1, OutputRoot: make([]byte, 32), ChunkCount: 4}
	})
	if sendErr != nil || len(fees) != 1 {
		t.Fatalf("send err %v, %d txs broadcast", sendErr, len(fees))
	}
	honest := sdkmath.NewInt(750) // TestHonestNodeFeeIsPaid: 300,000 gas at 0.0025uaic
	got := fees[0].AmountOf("uaic")
	if got.GT(honest.MulRaw(100)) {
		t.Fatalf("a result submission signed with gas %d and fee %suaic (%s× the honest %suaic; the cap before ChargedMsg: %d gas): "+
			"a lying node sets every submission's fee far above what any other tx can be made to pay",
			gas[0], got, got.Quo(honest), honest, txBaseGas+msgGas)
	}
}

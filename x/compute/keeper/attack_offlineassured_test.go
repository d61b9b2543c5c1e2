package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackShareHoldersRunOfflineAssuredCreateJobOutOfGas: a model's owner
// (and a dataset's) lists common.MaxShares share holders (32-byte
// addresses, 63 characters: well within the 90 MaxSharesBlockGas assumes),
// which Job.TermsBlockGas now charges for. The holders also make the job's
// record 4.7 KiB, and a job buying assurance pays every validator's
// counted verdict at VerdictGasPerJobByte a record byte. `tx compute
// create-job --generate-only --assurance-samples 4` (a multisig or Ledger
// requester) sets its gas to OfflineCreateJobGas + OfflineAssuranceGas,
// which counts the holders' block work (MaxSharesBlockGas) but prices the
// verdicts on a record of the spec and offlineRecordBytes (1,024) only. On
// a set of OfflineSetSize (100) validators, the limit the command promises
// to cover, the honest requester's message runs out of gas and loses its
// fee. Honest outcome: the gas MsgCreateJob uses fits the offline limit.
// Now the offline verdict gas counts the holders' record bytes on a
// workload that may name inputs (offlineExtraBytes).
func TestAttackShareHoldersRunOfflineAssuredCreateJobOutOfGas(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.VerificationFeePerSample = coin(100)
	s.setParams(p)
	w := s.manyHolderInputs(s.acc(5), common.MaxShares, false)
	must(t, s.k.SetSize.Set(s.ta.Ctx, compute.OfflineSetSize))
	s.next(1)
	const samples = 4
	var id uint64
	used := s.msgGas(func() {
		m := s.createMsg(s.acc(0), 10_000)
		m.Workload = w
		m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(modelFee)), sdk.NewCoins(coin(datasetFee))
		m.Assurance = &types.Assurance{Samples: samples}
		res, err := s.ms.CreateJob(s.ta.Ctx, m)
		must(t, err)
		id = res.JobId
	})
	j := s.job(id)
	if !j.CountsVerdicts() {
		t.Fatalf("set-up: the job counts no verdicts (samples %d, fee %s)", j.SamplesBought, j.VerificationFee)
	}
	offline := compute.OfflineCreateJobGas(w) + compute.OfflineAssuranceGas(w, samples)
	t.Logf("record %d bytes: create-job used %d gas, offline limit %d", j.Size(), used, offline)
	if used > offline {
		t.Errorf("a valid assured create-job used %d gas, over the offline limit %d: an offline-signed job on these inputs runs out of gas", used, offline)
	}
}

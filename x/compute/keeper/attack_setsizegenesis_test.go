package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackSetSizeLostAcrossGenesisExport: SetSize (the last commit's set
// size, by which every message starting a check pays for its verdicts) is
// not in the module's genesis. After an export and import (a chain
// restarted from exported state), the first block has no injected commit,
// so RecordBeacon does not run before its transactions: a requester's
// assured jobs created there pay no verdict gas at all, though the imported
// set (here 30 validators) verifies every one. The honest outcome: a job
// created after the import pays what it paid before. Now set_size is
// exported and imported with the module's genesis.
func TestAttackSetSizeLostAcrossGenesisExport(t *testing.T) {
	const n = 30
	s, _ := assuranceSuite(t)
	p := s.params()
	p.VerificationFeePerSample = coin(0)
	s.setParams(p)
	s.next(1)
	must(t, s.k.RecordBeacon(s.ta.Ctx, setOf(n), nil))
	req := s.acc(0)
	before := s.verdictGas(func() { s.createAssured(req, types.Assurance{Full: true}) })
	if before == 0 {
		t.Fatal("set-up: no verdict gas charged before the export")
	}
	_, fresh := s.exportImport()
	fresh.setParams(p)
	// (CreateJob called directly: the fresh app's module account does not
	// hold the imported escrows, which the helpers' invariant check reads.)
	after := fresh.verdictGas(func() {
		msg := fresh.createMsg(fresh.acc(0), verifyPrice)
		msg.Assurance = &types.Assurance{Full: true}
		_, err := fresh.ms.CreateJob(fresh.ta.Ctx, msg)
		must(t, err)
	})
	t.Logf("an assured job's verdict gas with a set of %d: %d before the export, %d after the import", n, before, after)
	if after < before {
		t.Errorf("after the import an assured job pays %d gas for its verdicts, %d before: the imported set's %d verdicts go unpaid", after, before, n)
	}
}

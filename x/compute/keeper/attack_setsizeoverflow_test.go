package keeper_test

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackGenesisSetSizeOverflowsTheVerdictCharge. A hostile genesis (or
// one edited before a restart) sets set_size, which Validate does not
// check, to 2^63: no validator set can be that large (staking's
// max_validators is a uint32). InitGenesis stores it and chargeVerdicts
// multiplies it by the gas of one verdict in uint64: 2^63 × an even
// per-verdict gas wraps to 0, so a job created with every result checked
// (sample_rate_floor_bps 10000) pays no verdict gas at all, where a set of
// one validator pays one verdict's. Honest outcome: such a genesis is
// refused with ErrInvalidGenesis and nothing is stored. Now Validate
// refuses a set_size above MaxSetSize (CometBFT's most validators), and
// chargeVerdicts multiplies saturating.
func TestAttackGenesisSetSizeOverflowsTheVerdictCharge(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	gs.SetSize = 1 << 63

	fresh := newSuite(t)
	err = fresh.k.InitGenesis(fresh.ta.Ctx, gs)
	if errors.Is(err, types.ErrInvalidGenesis) {
		if n, gerr := fresh.k.SetSize.Get(fresh.ta.Ctx); gerr == nil {
			t.Fatalf("refused, but set_size %d stored", n)
		}
		return
	}
	must(t, err)
	var id uint64
	charged := fresh.verdictGas(func() { id = fresh.create(fresh.acc(0), verifyPrice) })
	one := fresh.job(id).VerdictGas(fresh.job(id).CountsVerdicts())
	t.Errorf("genesis set_size 2^63 accepted (err %v): the job's creation paid %d verdict gas for every result checked by a set of 2^63 validators; a set of one pays %d",
		err, charged, one)
}

package keeper_test

import (
	"math"
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackGenesisJobIDWrapOverwritesJob: a chain restarted from a
// doctored export starts the job id sequence at 2^64−1 beside job 1, whose
// escrow the module holds. The sequence gave out 2^64−1, wrapped to 0, and
// the third job after it was given id 1 again: its record replaced job 1's,
// and job 1's requester could no longer cancel it or be refunded. Ids never
// wrap: the last id is not given out, a creation is refused
// (ErrIDsExhausted) and costs nothing, and job 1 stays as it was.
func TestAttackGenesisJobIDWrapOverwritesJob(t *testing.T) {
	s := newSuite(t)
	victim, attacker := s.acc(0), s.acc(1)
	first := s.create(victim, 1_000)
	want := s.job(first)
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	gs.NextJobId = math.MaxUint64
	if err := s.k.InitGenesis(s.ta.Ctx, gs); err != nil {
		t.Fatalf("import: %v", err)
	}
	before := s.snap(victim, attacker)
	for i := 0; i < 3; i++ {
		// As a transaction: its writes are kept only if it succeeds.
		ctx, write := s.ta.Ctx.CacheContext()
		_, err := s.ms.CreateJob(ctx, s.createMsg(attacker, 1_000))
		wantErr(t, err, types.ErrIDsExhausted)
		if err == nil {
			write()
		}
	}
	s.unchanged(before, victim, attacker)
	if got := s.job(first); got.Requester != want.Requester || !got.Escrow.Equal(want.Escrow) || got.State != want.State {
		t.Fatalf("job %d after the wrap: %+v, want %+v", first, got, want)
	}
}

package keeper_test

import (
	"testing"

	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// blockWork is the gas x/compute's BeginBlocker and EndBlocker use at the
// current height (on a cache of the state: the block itself runs them again).
func (s *suite) blockWork() uint64 {
	ctx, _ := s.ta.Ctx.CacheContext()
	ctx = ctx.WithGasMeter(storetypes.NewGasMeter(1 << 62))
	must(s.t, s.k.BeginBlocker(ctx))
	must(s.t, s.k.EndBlocker(ctx))
	return ctx.GasMeter().GasConsumed()
}

// msgGas runs f (one message through the Msg service) under a fresh gas
// meter and returns what it used.
func (s *suite) msgGas(f func()) uint64 {
	ctx := s.ta.Ctx
	s.ta.Ctx = ctx.WithGasMeter(storetypes.NewGasMeter(1 << 62))
	f()
	used := s.ta.Ctx.GasMeter().GasConsumed()
	s.ta.Ctx = ctx
	return used
}

// jobLife is one way a job's life can go.
type jobLife struct {
	name             string
	mlp              bool // names a model and a dataset, with fees
	commits, reveals int
	submit           bool
}

// lifeWork runs a job of life l from creation to its pruning and returns
// the block work it caused (every block's work above an idle block's) and
// the gas its create-job and commit-bid messages used.
func lifeWork(t *testing.T, l jobLife) (work, msgs uint64) {
	s := newSuite(t)
	p := s.params()
	p.RetentionBlocks = 4
	s.setParams(p)
	provs := []sdk.AccAddress{s.acc(1), s.acc(2), s.acc(3), s.acc(4), s.acc(5)}
	for _, a := range provs[:l.commits] {
		s.registerAny(a, 1_000_000)
	}
	var w types.WorkloadSpec
	if l.mlp {
		w = s.mlpInputs(s.acc(5))
	}
	s.next(1)
	idle := s.blockWork()
	var id uint64
	msgs = s.msgGas(func() {
		if l.mlp {
			id = s.mlpJob(s.acc(0), w, 10_000)
		} else {
			id = s.create(s.acc(0), 10_000)
		}
	})
	prices := []int64{5_000, 7_000, 6_000, 9_000, 8_000}
	for i := 0; i < l.commits; i++ {
		msgs += s.msgGas(func() { s.commit(provs[i], id, prices[i]) })
	}
	work, _ = s.liveToPruning(id, idle, provs[:l.reveals], prices, l.submit)
	return work, msgs
}

// liveToPruning finalizes blocks until job id is pruned: the providers
// reveal at prices once its reveal phase opens, and its winner submits a
// result once it is assigned (submit). It returns the block work of those
// blocks above idle's, and whether a result was submitted.
func (s *suite) liveToPruning(id, idle uint64, provs []sdk.AccAddress, prices []int64, submit bool) (work uint64, submitted bool) {
	t := s.t
	t.Helper()
	revealed := false
	for i := 0; ; i++ {
		if has, err := s.k.Jobs.Has(s.ta.Ctx, id); err != nil || !has {
			must(t, err)
			return work, submitted
		}
		if i == 200 {
			t.Fatalf("job %d not pruned after %d blocks (%s)", id, i, s.job(id).State)
		}
		j := s.job(id)
		if !revealed && j.State == types.JobState_JOB_STATE_REVEAL && s.height() > j.CommitEnd {
			for i, p := range provs {
				must(t, s.reveal(p, id, prices[i]))
			}
			revealed = true
		}
		if submit && !submitted && j.State == types.JobState_JOB_STATE_ASSIGNED {
			_, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: j.Winner, JobId: id, OutputRoot: root32, ChunkCount: j.ExpectedChunkCount})
			must(t, err)
			submitted = true
		}
		if g := s.blockWork(); g > idle {
			work += g - idle
		}
		s.next(1)
	}
}

// TestAttackJobsLeaveTheirBlockWorkUnpaid: a job's life costs the chain
// work in blocks no transaction pays for (its auction's close, award,
// draw, settlement or expiry, pruning, and each commitment's handling at
// the close), and a requester spamming jobs (or a provider spamming bids)
// made every block do it for the gas of the create-job (64,502) and
// commit-bid (56,357) messages alone: a gemm job with one bid caused
// 226,350 gas of block work, an mlp job with fees 369,357. Each message
// now pays its share (types.JobBlockGas, JobInputsBlockGas,
// CommitBlockGas): on every path the block work is at most what the
// messages were charged for it, and the charge is at most twice the
// costliest path's work (not a fee in disguise).
func TestAttackJobsLeaveTheirBlockWorkUnpaid(t *testing.T) {
	lives := []jobLife{
		{name: "no bid: expired"},
		{name: "one bid, unrevealed: forfeited, expired", commits: 1},
		{name: "one bid: timed out", commits: 1, reveals: 1},
		{name: "one bid: settled", commits: 1, reveals: 1, submit: true},
		{name: "five bids, one revealed: timed out", commits: 5, reveals: 1},
		{name: "five bids: settled", commits: 5, reveals: 5, submit: true},
		{name: "mlp, model and dataset fees, one bid: settled", mlp: true, commits: 1, reveals: 1, submit: true},
	}
	for _, inputs := range []bool{false, true} {
		var costliest, charge uint64
		for _, l := range lives {
			if l.mlp != inputs {
				continue
			}
			work, msgs := lifeWork(t, l)
			charged := uint64(types.JobBlockGas) + uint64(l.commits)*types.CommitBlockGas
			if l.mlp {
				charged += types.JobInputsBlockGas
			}
			t.Logf("%-48s block work %7d, charged %7d (messages %7d)", l.name, work, charged, msgs)
			if msgs < charged {
				t.Errorf("%s: the messages used %d gas, under the %d charged for their block work", l.name, msgs, charged)
			}
			if work > charged {
				t.Errorf("%s: %d gas of block work, %d charged for it", l.name, work, charged)
			}
			if work*1000/charged > costliest*1000/max(charge, 1) {
				costliest, charge = work, charged
			}
		}
		if charge > 2*costliest {
			t.Errorf("inputs %t: the costliest path did %d gas of block work against %d charged: over twice", inputs, costliest, charge)
		}
	}
}

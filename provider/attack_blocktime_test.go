package provider

import (
	"context"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// TestAttackChainPauseInflatesTheBlockTime: the block time that sizes
// every execution window in admission is a moving average (0.8 old, 0.2
// new) of the intervals between the blocks the agent sees. With no bound on
// one interval, after any pause of the chain (a scheduled upgrade's halt,
// public in advance; a stall) the first block's interval was the whole
// pause: 5 s blocks and a 10-minute halt made the average 124 s, 25× the
// truth, and it stayed over 2× for about 14 blocks. A requester posts, right
// after the restart, a job whose estimated time is 1.5× what its window
// really holds at once (40 blocks of 5 s: 200 s, 100 s planned; 306 s of
// work): the agent saw a window of 4,960 s, bid, won and timed out,
// forfeiting the collateral. Now one interval counts at most twice the
// current average (observeBlock).
func TestAttackChainPauseInflatesTheBlockTime(t *testing.T) {
	a := testAgent(t) // 2 workers, 1 GFLOP/s
	t0 := time.Unix(1_800_000_000, 0)
	h := int64(1)
	for ; h <= 200; h++ {
		a.cap.observeBlock(h, t0.Add(time.Duration(h)*5*time.Second))
	}
	before := a.cap.blockTime()
	// The upgrade halt: the next block comes 10 minutes later.
	a.cap.observeBlock(h, t0.Add(time.Duration(h-1)*5*time.Second+10*time.Minute))
	a.height = 100
	const dim = 5314 // 2·dim³ ≈ 300 GFLOP: 300 s at 1 GFLOP/s, 1.5× a 200 s window
	job := gemmJobNK(1, dim, dim, dim, 40)
	job.MulAdds = dim * dim * dim
	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)
	if r, _ := a.decide(context.Background(), job, &rich); r != nil {
		real := float64(job.ExecBlocks) * before.Seconds()
		t.Fatalf("bid on a job estimated at %.0f s whose 40-block window is %.0f s at the chain's %s blocks (safety %.1f: %.0f s), "+
			"because one 10-minute pause made the block time %s", r.EstSeconds, real, before, a.cfg.Safety,
			a.cfg.Safety*real, a.cap.blockTime())
	}
}

// The clamp on one interval does not stop the agent learning the chain's
// real block time: the first interval seen sets it (not averaged with the
// 1 s default), and a chain that stays 12× slower (5 s to 60 s blocks) is
// learned within a few tens of blocks, never above the truth.
func TestBlockTimeLearnsALastingSlowdown(t *testing.T) {
	c := newCapacity(2)
	t0 := time.Unix(1_800_000_000, 0)
	c.observeBlock(1, t0)
	c.observeBlock(2, t0.Add(5*time.Second))
	if got := c.blockTime(); got != 5*time.Second {
		t.Fatalf("the first interval of 5 s gives a block time of %s", got)
	}
	at := t0.Add(5 * time.Second)
	h := int64(2)
	for ; h < 30; h++ {
		c.observeBlock(h+1, at.Add(time.Minute))
		at = at.Add(time.Minute)
	}
	if got := c.blockTime(); got < 50*time.Second || got > time.Minute {
		t.Fatalf("after 28 blocks of 60 s the block time is %s", got)
	}
}

package provider

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackOpenJobFloodHoldsTheResultPastItsDeadline: a step sent its
// results and aborts after its bid stage, whose listing of open jobs and
// whose decisions and commitments have a wait each (callWait: half a
// block, at least 2 s). A hostile requester keeps enough open jobs on chain
// that the listing uses its whole wait. On a chain of 1 s blocks a result
// ready at the step of block 101, due by block 102, left 2 s later, after
// block 102 was made: it lands past its deadline, the chain refuses it and
// the job times out, its collateral forfeited; an abort due as late is lost
// the same way. Results and aborts now go before the bid stage, right after
// the reveals.
func TestAttackOpenJobFloodHoldsTheResultPastItsDeadline(t *testing.T) {
	n := newAuditNode(t)
	a := n.agent(t)
	a.cap.blockSecs = 1 // callWait 2 s
	a.query = slowPages{auditQuery: auditQuery{n: n}, flood: 50 * 200, lat: 50 * time.Millisecond, pages: &atomic.Int64{}}
	done := &Record{ID: 7, Requester: "aic1alice", Phase: PhaseExecuted, Deadline: 102, ExecBlocks: 40, OutputRoot: make([]byte, 32), ChunkCount: 8}
	failing := &Record{ID: 8, Requester: "aic1alice", Phase: PhaseWon, Abort: true, Deadline: 102, ExecBlocks: 40}
	for _, r := range []*Record{done, failing} {
		a.recs[r.ID] = r
		n.setJob(computetypes.Job{Id: r.ID, Requester: r.Requester, State: computetypes.JobState_JOB_STATE_ASSIGNED, Winner: a.me,
			ExecDeadline: r.Deadline, MaxPrice: sdk.NewInt64Coin("uaic", 5000)})
	}

	var mu sync.Mutex
	sentAfter := map[string]time.Duration{}
	start := time.Now()
	n.hold = func(context.Context) {
		n.mu.Lock()
		msgs := n.mempool[len(n.mempool)-1].msgs
		n.mu.Unlock()
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			if _, ok := sentAfter[sdk.MsgTypeURL(m)]; !ok {
				sentAfter[sdk.MsgTypeURL(m)] = time.Since(start)
			}
		}
	}
	if err := a.step(context.Background(), chainclient.Block{Height: 101}); err != nil {
		t.Logf("step: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	block := a.cap.blockTime()
	for _, m := range []sdk.Msg{&computetypes.MsgSubmitResult{}, &computetypes.MsgAbortJob{}} {
		after, ok := sentAfter[sdk.MsgTypeURL(m)]
		if !ok || after >= block {
			t.Errorf("%s due by block 102 left %v after the step of block 101 began (sent: %v), when block 102 is made %v after "+
				"block 101: it lands past its deadline and the job's collateral is forfeited; the listing of the flood's open jobs "+
				"went first", sdk.MsgTypeURL(m), after, ok, block)
		}
	}
}

package provider

import (
	"context"
	"strings"
	"sync"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// shutdownMidBroadcast makes the node's next BroadcastTx accept its tx into
// the mempool and then wait, and cancels the agent's context (SIGTERM)
// meanwhile: the tx is on its way into a block, but the agent's Send returns
// the cancellation and the agent never learns the tx's hash.
func shutdownMidBroadcast(n *auditNode) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	n.mu.Lock()
	n.hold = func(rctx context.Context) {
		once.Do(cancel)
		<-rctx.Done()
	}
	n.mu.Unlock()
	return ctx
}

func (n *auditNode) release() {
	n.mu.Lock()
	n.hold = nil
	n.mu.Unlock()
}

// restarted is a new agent process on the same data dir: a fresh client and
// the records of the store.
func restarted(t *testing.T, n *auditNode, old *Agent) *Agent {
	t.Helper()
	a := n.agent(t)
	a.store = old.store
	recs, err := a.store.Load()
	if err != nil {
		t.Fatal(err)
	}
	a.recs = recs
	return a
}

// SIGTERM arrives while the agent broadcasts a block's commitments: the node
// has taken the tx, the agent's Send returns "context canceled", and the
// agent stops with the bid's record on disk as not yet sent. The tx lands.
// Restarted, the agent sends the commitment again; the node refuses it
// (ErrBidExists: the commitment IS on chain) and commit's refusal handler
// forgets the record — its salt with it. The commitment on chain is never
// revealed and its deposit is forfeited. README: "restarted, it reveals what
// it committed". Now a refused commitment is looked up among the job's bids
// first, and one on chain moves the record to committed (chaincheck.go).
func TestAttackCommitLandedAtShutdownIsForgottenOnRestart(t *testing.T) {
	n := newAuditNode(t)
	job := gemmJob(1, 64, 40)
	job.State, job.CommitEnd, job.RevealEnd = computetypes.JobState_JOB_STATE_OPEN, 105, 112
	n.setJob(job)

	a := n.agent(t)
	ctx := shutdownMidBroadcast(n)
	_ = a.step(ctx, chainclient.Block{Height: 102}) // the run's last step, SIGTERM during its commit broadcast
	_ = a.flush()                                   // as Run does on the way out
	n.release()
	if c, _ := n.sentFor(1); c != 1 {
		t.Fatalf("setup: %d commitments reached the node, want 1", c)
	}
	n.land() // block 103 holds the commitment

	b := restarted(t, n, a)
	bg := context.Background()
	for h := int64(104); h <= 111; h++ {
		if h == 106 {
			job.State = computetypes.JobState_JOB_STATE_REVEAL
			n.setJob(job)
		}
		if err := b.step(bg, chainclient.Block{Height: h}); err != nil {
			t.Logf("height %d: %v", h, err)
		}
		n.land()
	}
	if _, reveals := n.sentFor(1); reveals == 0 {
		stored, _ := b.store.Load()
		t.Fatalf("the agent's commitment for job 1 is on chain but it never revealed it (deposit forfeited): "+
			"record in memory %v, in the store %v; the node refused: %q", b.recs[1] != nil, stored[1] != nil, n.refusals())
	}
}

// The same at the reveal: SIGTERM while the reveal's tx is being broadcast;
// it lands, the agent does not know. Restarted, it sends the reveal again
// (refused: already revealed) every block, and once the reveal window has
// passed retire counts a "reveal missed" and forgets the record — though the
// chain has just awarded it the job. The won job is never run and its
// collateral is slashed at the deadline. Now a refused reveal is looked up
// on chain (revealed: the record moves to revealed), award takes a
// committed record the chain names the winner, and a reveal is called
// missed only once the chain says so (chaincheck.go, exec.go).
func TestAttackRevealLandedAtShutdownForgetsAWonJob(t *testing.T) {
	n := newAuditNode(t)
	a := n.agent(t)
	price := sdk.NewInt64Coin("uaic", 1000)
	salt := []byte(strings.Repeat("s", 32))
	job := gemmJob(1, 64, 40)
	job.State, job.CommitEnd, job.RevealEnd = computetypes.JobState_JOB_STATE_REVEAL, 100, 108
	n.setJob(job)
	n.commits[1] = computetypes.BidCommit{JobId: 1, Provider: a.me, Commitment: computetypes.BidCommitment(1, a.me, price, salt)}
	a.recs[1] = &Record{ID: 1, Requester: job.Requester, Phase: PhaseCommitted, Price: price.String(), Salt: salt,
		CommitEnd: 100, RevealEnd: 108, ExecBlocks: 40, Collateral: "1000uaic"}
	a.touch(a.recs[1]) // on disk since its commitment was confirmed
	if err := a.flush(); err != nil {
		t.Fatal(err)
	}

	ctx := shutdownMidBroadcast(n)
	_ = a.step(ctx, chainclient.Block{Height: 102}) // SIGTERM during the reveal's broadcast
	_ = a.flush()
	n.release()
	if _, r := n.sentFor(1); r != 1 {
		t.Fatalf("setup: %d reveals reached the node, want 1", r)
	}
	n.land() // block 103 holds the reveal

	b := restarted(t, n, a)
	bg := context.Background()
	for h := int64(104); h <= 112; h++ {
		blk := chainclient.Block{Height: h}
		if h == 109 { // the auction closes: the agent's revealed bid wins
			job.State, job.Winner, job.ExecDeadline = computetypes.JobState_JOB_STATE_ASSIGNED, b.me, 149
			n.setJob(job)
			ev, err := sdk.TypedEventToEvent(&computetypes.EventJobAwarded{JobId: 1, Winner: b.me, ClearingPrice: price.String(), ExecDeadline: 149})
			if err != nil {
				t.Fatal(err)
			}
			blk.Events = []abci.Event{abci.Event(ev)}
		}
		if err := b.step(bg, blk); err != nil {
			t.Logf("height %d: %v", h, err)
		}
		n.land()
	}
	if r := b.recs[1]; r == nil || r.Phase < PhaseWon {
		t.Fatalf("the chain awarded job 1 to the agent (its reveal landed at shutdown) but the agent holds record %+v: "+
			"it will never run it, and its collateral is slashed at the deadline; the node refused: %q", r, n.refusals())
	}
}

func (n *auditNode) refusals() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.simErrs...)
}

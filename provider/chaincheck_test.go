package provider

import (
	"context"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// A bid whose window passed is let go only once the chain says there is
// nothing left to do with it: a commitment the agent never saw land but the
// chain holds is revealed in its window, a reveal the chain holds is not a
// missed reveal, and only what the chain does not hold is forgotten.
func TestExpiredBidsAreCheckedOnChain(t *testing.T) {
	n := newAuditNode(t)
	a := n.agent(t)
	price := sdk.NewInt64Coin("uaic", 1000)
	salt := []byte(strings.Repeat("s", 32))
	bid := func(id uint64, phase Phase) *Record {
		r := &Record{ID: id, Phase: phase, Price: price.String(), Salt: salt, CommitEnd: 105, RevealEnd: 108}
		a.recs[id] = r
		return r
	}
	onChain := func(id uint64, s []byte, revealed bool) {
		n.commits[id] = computetypes.BidCommit{JobId: id, Provider: a.me, Commitment: computetypes.BidCommitment(id, a.me, price, s), Revealed: revealed}
	}
	revealed, unrevealed := bid(1, PhaseCommitted), bid(2, PhaseCommitted)
	onChain(1, salt, true)
	onChain(2, salt, false)
	landed, lost, other := bid(3, PhaseBid), bid(4, PhaseBid), bid(5, PhaseBid)
	landed.RevealEnd, lost.RevealEnd, other.RevealEnd = 112, 112, 112
	onChain(3, salt, false)
	onChain(5, []byte(strings.Repeat("t", 32)), false) // another salt's: it cannot be revealed

	a.height = 109
	if err := a.expireBids(context.Background()); err != nil {
		t.Fatal(err)
	}
	if revealed.Phase != PhaseRevealed || a.recs[1] == nil {
		t.Fatalf("a bid revealed on chain: phase %s, kept %v", revealed.Phase, a.recs[1] != nil)
	}
	if a.recs[2] != nil || unrevealed.Phase != PhaseCommitted {
		t.Fatal("a bid the chain holds unrevealed past its window is kept")
	}
	if landed.Phase != PhaseCommitted || a.recs[3] == nil {
		t.Fatalf("a commitment on chain, its reveal window ahead: phase %s, kept %v", landed.Phase, a.recs[3] != nil)
	}
	if a.recs[4] != nil || a.recs[5] != nil {
		t.Fatal("a bid whose commitment the chain does not hold is kept")
	}
	var m dto.Metric
	if err := a.metrics.MissedReveals.Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); got != 1 {
		t.Fatalf("%v missed reveals counted, want 1 (job 2)", got)
	}
}

// The chain's word on the winner is enough: a committed bid whose reveal
// the agent never saw land is won when the chain names this provider, and
// left to expireBids otherwise.
func TestAwardTakesACommittedBidTheChainAwards(t *testing.T) {
	a := testAgent(t)
	a.recs[1] = &Record{ID: 1, Phase: PhaseCommitted, PendingTx: "AB"}
	a.recs[2] = &Record{ID: 2, Phase: PhaseCommitted}
	a.view[1] = jobView{state: computetypes.JobState_JOB_STATE_ASSIGNED, winner: a.me}
	a.view[2] = jobView{state: computetypes.JobState_JOB_STATE_ASSIGNED, winner: "aic1other"}
	a.award()
	if r := a.recs[1]; r.Phase != PhaseWon || r.PendingTx != "" {
		t.Fatalf("awarded on chain: phase %s, pending %q", r.Phase, r.PendingTx)
	}
	if r := a.recs[2]; r == nil || r.Phase != PhaseCommitted {
		t.Fatal("a committed bid another provider won was let go before the chain was asked about its reveal")
	}
}

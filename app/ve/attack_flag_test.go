package ve

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"cosmossdk.io/log"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackAbsentVoteInjectedAsCommit: the block's LastCommit marks
// validator 3 absent, yet the proposer injects a commit vote for it with an
// extension validator 3 did sign (a late precommit the proposer kept, or one
// the two of them arranged after the height's commit was formed). Its
// verdicts would count at its power in a commit the chain never saw it in.
// The injection must agree with LastCommit on every vote it counts (as
// connect's check does); a vote marked absent in the injection is fine (the
// proposer drops extensions to fit the block).
func TestAttackAbsentVoteInjectedAsCommit(t *testing.T) {
	const h = 5
	nw := newNetwork(4)
	exts := [][]byte{
		ext(t, computetypes.JobVerdict{JobId: 1, Verdict: valid}),
		ext(t, computetypes.JobVerdict{JobId: 1, Verdict: valid}),
		ext(t, computetypes.JobVerdict{JobId: 1, Verdict: valid}),
		ext(t, computetypes.JobVerdict{JobId: 1, Verdict: invalid}),
	}
	last := nw.commit(t, h, exts, []bool{true, true, true, false})
	ctx := veCtx(h, last)
	rec := &recorder{}
	inj := testInjections(t)
	ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj, rec.prepare, rec.process)
	if st := processWith(t, ph, inj, ctx, h, last); st != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("the honest injection of LastCommit: %v", st)
	}

	forged := nw.commit(t, h, exts, []bool{true, true, true, true})
	if st := processWith(t, ph, inj, ctx, h, forged); st != abci.ResponseProcessProposal_REJECT {
		t.Fatal("a vote LastCommit marks absent was injected as a commit vote and accepted")
	}
	// The same for a vote LastCommit has as nil (a precommit for no block).
	nilLast := nw.commit(t, h, exts, []bool{true, true, true, false})
	nilLast.Votes[3].BlockIdFlag = cmtproto.BlockIDFlagNil
	if st := processWith(t, ph, inj, veCtx(h, nilLast), h, forged); st != abci.ResponseProcessProposal_REJECT {
		t.Fatal("a vote LastCommit marks nil was injected as a commit vote and accepted")
	}
	// Dropping a counted vote's extension (absent in the injection) stays
	// allowed while 2/3 remains.
	dropped := nw.commit(t, h, exts, []bool{true, true, true, true})
	dropped.Votes[3] = abci.ExtendedVoteInfo{Validator: dropped.Votes[3].Validator, BlockIdFlag: cmtproto.BlockIDFlagAbsent}
	full := nw.commit(t, h, exts, []bool{true, true, true, true})
	if st := processWith(t, ph, inj, veCtx(h, full), h, dropped); st != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("an injection that drops one extension of a full commit: %v", st)
	}
}

func processWith(t *testing.T, ph *ProposalHandler, inj Injections, ctx sdk.Context, h int64, eci abci.ExtendedCommitInfo) abci.ResponseProcessProposal_ProposalStatus {
	t.Helper()
	bz, err := inj.Encode(h-1, eci)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ph.ProcessProposal()(ctx, &abci.RequestProcessProposal{Height: h, Txs: [][]byte{bz}})
	if err != nil {
		t.Fatalf("ProcessProposal returned an error: %v", err)
	}
	return r.Status
}

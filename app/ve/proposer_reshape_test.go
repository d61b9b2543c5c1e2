package ve

import (
	"bytes"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	protoio "github.com/cosmos/gogoproto/io"

	"cosmossdk.io/log"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestProposerReshapedCommitIsRefused: a proposer reshapes the extended
// commit it injects, every extension still signed by its validator:
// reordered, one validator's vote counted twice, a power raised, or the
// whole commit signed again at a round the block's LastCommit does not
// have (validators that extended their precommits at a later round of the
// height than the one that committed). Each would count verdicts or powers
// that the chain's commit does not hold; each is refused (ProcessProposal
// checks the injection against LastCommit: validators, order, powers,
// round). A regression guard: baseapp.ValidateVoteExtensions does these
// checks, and this test keeps them whatever the SDK does.
func TestProposerReshapedCommitIsRefused(t *testing.T) {
	const h = 5
	nw := newNetwork(4)
	vote := ext(t, computetypes.JobVerdict{JobId: 1, Verdict: invalid})
	exts := [][]byte{vote, vote, vote, vote}
	last := nw.commit(t, h, exts, []bool{true, true, true, true})
	ctx := veCtx(h, last)
	inj := testInjections(t)
	rec := &recorder{}
	ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj, rec.prepare, rec.process)
	if st := processWith(t, ph, inj, ctx, h, last); st != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("the honest injection: %v", st)
	}
	reshaped := func(f func(*abci.ExtendedCommitInfo)) abci.ExtendedCommitInfo {
		eci := abci.ExtendedCommitInfo{Round: last.Round, Votes: append([]abci.ExtendedVoteInfo{}, last.Votes...)}
		f(&eci)
		return eci
	}
	for name, eci := range map[string]abci.ExtendedCommitInfo{
		"reordered": reshaped(func(e *abci.ExtendedCommitInfo) { e.Votes[0], e.Votes[1] = e.Votes[1], e.Votes[0] }),
		// Next to itself, so that the order by power and address still holds.
		"a vote counted twice": reshaped(func(e *abci.ExtendedCommitInfo) { e.Votes[1] = e.Votes[0] }),
		"a power raised":       reshaped(func(e *abci.ExtendedCommitInfo) { e.Votes[0].Validator.Power = 30 }),
		"another round": reshaped(func(e *abci.ExtendedCommitInfo) {
			e.Round = 1
			for i := range e.Votes {
				e.Votes[i].ExtensionSignature = signExtAt(t, nw.vals[i], vote, h-1, 1)
			}
		}),
	} {
		if st := processWith(t, ph, inj, ctx, h, eci); st != abci.ResponseProcessProposal_REJECT {
			t.Errorf("%s: an injection that does not match LastCommit was accepted", name)
		}
	}
}

// signExtAt is val's extension signature of ext at height and round.
func signExtAt(t *testing.T, val testVal, ext []byte, height, round int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	cve := cmtproto.CanonicalVoteExtension{Extension: ext, Height: height, Round: round, ChainId: testChainID}
	if err := protoio.NewDelimitedWriter(&buf).WriteMsg(&cve); err != nil {
		t.Fatal(err)
	}
	sig, err := val.priv.Sign(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

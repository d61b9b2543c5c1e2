package ve

import (
	"bytes"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/baseapp"
	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// newerExtension is what a node of a later extension format might send: a
// version, a verdict kind this binary does not know, and a field it does not
// know (field 15, varint 1, appended).
func newerExtension(t testing.TB) []byte {
	bz, err := (&computetypes.VoteExtension{Version: 2, Verdicts: []*computetypes.JobVerdict{
		{JobId: 7, Verdict: valid}, {JobId: 8, Verdict: 9},
	}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return append(bz, 0x78, 0x01)
}

// TestAttackRollingUpgradeAddsVerdictKind (issue 15, item 4): a node used to
// reject every extension with a verdict kind or a field it did not know, and
// anything not byte-for-byte its own encoding, so the first validators to
// upgrade to a binary with a new verdict kind had their precommits refused
// by the rest. Now such an extension is accepted by VerifyVoteExtension, a
// block injecting it passes ProcessProposal, and the PreBlocker hands only
// the verdicts this binary knows to x/compute.
func TestAttackRollingUpgradeAddsVerdictKind(t *testing.T) {
	const h = 6
	newer := newerExtension(t)
	vh := NewVoteExtHandler(log.NewNopLogger(), nil, 0)
	res, err := vh.VerifyVoteExtension()(sdk.Context{}, &abci.RequestVerifyVoteExtension{Height: h - 1, VoteExtension: newer})
	if err != nil || res.Status != abci.ResponseVerifyVoteExtension_ACCEPT {
		t.Fatalf("a newer format's extension: %v %v, want ACCEPT", res, err)
	}

	nw := newNetwork(4)
	old := ext(t, computetypes.JobVerdict{JobId: 7, Verdict: valid})
	last := nw.commit(t, h, [][]byte{newer, newer, old, old}, []bool{true, true, true, true})
	ctx := veCtx(h, last)
	rec := &recorder{}
	inj := testInjections(t)
	ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj, rec.prepare, rec.process)
	prep, err := ph.PrepareProposal()(ctx, &abci.RequestPrepareProposal{Height: h, MaxTxBytes: 1 << 20, LocalLastCommit: last})
	if err != nil {
		t.Fatal(err)
	}
	_, injected, err := inj.Decode(prep.Txs[0])
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range injected.Votes {
		if v.BlockIdFlag != cmtproto.BlockIDFlagCommit {
			t.Fatalf("vote %d pruned from the proposal: a newer format's extension was dropped", i)
		}
	}
	proc, err := ph.ProcessProposal()(ctx, &abci.RequestProcessProposal{Height: h, Txs: prep.Txs})
	if err != nil || proc.Status != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("a block carrying newer extensions: %v %v, want ACCEPT", proc, err)
	}

	s := &sink{}
	next := func(sdk.Context, *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
		return &sdk.ResponsePreBlock{}, nil
	}
	pb := NewPreBlocker(log.NewNopLogger(), s, inj, next).PreBlock()
	if _, err := pb(ctx, &abci.RequestFinalizeBlock{Height: h, Txs: prep.Txs}); err != nil {
		t.Fatal(err)
	}
	if s.total != 40 || len(s.votes) != 4 {
		t.Fatalf("tally: total %d, %d validators; want 40, 4", s.total, len(s.votes))
	}
	for _, v := range s.votes {
		if len(v.Verdicts) != 1 || v.Verdicts[0].JobId != 7 || v.Verdicts[0].Verdict != valid {
			t.Fatalf("validator %X: verdicts %+v, want only the known VALID on job 7", v.ConsAddress, v.Verdicts)
		}
	}
}

// bigExtension holds n VALID verdicts (jobs 1..n).
func bigExtension(t testing.TB, n int) []byte {
	vs := make([]computetypes.JobVerdict, n)
	for i := range vs {
		vs[i] = computetypes.JobVerdict{JobId: uint64(i + 1), Verdict: valid}
	}
	return ext(t.(*testing.T), vs...)
}

// TestAttackOversizedCommitLosesTheRound (issue 15, item 4): one validator
// with a large extension used to push the injected commit past the block's
// MaxTxBytes, and PrepareProposal returned an error: every round that
// validator's extension reached the proposer was lost. Now the proposer
// drops the largest extensions while more than 2/3 of the power stays, and
// the block it proposes passes ProcessProposal. Only a block too small for
// 2/3 of the power's extensions still fails.
func TestAttackOversizedCommitLosesTheRound(t *testing.T) {
	const h = 7
	nw := newNetwork(4) // 10 each: 27 of 40 must stay, so one extension may go
	small := ext(t, computetypes.JobVerdict{JobId: 3, Verdict: valid})
	big := bigExtension(t, 2000)
	exts := [][]byte{small, big, small, small}
	last := nw.commit(t, h, exts, []bool{true, true, true, true})
	ctx := veCtx(h, last)
	inj := testInjections(t)
	full, err := inj.Encode(h-1, last)
	if err != nil {
		t.Fatal(err)
	}
	maxTx := int64(len(full)) - int64(len(big)) + 1000 // room for everything but the big one
	rec := &recorder{}
	ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj, rec.prepare, rec.process)
	prep, err := ph.PrepareProposal()(ctx, &abci.RequestPrepareProposal{Height: h, MaxTxBytes: maxTx, LocalLastCommit: last})
	if err != nil {
		t.Fatalf("PrepareProposal with an oversized commit: %v", err)
	}
	if blockTxBytes(prep.Txs[0]) > maxTx {
		t.Fatalf("injection of %d bytes in the block, limit %d", blockTxBytes(prep.Txs[0]), maxTx)
	}
	_, injected, err := inj.Decode(prep.Txs[0])
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range injected.Votes {
		dropped := v.BlockIdFlag != cmtproto.BlockIDFlagCommit
		if dropped != bytes.Equal(exts[i], big) {
			t.Fatalf("vote %d dropped %t: only the big extension should go", i, dropped)
		}
	}
	if err := baseapp.ValidateVoteExtensions(ctx, nw.store, h, testChainID, injected); err != nil {
		t.Fatalf("the pruned commit does not validate: %v", err)
	}
	proc, err := ph.ProcessProposal()(ctx, &abci.RequestProcessProposal{Height: h, Txs: prep.Txs})
	if err != nil || proc.Status != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("the pruned proposal: %v %v, want ACCEPT", proc, err)
	}

	// Two big extensions: dropping one leaves 30 of 40, dropping both would
	// leave 20 < 27, so a block with room for one big one is still too small.
	exts = [][]byte{small, big, big, small}
	last = nw.commit(t, h, exts, []bool{true, true, true, true})
	if _, err := ph.PrepareProposal()(veCtx(h, last), &abci.RequestPrepareProposal{Height: h, MaxTxBytes: maxTx, LocalLastCommit: last}); err == nil {
		t.Fatal("a block too small for 2/3 of the power's extensions was proposed")
	}
}

// FuzzDecodeExtension: whatever decodes is ordered by job and re-encodes
// (its known verdicts) to an extension that decodes to the same known
// verdicts; unknown kinds and fields are accepted (seeds include them).
func FuzzDecodeExtension(f *testing.F) {
	good, _ := EncodeExtension([]computetypes.JobVerdict{{JobId: 1, Verdict: valid}, {JobId: 9, Verdict: unavailable}})
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x04, 0x08, 0x01, 0x10, 0x01})
	f.Add(newerExtension(f))
	withShares, _ := EncodeVoteExtension([]computetypes.JobVerdict{{JobId: 2, Verdict: valid}},
		[]computetypes.BeaconShare{{Height: 4, Signature: bytes.Repeat([]byte{7}, 48)}, {Height: 5, Signature: []byte{1}}})
	f.Add(withShares)
	shareOnly, _ := EncodeVoteExtension(nil, []computetypes.BeaconShare{{Height: 1, Signature: []byte{9, 9}}})
	f.Add(shareOnly)
	f.Fuzz(func(t *testing.T, bz []byte) {
		verdicts, err := DecodeExtension(bz)
		if err != nil {
			return
		}
		shares, err := DecodeBeaconShares(bz)
		if err != nil || len(shares) > MaxBeaconShares {
			t.Fatalf("verdicts decode but shares do not (or too many): %v, %d", err, len(shares))
		}
		for i := 1; i < len(shares); i++ {
			if shares[i].Height <= shares[i-1].Height {
				t.Fatalf("decoded shares out of order: %+v", shares)
			}
		}
		if again, err := EncodeVoteExtension(KnownVerdicts(verdicts), shares); err != nil {
			t.Fatal(err)
		} else if back, err := DecodeBeaconShares(again); err != nil || len(back) != len(shares) {
			t.Fatalf("re-encoded shares do not decode alike: %v", err)
		}
		for i := 1; i < len(verdicts); i++ {
			if verdicts[i].JobId <= verdicts[i-1].JobId {
				t.Fatalf("decoded verdicts out of order: %+v", verdicts)
			}
		}
		known := KnownVerdicts(verdicts)
		again, err := EncodeExtension(known)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeExtension(again)
		if err != nil || len(back) != len(known) {
			t.Fatalf("re-encoded known verdicts do not decode alike: %v, %d vs %d", err, len(back), len(known))
		}
		for i := range back {
			if back[i] != known[i] {
				t.Fatalf("verdict %d: %+v vs %+v", i, back[i], known[i])
			}
		}
	})
}

// FuzzPrepareProposalFits: whatever the extensions' sizes and the block's
// limit, PrepareProposal never panics, and what it proposes fits the limit
// and validates.
func FuzzPrepareProposalFits(f *testing.F) {
	f.Add(uint16(10), uint16(2000), uint16(10), uint16(10), int64(20_000))
	f.Add(uint16(3000), uint16(3000), uint16(1), uint16(0), int64(5_000))
	f.Add(uint16(0), uint16(0), uint16(0), uint16(0), int64(1))
	nw := newNetwork(4)
	inj := testInjections(f)
	f.Fuzz(func(t *testing.T, a, b, c, d uint16, maxTx int64) {
		const h = 8
		var exts [][]byte
		for _, n := range []uint16{a, b, c, d} {
			n %= computetypes.MaxVerdictsPerExtension + 1
			if n == 0 {
				exts = append(exts, nil)
				continue
			}
			exts = append(exts, bigExtension(t, int(n)))
		}
		last := nw.commit(t, h, exts, []bool{true, true, true, true})
		ctx := veCtx(h, last)
		rec := &recorder{}
		ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj, rec.prepare, rec.process)
		prep, err := ph.PrepareProposal()(ctx, &abci.RequestPrepareProposal{Height: h, MaxTxBytes: maxTx, LocalLastCommit: last})
		if err != nil {
			return
		}
		if len(prep.Txs) == 0 || fitsBlock(prep.Txs, maxTx) != nil {
			t.Fatalf("proposal of %d txs, over the limit %d", len(prep.Txs), maxTx)
		}
		_, injected, err := inj.Decode(prep.Txs[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := baseapp.ValidateVoteExtensions(ctx, nw.store, h, testChainID, injected); err != nil {
			t.Fatalf("the proposed commit does not validate: %v", err)
		}
	})
}

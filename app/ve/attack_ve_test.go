package ve

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/encoding/protowire"

	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txsigning "github.com/cosmos/cosmos-sdk/types/tx/signing"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// honestMaxExtension is the largest extension this binary's
// ExtendVote can write: MaxVerdictsPerExtension verdicts on job ids of the
// longest varint, and MaxBeaconShares 48-byte shares of the largest heights.
func honestMaxExtension(t *testing.T) []byte {
	t.Helper()
	vs := make([]computetypes.JobVerdict, MaxVerdictsPerExtension)
	for i := range vs {
		vs[i] = computetypes.JobVerdict{JobId: math.MaxUint64 - uint64(i), Verdict: computetypes.Verdict_VERDICT_DATASET_UNAVAILABLE}
	}
	shares := make([]computetypes.BeaconShare, MaxBeaconShares)
	for i := range shares {
		shares[i] = computetypes.BeaconShare{Height: math.MaxInt64 - int64(i), Signature: bytes.Repeat([]byte{0xff}, computetypes.BeaconShareSize)}
	}
	bz, err := EncodeVoteExtension(vs, shares)
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

// paddedExtension is a well-formed extension (one VALID verdict on job 1)
// filled up to MaxExtensionBytes with an unknown field (number 15, bytes):
// what a newer format might carry, or junk.
func paddedExtension(t *testing.T) (padded []byte, content []byte) {
	t.Helper()
	content, err := (&computetypes.VoteExtension{Verdicts: []*computetypes.JobVerdict{{JobId: 1, Verdict: valid}}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	n := MaxExtensionBytes - len(content) - 1 - 3 // tag, 3-byte length
	padded = protowire.AppendTag(append([]byte{}, content...), 15, protowire.BytesType)
	padded = protowire.AppendBytes(padded, bytes.Repeat([]byte("free data "), n/10+1)[:n])
	if len(padded) != MaxExtensionBytes {
		t.Fatalf("padded extension of %d bytes, want %d", len(padded), MaxExtensionBytes)
	}
	return padded, content
}

// TestAttackVEPaddedExtensionIsFreeBlockSpace: TestAttackPaddedInjection
// closed the proposer's way of padding transaction 0 ("block space for
// free": the injection pays no fee and no size gas), but each validator
// still pads its own signed vote extension with unknown fields up to
// MaxExtensionBytes (64 KiB), far beyond anything this binary writes, and
// every honest node accepts it (VerifyVoteExtension), every honest proposer
// injects it verbatim, and every honest validator accepts the block
// (ProcessProposal). One validator below 1/3 thus stores ~63 KiB of
// arbitrary data in every block, forever, at no cost (block store of every
// node: ~1 GiB a day per such validator at 5 s blocks), and crowds the
// block's MaxTxBytes that the mempool's fee-paying transactions share.
func TestAttackVEPaddedExtensionIsFreeBlockSpace(t *testing.T) {
	const h = 11
	honestMax := honestMaxExtension(t)
	padded, content := paddedExtension(t)
	t.Logf("largest extension this binary writes: %d bytes; the hostile one: %d bytes, %d of them padding",
		len(honestMax), len(padded), len(padded)-len(content))

	vh := NewVoteExtHandler(log.NewNopLogger(), nil, 0)
	res, err := vh.VerifyVoteExtension()(sdk.Context{}, &abci.RequestVerifyVoteExtension{Height: h - 1, VoteExtension: padded})
	if err != nil {
		t.Fatal(err)
	}
	accepted := res.Status == abci.ResponseVerifyVoteExtension_ACCEPT

	nw, inj, honest, prep, carried, proc := proposeWithHostile(t, h, padded)
	// Bare honest block for comparison: the hostile validator's extension
	// without the padding.
	bare := nw.commit(t, h, [][]byte{honest, honest, honest, content}, []bool{true, true, true, true})
	bareTx, err := inj.Encode(h-1, bare)
	if err != nil {
		t.Fatal(err)
	}
	if accepted && carried > 0 && proc.Status == abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("a validator with 25%% of the power padded its extension to %d bytes (%d of padding, %.1fx the largest extension "+
			"this binary writes, %d bytes): VerifyVoteExtension ACCEPTs it, the honest proposer injects it (transaction 0 of %d bytes "+
			"instead of %d, no fee, no gas) and ProcessProposal ACCEPTs the block",
			carried, len(padded)-len(content), float64(len(padded))/float64(len(honestMax)), len(honestMax),
			len(prep.Txs[0]), len(bareTx))
	}
}

// TestAttackVEFirstBlockOfARestartedChainIsRefused: a chain restarted from
// an exported genesis (aichaind export without --for-zero-height: its
// initial_height is the next height, and its consensus params keep
// vote_extensions_enable_height 1) has no LastCommit at its first block:
// CometBFT hands PrepareProposal an empty LocalLastCommit and
// ProcessProposal an empty ProposedLastCommit (there are no extended
// commits below the initial height). ExtensionsEnabled only compares the
// height with the enable height, so every proposer injects an empty commit
// that every validator refuses (ValidateVoteExtensions: total power 0):
// every round of the first height is lost, and the chain never starts.
func TestAttackVEFirstBlockOfARestartedChainIsRefused(t *testing.T) {
	const initialHeight = 1001 // exported at height 1000
	empty := abci.ExtendedCommitInfo{}
	ctx := veCtx(initialHeight, empty)
	if !ExtensionsEnabled(ctx, initialHeight) {
		t.Skip("extensions are not required at the initial height: nothing to show")
	}
	nw := newNetwork(4)
	inj := testInjections(t)
	rec := &recorder{}
	ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj, rec.prepare, rec.process)
	user := []byte("a user transaction")
	prep, err := ph.PrepareProposal()(ctx, &abci.RequestPrepareProposal{Height: initialHeight, MaxTxBytes: 1 << 20, LocalLastCommit: empty, Txs: [][]byte{user}})
	if err != nil {
		t.Fatalf("the first block's proposer cannot propose: %v", err)
	}
	proc, err := ph.ProcessProposal()(ctx, &abci.RequestProcessProposal{Height: initialHeight, Txs: prep.Txs})
	if err != nil {
		t.Fatal(err)
	}
	if proc.Status != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("the honest proposal of the first block at initial height %d (no LastCommit) is refused by every validator: "+
			"%d transactions proposed, status %v; no round of the first height can commit", initialHeight, len(prep.Txs), proc.Status)
	}
	// Nor may the first block's verdicts come from anywhere.
	if len(prep.Txs) > 0 && inj.Holds(prep.Txs[0]) {
		if _, eci, err := inj.Decode(prep.Txs[0]); err == nil && len(eci.Votes) > 0 {
			t.Fatalf("an injection of %d votes in the first block", len(eci.Votes))
		}
	}
}

// TestAttackVETypeURLInMemoDefeatsTheHoldsPrefilter: TestHoldsDecodesOnlyCandidates
// made Holds decode only transactions whose bytes hold MsgInjectVerdicts'
// type URL, because proposals ask it of every transaction (PrepareProposal
// twice, every validator's ProcessProposal once) and decoding 2,000 bank
// sends cost ~30 ms per proposal check. Any user puts the type URL in its
// memo (33 bytes, no other cost: the transaction is an ordinary signed one
// that CheckTx admits), and every such transaction is fully decoded again
// in each proposal check: the byte search filters nothing.
func TestAttackVETypeURLInMemoDefeatsTheHoldsPrefilter(t *testing.T) {
	const n = 2000
	base := testInjections(t)
	var calls int
	inj := Injections{TxConfig: countingDecoder{TxConfig: base.TxConfig, calls: &calls}}
	txs := make([][]byte, n)
	for i := range txs {
		b := base.TxConfig.NewTxBuilder()
		b.SetMemo("gm " + string(typeURL))
		b.SetGasLimit(uint64(100000 + i))
		if err := b.SetSignatures(txsigning.SignatureV2{
			PubKey: secp256k1.GenPrivKey().PubKey(),
			Data:   &txsigning.SingleSignatureData{SignMode: txsigning.SignMode_SIGN_MODE_DIRECT, Signature: make([]byte, 64)},
		}); err != nil {
			t.Fatal(err)
		}
		bz, err := base.TxConfig.TxEncoder()(b.GetTx())
		if err != nil {
			t.Fatal(err)
		}
		txs[i] = bz
	}
	nw := newNetwork(4)
	const h = 5
	last := nw.commit(t, h, [][]byte{nil, nil, nil, nil}, []bool{true, true, true, true})
	ctx := veCtx(h, last)
	rec := &recorder{}
	ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj, rec.prepare, rec.process)
	start := time.Now()
	prep, err := ph.PrepareProposal()(ctx, &abci.RequestPrepareProposal{Height: h, MaxTxBytes: 1 << 24, LocalLastCommit: last, Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	prepCalls, prepTime := calls, time.Since(start)
	calls = 0
	start = time.Now()
	proc, err := ph.ProcessProposal()(ctx, &abci.RequestProcessProposal{Height: h, Txs: prep.Txs})
	if err != nil || proc.Status != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("ProcessProposal: %v %v", proc, err)
	}
	procCalls, procTime := calls, time.Since(start)
	// The injection itself is decoded once per check; the user transactions
	// should cost a byte search, as ordinary ones do.
	if prepCalls > 2 || procCalls > 2 {
		t.Fatalf("%d user transactions with the type URL in their memo: PrepareProposal decoded %d transactions (%v), "+
			"ProcessProposal %d (%v), on every validator; without the memo it decodes none",
			n, prepCalls, prepTime, procCalls, procTime)
	}
}

// withUnknownField appends field 15 (bytes) to bz, n bytes in all.
func withUnknownField(t *testing.T, bz []byte, n int) []byte {
	t.Helper()
	out := protowire.AppendTag(append([]byte{}, bz...), 15, protowire.BytesType)
	body := n - (len(out) - len(bz))
	body -= protowire.SizeVarint(uint64(body))
	out = protowire.AppendBytes(out, make([]byte, body))
	if len(out)-len(bz) != n {
		t.Fatalf("%d bytes appended, want %d", len(out)-len(bz), n)
	}
	return out
}

// TestExtensionSlackIsBounded: an extension may hold up to
// MaxExtensionSlackBytes beyond the canonical encoding of its content, in
// unknown fields (a later format's) or in non-minimal varints alike, and
// not a byte more; what the PreBlocker tallies is unchanged (DecodeExtension
// still reads a padded extension), so blocks committed before the bound
// replay as they were.
func TestExtensionSlackIsBounded(t *testing.T) {
	content := ext(t, computetypes.JobVerdict{JobId: 1, Verdict: valid})
	if err := VerifyExtension(withUnknownField(t, content, MaxExtensionSlackBytes)); err != nil {
		t.Fatalf("an extension with %d bytes of unknown fields: %v, want accepted", MaxExtensionSlackBytes, err)
	}
	over := withUnknownField(t, content, MaxExtensionSlackBytes+1)
	if err := VerifyExtension(over); !errors.Is(err, ErrPaddedExtension) || !errors.Is(err, ErrMalformedExtension) {
		t.Fatalf("an extension with %d bytes of unknown fields: %v, want ErrPaddedExtension", MaxExtensionSlackBytes+1, err)
	}
	if vs, err := DecodeExtension(over); err != nil || len(vs) != 1 {
		t.Fatalf("DecodeExtension (the tally's) of the padded extension: %v %v, want its verdict", vs, err)
	}
	// 200 verdicts whose job ids are 10-byte varints: 9 bytes of padding each.
	var long []byte
	for id := uint64(1); id <= 200; id++ {
		var jv []byte
		jv = protowire.AppendTag(jv, 1, protowire.VarintType)
		for i := 0; i < 9; i++ {
			jv = append(jv, byte(id>>(7*i))&0x7f|0x80)
		}
		jv = append(jv, byte(id>>63))
		jv = protowire.AppendTag(jv, 2, protowire.VarintType)
		jv = protowire.AppendVarint(jv, uint64(valid))
		long = protowire.AppendTag(long, 1, protowire.BytesType)
		long = protowire.AppendBytes(long, jv)
	}
	if vs, err := DecodeExtension(long); err != nil || len(vs) != 200 {
		t.Fatalf("non-minimal varints: %d verdicts, %v", len(vs), err)
	}
	if err := VerifyExtension(long); !errors.Is(err, ErrPaddedExtension) {
		t.Fatalf("an extension padded with 1,800 bytes of non-minimal varints: %v, want ErrPaddedExtension", err)
	}
	for name, bz := range map[string][]byte{
		"the largest this binary writes": honestMaxExtension(t),
		"a newer format's":               newerExtension(t),
		"empty":                          nil,
	} {
		if err := VerifyExtension(bz); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// TestAttackProposerInjectsItsPaddedExtension: the padding validator,
// proposing, injects its own padded extension (signed, in the commit) where
// an honest proposer would mark it absent: every validator refuses the
// block. A block committed before the bound (replayed) still tallies it.
func TestAttackProposerInjectsItsPaddedExtension(t *testing.T) {
	const h = 11
	padded, _ := paddedExtension(t)
	nw := newNetwork(4)
	honest := ext(t, computetypes.JobVerdict{JobId: 1, Verdict: valid})
	last := nw.commit(t, h, [][]byte{honest, honest, honest, padded}, []bool{true, true, true, true})
	inj := testInjections(t)
	ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj, (&recorder{}).prepare, (&recorder{}).process)
	if st := processWith(t, ph, inj, veCtx(h, last), h, last); st != abci.ResponseProcessProposal_REJECT {
		t.Fatalf("a block injecting a padded extension: %v, want REJECT", st)
	}

	s := preBlockInjected(t, inj, h, last)
	counted := 0
	for _, v := range s.votes {
		counted += len(v.Verdicts)
	}
	if counted != 4 {
		t.Fatalf("replaying a block committed with a padded extension tallied %d verdicts, want 4 (as when it was committed)", counted)
	}
}

// TestFirstBlockOfARestartedChainCarriesNoInjection: at a chain's initial
// height (no LastCommit) a block that injects a commit is refused, and the
// PreBlocker leaves its transaction 0 (a user's) alone; at the next height
// a block without the injection is refused as ever.
func TestFirstBlockOfARestartedChainCarriesNoInjection(t *testing.T) {
	const initialHeight = 1001
	nw := newNetwork(4)
	inj := testInjections(t)
	ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj, (&recorder{}).prepare, (&recorder{}).process)
	first := veCtx(initialHeight, abci.ExtendedCommitInfo{})
	if CarriesInjection(first, initialHeight) {
		t.Fatal("the first block of a restarted chain carries an injection")
	}
	if st := processWith(t, ph, inj, first, initialHeight, abci.ExtendedCommitInfo{}); st != abci.ResponseProcessProposal_REJECT {
		t.Fatalf("an injected empty commit in the first block: %v, want REJECT", st)
	}
	s := &sink{}
	next := func(sdk.Context, *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
		return &sdk.ResponsePreBlock{}, nil
	}
	if _, err := NewPreBlocker(log.NewNopLogger(), s, inj, next).PreBlock()(first,
		&abci.RequestFinalizeBlock{Height: initialHeight, Txs: [][]byte{[]byte("a user transaction")}}); err != nil || s.votes != nil {
		t.Fatalf("the first block's pre-blocker: %v, %d votes handed over, want none", err, len(s.votes))
	}

	last := nw.commit(t, initialHeight+1, [][]byte{nil, nil, nil, nil}, []bool{true, true, true, true})
	second := veCtx(initialHeight+1, last)
	if !CarriesInjection(second, initialHeight+1) {
		t.Fatal("the second block carries no injection")
	}
	r, err := ph.ProcessProposal()(second, &abci.RequestProcessProposal{Height: initialHeight + 1, Txs: [][]byte{[]byte("a user transaction")}})
	if err != nil || r.Status != abci.ResponseProcessProposal_REJECT {
		t.Fatalf("the second block without its injection: %v %v, want REJECT", r, err)
	}
}

// proposeWithHostile has an honest proposer propose at h over a commit of
// 4 validators of 10 power each, three with an honest extension (a VALID
// verdict on job 1) and one with hostile, and every validator check the
// proposal; carried is the size of hostile in the injected commit (0: not
// injected).
func proposeWithHostile(t *testing.T, h int64, hostile []byte) (nw network, inj Injections, honest []byte,
	prep *abci.ResponsePrepareProposal, carried int, proc *abci.ResponseProcessProposal) {
	t.Helper()
	nw = newNetwork(4) // 10 each: the hostile validator holds 25% < 1/3
	honest = ext(t, computetypes.JobVerdict{JobId: 1, Verdict: valid})
	last := nw.commit(t, h, [][]byte{honest, honest, honest, hostile}, []bool{true, true, true, true})
	ctx := veCtx(h, last)
	inj = testInjections(t)
	rec := &recorder{}
	ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj, rec.prepare, rec.process)
	prep, err := ph.PrepareProposal()(ctx, &abci.RequestPrepareProposal{Height: h, MaxTxBytes: 1 << 20, LocalLastCommit: last})
	if err != nil {
		t.Fatal(err)
	}
	_, injected, err := inj.Decode(prep.Txs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range injected.Votes {
		if bytes.Equal(v.VoteExtension, hostile) {
			carried = len(v.VoteExtension)
		}
	}
	proc, err = ph.ProcessProposal()(ctx, &abci.RequestProcessProposal{Height: h, Txs: prep.Txs})
	if err != nil {
		t.Fatal(err)
	}
	return nw, inj, honest, prep, carried, proc
}

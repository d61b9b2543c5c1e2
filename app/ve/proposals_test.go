package ve

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"cosmossdk.io/log"
	"cosmossdk.io/x/tx/signing"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	vetypes "github.com/aichain/aichain/app/ve/types"
	computetypes "github.com/aichain/aichain/x/compute/types"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
)

type recorder struct {
	prepareMax int64
	processed  [][]byte
}

func (r *recorder) prepare(_ sdk.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	r.prepareMax = req.MaxTxBytes
	return &abci.ResponsePrepareProposal{Txs: req.Txs}, nil
}

func (r *recorder) process(_ sdk.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	r.processed = req.Txs
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

func ext(t *testing.T, vs ...computetypes.JobVerdict) []byte {
	bz, err := EncodeExtension(vs)
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

func TestPrepareAndProcessProposal(t *testing.T) {
	const h = 5
	nw := newNetwork(4)
	exts := [][]byte{
		ext(t, computetypes.JobVerdict{JobId: 1, Verdict: valid}),
		ext(t, computetypes.JobVerdict{JobId: 1, Verdict: valid}),
		{0x0a, 0x02, 0xff, 0xff}, // malformed, yet signed: a late precommit never verified
		nil,
	}
	last := nw.commit(t, h, exts, []bool{true, true, true, true})
	ctx := veCtx(h, last)
	rec := &recorder{}
	inj := testInjections(t)
	ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj, rec.prepare, rec.process)

	userTx := []byte("user-tx")
	resp, err := ph.PrepareProposal()(ctx, &abci.RequestPrepareProposal{
		Height: h, MaxTxBytes: 1 << 20, Txs: [][]byte{userTx}, LocalLastCommit: last,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Txs) != 2 || !inj.Holds(resp.Txs[0]) || !bytes.Equal(resp.Txs[1], userTx) {
		t.Fatalf("proposal txs: want [injection, user tx], got %d txs", len(resp.Txs))
	}
	if want := int64(1<<20) - blockTxBytes(resp.Txs[0]); rec.prepareMax != want {
		t.Fatalf("inner prepare got MaxTxBytes %d, want %d (injection counted, framing included)", rec.prepareMax, want)
	}
	injHeight, injected, err := inj.Decode(resp.Txs[0])
	if err != nil {
		t.Fatal(err)
	}
	if injHeight != h-1 {
		t.Fatalf("the injection carries height %d, want %d", injHeight, h-1)
	}
	if injected.Votes[2].BlockIdFlag != cmtproto.BlockIDFlagAbsent || len(injected.Votes[2].VoteExtension) != 0 {
		t.Fatal("the malformed extension was not pruned from the proposal")
	}

	process := func(txs [][]byte) abci.ResponseProcessProposal_ProposalStatus {
		t.Helper()
		r, err := ph.ProcessProposal()(ctx, &abci.RequestProcessProposal{Height: h, Txs: txs})
		if err != nil {
			t.Fatalf("ProcessProposal returned an error: %v", err)
		}
		return r.Status
	}
	if st := process(resp.Txs); st != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("honest proposal: %v", st)
	}
	if len(rec.processed) != 1 || !bytes.Equal(rec.processed[0], userTx) {
		t.Fatal("the inner process handler must see the user txs only")
	}

	// Missing injection.
	if st := process([][]byte{userTx}); st != abci.ResponseProcessProposal_REJECT {
		t.Fatal("a proposal without the injected commit was accepted")
	}
	// Injection out of place.
	if st := process([][]byte{resp.Txs[0], resp.Txs[0]}); st != abci.ResponseProcessProposal_REJECT {
		t.Fatal("a second injection was accepted")
	}
	// Forged: an extension changed after signing.
	forged := injected
	forged.Votes = append([]abci.ExtendedVoteInfo{}, injected.Votes...)
	forged.Votes[0].VoteExtension = ext(t, computetypes.JobVerdict{JobId: 1, Verdict: invalid})
	bz, _ := inj.Encode(h-1, forged)
	if st := process([][]byte{bz}); st != abci.ResponseProcessProposal_REJECT {
		t.Fatal("a forged extension was accepted")
	}
	// Malformed extension with a valid signature (not pruned by a faulty proposer).
	unpruned, _ := inj.Encode(h-1, last)
	if st := process([][]byte{unpruned}); st != abci.ResponseProcessProposal_REJECT {
		t.Fatal("a malformed extension was accepted")
	}
	// Under 2/3: two of four validators.
	thin := injected
	thin.Votes = append([]abci.ExtendedVoteInfo{}, injected.Votes...)
	thin.Votes[1] = abci.ExtendedVoteInfo{Validator: thin.Votes[1].Validator, BlockIdFlag: cmtproto.BlockIDFlagAbsent}
	bz, _ = inj.Encode(h-1, thin)
	if st := process([][]byte{bz}); st != abci.ResponseProcessProposal_REJECT {
		t.Fatal("an extended commit under 2/3 of the power was accepted")
	}
	// Not the block's LastCommit: a validator swapped for a stranger.
	stranger := injected
	stranger.Votes = append([]abci.ExtendedVoteInfo{}, injected.Votes...)
	stranger.Votes[3].Validator.Address = ed25519.GenPrivKey().PubKey().Address()
	bz, _ = inj.Encode(h-1, stranger)
	if st := process([][]byte{bz}); st != abci.ResponseProcessProposal_REJECT {
		t.Fatal("an extended commit that does not match LastCommit was accepted")
	}
	// The commit of another height.
	bz, _ = inj.Encode(h-2, injected)
	if st := process([][]byte{bz}); st != abci.ResponseProcessProposal_REJECT {
		t.Fatal("an injection of the wrong height was accepted")
	}
	// Garbage in the message.
	if st := process([][]byte{injectionTx(t, inj, &vetypes.MsgInjectVerdicts{Height: h - 1, ExtendedCommitInfo: []byte{0xff, 0x01}})}); st != abci.ResponseProcessProposal_REJECT {
		t.Fatal("a malformed injection was accepted")
	}
	// Two injections in one transaction, at index 0.
	double := injectionTx(t, inj, &vetypes.MsgInjectVerdicts{Height: h - 1}, &vetypes.MsgInjectVerdicts{Height: h - 1})
	if st := process([][]byte{double}); st != abci.ResponseProcessProposal_REJECT {
		t.Fatal("a transaction of two injections was accepted")
	}
	// An honest injection, then a transaction that smuggles a second one.
	if st := process([][]byte{resp.Txs[0], double}); st != abci.ResponseProcessProposal_REJECT {
		t.Fatal("a smuggled injection after index 0 was accepted")
	}
}

// TestAttackPaddedInjection: the injected commit skips the ante handler (no
// fee, no size gas, no memo limit). A proposer that padded it (a memo, or
// unknown fields inside the commit's bytes) up to the block's size had that
// space for free; only the codec's own encoding of the commit it carries is
// accepted.
func TestAttackPaddedInjection(t *testing.T) {
	const h = 5
	nw := newNetwork(4)
	exts := [][]byte{ext(t, computetypes.JobVerdict{JobId: 1, Verdict: valid}), nil, nil, nil}
	last := nw.commit(t, h, exts, []bool{true, true, true, true})
	ctx := veCtx(h, last)
	inj := testInjections(t)
	rec := &recorder{}
	ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj, rec.prepare, rec.process)
	process := func(tx []byte) abci.ResponseProcessProposal_ProposalStatus {
		t.Helper()
		r, err := ph.ProcessProposal()(ctx, &abci.RequestProcessProposal{Height: h, Txs: [][]byte{tx}})
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	honest, err := inj.Encode(h-1, last)
	if err != nil {
		t.Fatal(err)
	}
	if st := process(honest); st != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("honest injection: %v", st)
	}
	bz, err := last.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b := inj.TxConfig.NewTxBuilder()
	if err := b.SetMsgs(&vetypes.MsgInjectVerdicts{Height: h - 1, ExtendedCommitInfo: bz}); err != nil {
		t.Fatal(err)
	}
	b.SetMemo(strings.Repeat("free block space ", 1000))
	memo, err := inj.TxConfig.TxEncoder()(b.GetTx())
	if err != nil {
		t.Fatal(err)
	}
	// An unknown field (number 15, 16 KiB of bytes) appended to the commit.
	unknown := append(append([]byte{}, bz...), 0x7a, 0x80, 0x80, 0x01)
	unknown = append(unknown, make([]byte, 1<<14)...)
	for name, tx := range map[string][]byte{
		"a memo":                     memo,
		"unknown fields in a commit": injectionTx(t, inj, &vetypes.MsgInjectVerdicts{Height: h - 1, ExtendedCommitInfo: unknown}),
	} {
		if _, _, err := inj.Decode(tx); err != nil {
			t.Fatalf("%s: the padded injection does not even decode (%v): the test would prove nothing", name, err)
		}
		if st := process(tx); st != abci.ResponseProcessProposal_REJECT {
			t.Fatalf("an injection padded with %s (%d bytes, honest %d) was accepted", name, len(tx), len(honest))
		}
	}
}

// testInjections is the injection codec of a client that knows aichain's
// transaction types (as the node and every explorer's node do), and those
// that register adds.
func testInjections(t testing.TB, register ...func(codectypes.InterfaceRegistry)) Injections {
	t.Helper()
	opts := signing.Options{
		AddressCodec:          address.NewBech32Codec("aic"),
		ValidatorAddressCodec: address.NewBech32Codec("aicvaloper"),
	}
	vetypes.DefineCustomGetSigners(&opts)
	reg, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles: gogoproto.HybridResolver, SigningOptions: opts,
	})
	if err != nil {
		t.Fatal(err)
	}
	vetypes.RegisterInterfaces(reg)
	for _, r := range register {
		r(reg)
	}
	return Injections{TxConfig: authtx.NewTxConfig(codec.NewProtoCodec(reg), authtx.DefaultSignModes)}
}

// injectionTx builds an unsigned transaction of the given messages.
func injectionTx(t testing.TB, inj Injections, msgs ...sdk.Msg) []byte {
	t.Helper()
	b := inj.TxConfig.NewTxBuilder()
	if err := b.SetMsgs(msgs...); err != nil {
		t.Fatal(err)
	}
	bz, err := inj.TxConfig.TxEncoder()(b.GetTx())
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

type sink struct {
	total int64
	votes []computetypes.ValidatorVerdicts
	err   error
}

func (s *sink) ApplyVerdicts(_ context.Context, total int64, votes []computetypes.ValidatorVerdicts) error {
	s.total, s.votes = total, votes
	return s.err
}

func TestPreBlockerTalliesByPower(t *testing.T) {
	const h = 9
	nw := newNetwork(4)
	nw.vals[3].power = 40 // total 70
	exts := [][]byte{
		ext(t, computetypes.JobVerdict{JobId: 7, Verdict: valid}),
		ext(t, computetypes.JobVerdict{JobId: 7, Verdict: invalid}, computetypes.JobVerdict{JobId: 8, Verdict: valid}),
		nil,
		ext(t, computetypes.JobVerdict{JobId: 7, Verdict: valid}),
	}
	last := nw.commit(t, h, exts, []bool{true, true, false, true})
	inj := testInjections(t)
	tx, err := inj.Encode(h-1, last)
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{}
	called := false
	next := func(sdk.Context, *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
		called = true
		return &sdk.ResponsePreBlock{}, nil
	}
	pb := NewPreBlocker(log.NewNopLogger(), s, inj, next).PreBlock()
	if _, err := pb(veCtx(h, last), &abci.RequestFinalizeBlock{Height: h, Txs: [][]byte{tx}}); err != nil {
		t.Fatal(err)
	}
	if !called {
		t.Fatal("the wrapped pre-blocker did not run")
	}
	if s.total != 70 {
		t.Fatalf("total power %d, want 70", s.total)
	}
	// Every validator of the set is handed over with its power (x/compute
	// tallies each job's voters at their power in this one commit); only
	// the committing ones with extensions carry verdicts.
	if len(s.votes) != 4 {
		t.Fatalf("%d validators handed over, want the set's 4", len(s.votes))
	}
	var power, voting int64
	withVerdicts := 0
	for _, v := range s.votes {
		power += v.Power
		if len(v.Verdicts) > 0 {
			withVerdicts++
			voting += v.Power
		}
	}
	if power != 70 || withVerdicts != 3 || voting != 60 {
		t.Fatalf("powers %d (want 70), %d validators with verdicts of power %d (want 3 of 60: absent and empty ones carry none)",
			power, withVerdicts, voting)
	}

	// A sink error or a garbage injection never fails the block.
	s.err = errors.New("keeper refused")
	if _, err := pb(veCtx(h, last), &abci.RequestFinalizeBlock{Height: h, Txs: [][]byte{tx}}); err != nil {
		t.Fatalf("a keeper error halted the block: %v", err)
	}
	if _, err := pb(veCtx(h, last), &abci.RequestFinalizeBlock{Height: h, Txs: [][]byte{[]byte("junk")}}); err != nil {
		t.Fatalf("a junk tx 0 halted the block: %v", err)
	}
}

func FuzzDecodeInjection(f *testing.F) {
	inj := testInjections(f)
	good, err := inj.Encode(4, abci.ExtendedCommitInfo{Votes: []abci.ExtendedVoteInfo{{Validator: abci.Validator{Address: []byte{1}, Power: 3}}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(injectionTx(f, inj, &vetypes.MsgInjectVerdicts{Height: 1, ExtendedCommitInfo: []byte{0x08, 0x01}}))
	f.Fuzz(func(t *testing.T, bz []byte) {
		_, _, _ = inj.Tally(bz) // must not panic
		// Holds decodes only bytes that hold the type URL: no transaction
		// the decoder reads as holding an injection may lack it.
		if tx, err := inj.TxConfig.TxDecoder()(bz); err == nil && HoldsInjection(tx) && !inj.Holds(bz) {
			t.Fatalf("%x holds an injection that Holds misses", bz)
		}
	})
}

// TestPreBlockerPassesAbortVerdicts: the verdicts sidecars cast on an
// aborted job's inputs reach x/compute's tally through the injected commit,
// each validator weighed by its power, as the verification verdicts do.
func TestPreBlockerPassesAbortVerdicts(t *testing.T) {
	const h = 5
	nw := newNetwork(3) // 10 each
	gone := computetypes.JobVerdict{JobId: 3, Verdict: computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE}
	there := computetypes.JobVerdict{JobId: 3, Verdict: computetypes.Verdict_VERDICT_INPUTS_AVAILABLE}
	last := nw.commit(t, h, [][]byte{ext(t, gone), ext(t, gone), ext(t, there)}, []bool{true, true, true})
	inj := testInjections(t)
	s := preBlockInjected(t, inj, h, last)
	byKind := map[computetypes.Verdict]int64{}
	for _, v := range s.votes {
		for _, jv := range v.Verdicts {
			byKind[jv.Verdict] += v.Power
		}
	}
	if s.total != 30 || byKind[gone.Verdict] != 20 || byKind[there.Verdict] != 10 {
		t.Fatalf("total %d, powers by kind %v", s.total, byKind)
	}
}

// preBlockInjected runs the PreBlocker on a block at h whose transaction 0
// injects last, and returns what it applied.
func preBlockInjected(t *testing.T, inj Injections, h int64, last abci.ExtendedCommitInfo) *sink {
	t.Helper()
	tx, err := inj.Encode(h-1, last)
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{}
	next := func(sdk.Context, *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
		return &sdk.ResponsePreBlock{}, nil
	}
	if _, err := NewPreBlocker(log.NewNopLogger(), s, inj, next).PreBlock()(veCtx(h, last), &abci.RequestFinalizeBlock{Height: h, Txs: [][]byte{tx}}); err != nil {
		t.Fatal(err)
	}
	return s
}

package ve

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"sort"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
	cmtprotocrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	protoio "github.com/cosmos/gogoproto/io"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"cosmossdk.io/core/comet"
	"cosmossdk.io/core/header"
	"cosmossdk.io/log"
	storetypes "cosmossdk.io/store/types"
	"cosmossdk.io/x/tx/signing"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdktestutil "github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"

	vetypes "github.com/aichain/aichain/app/ve/types"
	computetypes "github.com/aichain/aichain/x/compute/types"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
)

const testChainID = "aichain-test-1"

var (
	valid       = computetypes.Verdict_VERDICT_VALID
	invalid     = computetypes.Verdict_VERDICT_INVALID
	unavailable = computetypes.Verdict_VERDICT_UNAVAILABLE
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	kinds := []computetypes.Verdict{valid, invalid, unavailable, computetypes.Verdict_VERDICT_UNSPECIFIED, 9}
	for trial := 0; trial < 500; trial++ {
		n := r.Intn(50)
		in := make([]computetypes.JobVerdict, n)
		for i := range in {
			in[i] = computetypes.JobVerdict{JobId: uint64(r.Intn(40)), Verdict: kinds[r.Intn(len(kinds))]}
		}
		bz, err := EncodeExtension(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := DecodeExtension(bz)
		if err != nil {
			t.Fatalf("trial %d: DecodeExtension refuses what EncodeExtension made: %v", trial, err)
		}
		// The decoded set is the input's first valid verdict per non-zero job.
		want := map[uint64]computetypes.Verdict{}
		for _, v := range in {
			if _, ok := want[v.JobId]; !ok && v.JobId != 0 && validVerdict(v.Verdict) {
				want[v.JobId] = v.Verdict
			}
		}
		if len(out) != len(want) {
			t.Fatalf("trial %d: %d verdicts decoded, want %d", trial, len(out), len(want))
		}
		if !sort.SliceIsSorted(out, func(i, j int) bool { return out[i].JobId < out[j].JobId }) {
			t.Fatalf("trial %d: verdicts not sorted", trial)
		}
		for _, v := range out {
			if want[v.JobId] != v.Verdict {
				t.Fatalf("trial %d: job %d verdict %v, want %v", trial, v.JobId, v.Verdict, want[v.JobId])
			}
		}
	}
}

func mustMarshal(t *testing.T, ext computetypes.VoteExtension) []byte {
	t.Helper()
	bz, err := ext.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

func TestDecodeExtensionRefusesMalformed(t *testing.T) {
	good, err := EncodeExtension([]computetypes.JobVerdict{{JobId: 1, Verdict: valid}, {JobId: 2, Verdict: invalid}})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"garbage":     []byte{0xff, 0xff, 0xff},
		"oversized":   bytes.Repeat([]byte{0}, MaxExtensionBytes+1),
		"unknown tag": append(append([]byte{}, good...), 0x10, 0x01), // field 2 varint appended
		"duplicate job": mustMarshal(t, computetypes.VoteExtension{Verdicts: []*computetypes.JobVerdict{
			{JobId: 3, Verdict: valid}, {JobId: 3, Verdict: invalid}}}),
		"out of order": mustMarshal(t, computetypes.VoteExtension{Verdicts: []*computetypes.JobVerdict{
			{JobId: 5, Verdict: valid}, {JobId: 4, Verdict: valid}}}),
		"unspecified verdict": mustMarshal(t, computetypes.VoteExtension{Verdicts: []*computetypes.JobVerdict{
			{JobId: 1, Verdict: computetypes.Verdict_VERDICT_UNSPECIFIED}}}),
		"job zero": mustMarshal(t, computetypes.VoteExtension{Verdicts: []*computetypes.JobVerdict{{JobId: 0, Verdict: valid}}}),
	}
	for name, bz := range cases {
		if _, err := DecodeExtension(bz); !errors.Is(err, ErrMalformedExtension) {
			t.Errorf("%s: got %v, want ErrMalformedExtension", name, err)
		}
	}
	if v, err := DecodeExtension(nil); err != nil || len(v) != 0 {
		t.Fatalf("empty extension: %v %v", v, err)
	}
}

type fakeClient struct {
	verdicts []computetypes.JobVerdict
	err      error
	block    bool
	panics   bool
}

func (f fakeClient) Verdicts(ctx context.Context, _ int64) ([]computetypes.JobVerdict, error) {
	if f.panics {
		panic("sidecar client bug")
	}
	if f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return f.verdicts, f.err
}

func TestExtendVote(t *testing.T) {
	ctx := sdk.Context{}
	req := &abci.RequestExtendVote{Height: 7}
	good := []computetypes.JobVerdict{{JobId: 4, Verdict: valid}, {JobId: 2, Verdict: unavailable}}
	cases := []struct {
		name   string
		client VerdictClient
		empty  bool
	}{
		{"no sidecar", nil, true},
		{"sidecar down", fakeClient{err: errors.New("connection refused")}, true},
		{"sidecar slow", fakeClient{block: true}, true},
		{"client panics", fakeClient{panics: true}, true},
		{"verdicts", fakeClient{verdicts: good}, false},
	}
	for _, c := range cases {
		h := NewVoteExtHandler(log.NewNopLogger(), c.client, 50*time.Millisecond)
		start := time.Now()
		resp, err := h.ExtendVote()(ctx, req)
		if err != nil {
			t.Fatalf("%s: ExtendVote returned an error: %v", c.name, err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("%s: ExtendVote took %s despite a 50ms timeout", c.name, took)
		}
		if c.empty != (len(resp.VoteExtension) == 0) {
			t.Fatalf("%s: extension %x, want empty=%v", c.name, resp.VoteExtension, c.empty)
		}
		// Whatever ExtendVote makes, VerifyVoteExtension accepts.
		v, err := h.VerifyVoteExtension()(ctx, &abci.RequestVerifyVoteExtension{Height: 7, VoteExtension: resp.VoteExtension})
		if err != nil || v.Status != abci.ResponseVerifyVoteExtension_ACCEPT {
			t.Fatalf("%s: own extension not accepted: %v %v", c.name, v, err)
		}
	}
}

func TestVerifyVoteExtensionRejectsMalformed(t *testing.T) {
	h := NewVoteExtHandler(log.NewNopLogger(), nil, 0)
	for name, bz := range map[string][]byte{
		"garbage":   {0x0a, 0xff},
		"oversized": bytes.Repeat([]byte{1}, MaxExtensionBytes+1),
	} {
		v, err := h.VerifyVoteExtension()(sdk.Context{}, &abci.RequestVerifyVoteExtension{VoteExtension: bz})
		if err != nil || v.Status != abci.ResponseVerifyVoteExtension_REJECT {
			t.Errorf("%s: got %v %v, want REJECT", name, v, err)
		}
	}
}

// --- proposals ---

type testVal struct {
	priv  ed25519.PrivKey
	power int64
}

type valStore map[string]cmtprotocrypto.PublicKey

func (s valStore) GetPubKeyByConsAddr(_ context.Context, addr sdk.ConsAddress) (cmtprotocrypto.PublicKey, error) {
	pk, ok := s[string(addr)]
	if !ok {
		return pk, errors.New("unknown validator")
	}
	return pk, nil
}

type commitInfo struct{ eci abci.ExtendedCommitInfo }

func (c commitInfo) Round() int32                    { return c.eci.Round }
func (c commitInfo) Votes() comet.VoteInfos          { return voteInfos(c.eci.Votes) }
func (c commitInfo) GetEvidence() comet.EvidenceList { return nil }
func (c commitInfo) GetValidatorsHash() []byte       { return nil }
func (c commitInfo) GetProposerAddress() []byte      { return nil }
func (c commitInfo) GetLastCommit() comet.CommitInfo { return c }

type voteInfos []abci.ExtendedVoteInfo

func (v voteInfos) Len() int                 { return len(v) }
func (v voteInfos) Get(i int) comet.VoteInfo { return voteInfo{v[i]} }

type voteInfo struct{ v abci.ExtendedVoteInfo }

func (v voteInfo) Validator() comet.Validator        { return validator{v.v.Validator} }
func (v voteInfo) GetBlockIDFlag() comet.BlockIDFlag { return comet.BlockIDFlag(v.v.BlockIdFlag) }

type validator struct{ v abci.Validator }

func (v validator) Address() []byte { return v.v.Address }
func (v validator) Power() int64    { return v.v.Power }

// network is four validators of equal power with a signed extended commit of
// height-1 carrying each one's extension.
type network struct {
	vals  []testVal
	store valStore
}

func newNetwork(n int) network {
	nw := network{store: valStore{}}
	for i := 0; i < n; i++ {
		priv := ed25519.GenPrivKey()
		nw.vals = append(nw.vals, testVal{priv: priv, power: 10})
		pk, err := cryptoenc.PubKeyToProto(priv.PubKey())
		if err != nil {
			panic(err)
		}
		nw.store[string(priv.PubKey().Address())] = pk
	}
	sort.Slice(nw.vals, func(i, j int) bool {
		return bytes.Compare(nw.vals[i].priv.PubKey().Address(), nw.vals[j].priv.PubKey().Address()) < 0
	})
	return nw
}

func signExt(t *testing.T, priv ed25519.PrivKey, ext []byte, height int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	cve := cmtproto.CanonicalVoteExtension{Extension: ext, Height: height, Round: 0, ChainId: testChainID}
	if err := protoio.NewDelimitedWriter(&buf).WriteMsg(&cve); err != nil {
		t.Fatal(err)
	}
	sig, err := priv.Sign(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// commit builds the extended commit of height-1: exts[i] is validator i's
// extension; nil in commits[i]==false marks it absent.
func (nw network) commit(t *testing.T, height int64, exts [][]byte, committed []bool) abci.ExtendedCommitInfo {
	eci := abci.ExtendedCommitInfo{}
	for i, v := range nw.vals {
		vote := abci.ExtendedVoteInfo{
			Validator:   abci.Validator{Address: v.priv.PubKey().Address(), Power: v.power},
			BlockIdFlag: cmtproto.BlockIDFlagAbsent,
		}
		if committed[i] {
			vote.BlockIdFlag = cmtproto.BlockIDFlagCommit
			vote.VoteExtension = exts[i]
			vote.ExtensionSignature = signExt(t, v.priv, exts[i], height-1)
		}
		eci.Votes = append(eci.Votes, vote)
	}
	return eci
}

func veCtx(height int64, last abci.ExtendedCommitInfo) sdk.Context {
	return sdktestutil.DefaultContext(storetypes.NewKVStoreKey("ve-test"), storetypes.NewTransientStoreKey("ve-test-t")).
		WithLogger(log.NewNopLogger()).
		WithChainID(testChainID).
		WithBlockHeight(height).
		WithHeaderInfo(header.Info{Height: height, ChainID: testChainID}).
		WithConsensusParams(cmtproto.ConsensusParams{Abci: &cmtproto.ABCIParams{VoteExtensionsEnableHeight: 1}}).
		WithCometInfo(commitInfo{eci: last})
}

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
	if want := int64(1<<20) - int64(len(resp.Txs[0])); rec.prepareMax != want {
		t.Fatalf("inner prepare got MaxTxBytes %d, want %d (injection counted)", rec.prepareMax, want)
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

// testInjections is the injection codec of a client that knows aichain's
// transaction types (as the node and every explorer's node do).
func testInjections(t testing.TB) Injections {
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
	if len(s.votes) != 3 {
		t.Fatalf("%d validators with verdicts, want 3", len(s.votes))
	}
	var power int64
	for _, v := range s.votes {
		power += v.Power
	}
	if power != 60 {
		t.Fatalf("voting power of the verdicts %d, want 60 (absent and empty ones excluded)", power)
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

func FuzzDecodeExtension(f *testing.F) {
	good, _ := EncodeExtension([]computetypes.JobVerdict{{JobId: 1, Verdict: valid}, {JobId: 9, Verdict: unavailable}})
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x04, 0x08, 0x01, 0x10, 0x01})
	f.Fuzz(func(t *testing.T, bz []byte) {
		verdicts, err := DecodeExtension(bz)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to the same bytes: one encoding per verdict set.
		again, err := EncodeExtension(verdicts)
		if err != nil || !bytes.Equal(again, bz) {
			t.Fatalf("decoded extension does not re-encode to itself: %x vs %x (%v)", again, bz, err)
		}
	})
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
		_ = inj.Holds(bz)
	})
}

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

	"cosmossdk.io/core/comet"
	"cosmossdk.io/core/header"
	"cosmossdk.io/log"
	storetypes "cosmossdk.io/store/types"

	sdktestutil "github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

const testChainID = "aichain-test-1"

var (
	valid       = computetypes.Verdict_VERDICT_VALID
	invalid     = computetypes.Verdict_VERDICT_INVALID
	unavailable = computetypes.Verdict_VERDICT_UNAVAILABLE
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	kinds := []computetypes.Verdict{valid, invalid, unavailable, computetypes.Verdict_VERDICT_UNSPECIFIED, 9,
		computetypes.Verdict_VERDICT_INPUTS_AVAILABLE, computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE}
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

// TestAbortVerdictKindsEncode: the verdicts a sidecar casts on an aborted
// job's inputs (INPUTS_AVAILABLE, INPUTS_UNAVAILABLE) are well-formed
// extensions; a kind this version does not define is accepted on the wire
// (a newer version's) and dropped by KnownVerdicts, which the tally uses.
func TestAbortVerdictKindsEncode(t *testing.T) {
	in := []computetypes.JobVerdict{
		{JobId: 4, Verdict: computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE},
		{JobId: 2, Verdict: computetypes.Verdict_VERDICT_INPUTS_AVAILABLE},
		{JobId: 3, Verdict: valid},
	}
	bz, err := EncodeExtension(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeExtension(bz)
	if err != nil || len(out) != 3 || out[0].Verdict != computetypes.Verdict_VERDICT_INPUTS_AVAILABLE ||
		out[2].Verdict != computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE {
		t.Fatalf("decoded %+v, %v", out, err)
	}
	unknown := mustMarshal(t, computetypes.VoteExtension{Verdicts: []*computetypes.JobVerdict{{JobId: 1, Verdict: 99}}})
	got, err := DecodeExtension(unknown)
	if err != nil || len(got) != 1 || len(KnownVerdicts(got)) != 0 {
		t.Fatalf("verdict kind 99: %+v %v, want accepted and then dropped", got, err)
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
		"garbage":   []byte{0xff, 0xff, 0xff},
		"oversized": bytes.Repeat([]byte{0}, MaxExtensionBytes+1),
		"duplicate job": mustMarshal(t, computetypes.VoteExtension{Verdicts: []*computetypes.JobVerdict{
			{JobId: 3, Verdict: valid}, {JobId: 3, Verdict: invalid}}}),
		"out of order": mustMarshal(t, computetypes.VoteExtension{Verdicts: []*computetypes.JobVerdict{
			{JobId: 5, Verdict: valid}, {JobId: 4, Verdict: valid}}}),
		"job zero": mustMarshal(t, computetypes.VoteExtension{Verdicts: []*computetypes.JobVerdict{{JobId: 0, Verdict: valid}}}),
	}
	for name, bz := range cases {
		if _, err := DecodeExtension(bz); !errors.Is(err, ErrMalformedExtension) {
			t.Errorf("%s: got %v, want ErrMalformedExtension", name, err)
		}
	}
	if v, err := DecodeExtension(good); err != nil || len(v) != 2 {
		t.Fatalf("well-formed extension: %v %v", v, err)
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

package ve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"cosmossdk.io/log"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// fakeKeys is x/compute's beacon state for one validator: key `pub` signs
// heights >= since, `prev` the ones before.
type fakeKeys struct {
	cons, pub, prev []byte
	since, window   int64
	tag             []byte // the chain's restart tag
}

func (f fakeKeys) BeaconOwner(_ context.Context, pub []byte) ([]byte, error) {
	if bytes.Equal(pub, f.pub) {
		return f.cons, nil
	}
	return nil, nil
}

func (f fakeKeys) BeaconKeyFor(_ context.Context, cons []byte, h int64) ([]byte, error) {
	if !bytes.Equal(cons, f.cons) {
		return nil, nil
	}
	if h >= f.since {
		return f.pub, nil
	}
	return f.prev, nil
}

func (f fakeKeys) BeaconWindow(context.Context) (int64, error) { return f.window, nil }

func (f fakeKeys) BeaconSigningTag(context.Context) ([]byte, error) { return f.tag, nil }

func testSigner(t testing.TB, tag string) *BeaconSigner {
	t.Helper()
	seed := sha256.Sum256([]byte(tag))
	s, err := NewBeaconSigner(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestExtendVoteAddsShares: with a registered key, ExtendVote adds the
// shares of the vote's height and the W-1 before it (those its current key
// signs), they verify, and VerifyVoteExtension accepts the extension; an
// unregistered key adds none.
func TestExtendVoteAddsShares(t *testing.T) {
	sg, old := testSigner(t, "a"), testSigner(t, "b")
	ctx := sdk.Context{}.WithChainID(testChainID)
	cases := []struct {
		name    string
		keys    fakeKeys
		heights []int64
	}{
		{"registered", fakeKeys{cons: []byte("v1"), pub: sg.PubKey(), window: 3}, []int64{5, 6, 7}},
		{"rotated at 6", fakeKeys{cons: []byte("v1"), pub: sg.PubKey(), prev: old.PubKey(), since: 6, window: 3}, []int64{6, 7}},
		{"not registered", fakeKeys{cons: []byte("v1"), pub: old.PubKey(), window: 3}, nil},
		{"beacon off", fakeKeys{cons: []byte("v1"), pub: sg.PubKey(), window: 0}, nil},
		{"restarted", fakeKeys{cons: []byte("v1"), pub: sg.PubKey(), window: 3, tag: computetypes.BeaconRestartTag(nil, 40, nil)}, []int64{5, 6, 7}},
	}
	for _, c := range cases {
		h := NewVoteExtHandler(log.NewNopLogger(), fakeClient{verdicts: []computetypes.JobVerdict{{JobId: 3, Verdict: valid}}}, 50*time.Millisecond).
			WithBeacon(sg, c.keys)
		resp, err := h.ExtendVote()(ctx, &abci.RequestExtendVote{Height: 7})
		if err != nil {
			t.Fatal(err)
		}
		shares, err := DecodeBeaconShares(resp.VoteExtension)
		if err != nil || len(shares) != len(c.heights) {
			t.Fatalf("%s: shares %+v (%v), want heights %v", c.name, shares, err, c.heights)
		}
		for i, s := range shares {
			msg := computetypes.BeaconShareMessage(testChainID, c.keys.tag, s.Height)
			if s.Height != c.heights[i] || !computetypes.VerifyBeaconShares(msg, [][]byte{sg.PubKey()}, [][]byte{s.Signature})[0] {
				t.Fatalf("%s: share %d (height %d) does not verify", c.name, i, s.Height)
			}
			if c.keys.tag != nil && computetypes.VerifyBeaconShares(computetypes.BeaconShareMessage(testChainID, nil, s.Height), [][]byte{sg.PubKey()}, [][]byte{s.Signature})[0] {
				t.Fatalf("%s: share %d (height %d) is the never-restarted chain's", c.name, i, s.Height)
			}
		}
		if verdicts, _ := DecodeExtension(resp.VoteExtension); len(verdicts) != 1 {
			t.Fatalf("%s: verdicts lost: %v", c.name, verdicts)
		}
		v, err := h.VerifyVoteExtension()(ctx, &abci.RequestVerifyVoteExtension{Height: 7, VoteExtension: resp.VoteExtension})
		if err != nil || v.Status != abci.ResponseVerifyVoteExtension_ACCEPT {
			t.Fatalf("%s: own extension refused", c.name)
		}
	}
	// Without a sidecar the shares travel alone.
	h := NewVoteExtHandler(log.NewNopLogger(), nil, 0).WithBeacon(sg, cases[0].keys)
	resp, _ := h.ExtendVote()(ctx, &abci.RequestExtendVote{Height: 7})
	if shares, err := DecodeBeaconShares(resp.VoteExtension); err != nil || len(shares) != 3 {
		t.Fatalf("share-only extension: %d shares, %v", len(shares), err)
	}
}

// TestDecodeRefusesMalformedShares: the rules every format keeps for the
// shares field: at most MaxBeaconShares, heights strictly increasing and
// positive, 1..MaxBeaconShareBytes bytes each.
func TestDecodeRefusesMalformedShares(t *testing.T) {
	sig := bytes.Repeat([]byte{1}, 48)
	many := make([]*computetypes.BeaconShare, MaxBeaconShares+1)
	for i := range many {
		many[i] = &computetypes.BeaconShare{Height: int64(i + 1), Signature: sig}
	}
	for name, ext := range map[string]computetypes.VoteExtension{
		"too many":     {BeaconShares: many},
		"out of order": {BeaconShares: []*computetypes.BeaconShare{{Height: 5, Signature: sig}, {Height: 4, Signature: sig}}},
		"repeated":     {BeaconShares: []*computetypes.BeaconShare{{Height: 5, Signature: sig}, {Height: 5, Signature: sig}}},
		"height 0":     {BeaconShares: []*computetypes.BeaconShare{{Height: 0, Signature: sig}}},
		"empty share":  {BeaconShares: []*computetypes.BeaconShare{{Height: 1}}},
		"huge share":   {BeaconShares: []*computetypes.BeaconShare{{Height: 1, Signature: make([]byte, 97)}}},
	} {
		if _, err := DecodeBeaconShares(mustMarshal(t, ext)); err == nil {
			t.Fatalf("%s: accepted", name)
		}
	}
}

type beaconSink struct {
	set   []computetypes.BeaconVoter
	votes []computetypes.ValidatorShares
}

func (b *beaconSink) RecordBeacon(_ context.Context, set []computetypes.BeaconVoter, votes []computetypes.ValidatorShares) error {
	b.set, b.votes = set, votes
	return nil
}

// TestPreBlockerHandsSharesOn: the PreBlocker gives x/compute the whole
// validator set of the commit (absent votes too, with their power: the 2/3
// is of the set, not of who voted) and the shares of committing validators
// only, unverified (the keeper verifies: TestAttackForgedShare).
func TestPreBlockerHandsSharesOn(t *testing.T) {
	const h = 9
	nw := newNetwork(3)
	sg := testSigner(t, "a")
	withShares := func(height int64) []byte {
		bz, err := EncodeVoteExtension(nil, []computetypes.BeaconShare{{Height: height, Signature: sg.Share(testChainID, nil, height)}})
		if err != nil {
			t.Fatal(err)
		}
		return bz
	}
	last := nw.commit(t, h, [][]byte{withShares(h - 1), withShares(h - 1), withShares(h - 1)}, []bool{true, true, false})
	inj := testInjections(t)
	tx, err := inj.Encode(h-1, last)
	if err != nil {
		t.Fatal(err)
	}
	b := &beaconSink{}
	next := func(sdk.Context, *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
		return &sdk.ResponsePreBlock{}, nil
	}
	pb := NewPreBlocker(log.NewNopLogger(), &sink{}, inj, next).WithBeacon(b).PreBlock()
	if _, err := pb(veCtx(h, last), &abci.RequestFinalizeBlock{Height: h, Txs: [][]byte{tx}}); err != nil {
		t.Fatal(err)
	}
	if len(b.set) != 3 || len(b.votes) != 2 {
		t.Fatalf("set %d (want 3), votes with shares %d (want 2)", len(b.set), len(b.votes))
	}
	for _, v := range b.votes {
		if len(v.Shares) != 1 || v.Shares[0].Height != h-1 {
			t.Fatalf("shares %+v", v.Shares)
		}
	}
}

// TestBeaconKeyFile: the key file is created 0600, never overwritten, and
// loads back to the same key.
func TestBeaconKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), BeaconKeyFile)
	s, err := GenerateBeaconKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, err %v", fi.Mode(), err)
	}
	if _, err := GenerateBeaconKey(path); err == nil {
		t.Fatal("overwrote an existing key")
	}
	back, err := LoadBeaconKey(path)
	if err != nil || !bytes.Equal(back.PubKey(), s.PubKey()) {
		t.Fatalf("loaded another key: %v", err)
	}
}

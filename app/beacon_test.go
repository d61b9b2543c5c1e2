package app_test

import (
	"crypto/sha256"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"cosmossdk.io/collections"
	"cosmossdk.io/log"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/app/ve"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackForgedShareInInjectedCommit: the app's PreBlocker, wired to the
// real x/compute keeper, records the shares of an injected commit that
// verify and refuses a forged one (a late precommit reaches the proposer
// unverified, so an injected commit may carry one); the block goes on.
func TestAttackForgedShareInInjectedCommit(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	ta.NextBlock()
	ta.NextBlock()
	k := ta.ComputeKeeper
	const n = 4
	signers := make([]*ve.BeaconSigner, n)
	cons := make([][]byte, n)
	for i := range signers {
		seed := sha256.Sum256([]byte{byte(i), 'k'})
		s, err := ve.NewBeaconSigner(seed[:])
		if err != nil {
			t.Fatal(err)
		}
		addr := sha256.Sum256([]byte{byte(i), 'c'})
		signers[i], cons[i] = s, addr[:20]
		if err := k.BeaconKeys.Set(ta.Ctx, cons[i], computetypes.BeaconKey{Pubkey: s.PubKey()}); err != nil {
			t.Fatal(err)
		}
		if err := k.BeaconKeyOwners.Set(ta.Ctx, s.PubKey(), cons[i]); err != nil {
			t.Fatal(err)
		}
	}
	h := ta.Ctx.BlockHeight()
	tag, err := k.BeaconSigningTag(ta.Ctx) // the chain's, as ExtendVote reads it
	if err != nil {
		t.Fatal(err)
	}
	eci := abci.ExtendedCommitInfo{}
	for i, s := range signers {
		sig := s.Share(apptesting.ChainID, tag, h-1)
		if i == 2 {
			sig = signers[0].Share(apptesting.ChainID, tag, h-1) // someone else's share
		}
		bz, err := ve.EncodeVoteExtension(nil, []computetypes.BeaconShare{{Height: h - 1, Signature: sig}})
		if err != nil {
			t.Fatal(err)
		}
		eci.Votes = append(eci.Votes, abci.ExtendedVoteInfo{
			Validator: abci.Validator{Address: cons[i], Power: 10}, BlockIdFlag: cmtproto.BlockIDFlagCommit, VoteExtension: bz,
		})
	}
	inj := ve.Injections{TxConfig: ta.TxConfig()}
	tx, err := inj.Encode(h-1, eci)
	if err != nil {
		t.Fatal(err)
	}
	next := func(sdk.Context, *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
		return &sdk.ResponsePreBlock{}, nil
	}
	pb := ve.NewPreBlocker(log.NewNopLogger(), k, inj, next).WithBeacon(k).PreBlock()
	ctx := ta.Ctx.WithConsensusParams(cmtproto.ConsensusParams{Abci: &cmtproto.ABCIParams{VoteExtensionsEnableHeight: 1}})
	if _, err := pb(ctx, &abci.RequestFinalizeBlock{Height: h, Txs: [][]byte{tx}}); err != nil {
		t.Fatal(err)
	}
	for i := range cons {
		sig, err := k.BeaconShares.Get(ta.Ctx, collections.Join(h-1, cons[i]))
		if err != nil || (len(sig) > 0) != (i != 2) {
			t.Fatalf("validator %d: share %x (err %v), want recorded %t (a refused one is kept empty)", i, sig, err, i != 2)
		}
	}
}

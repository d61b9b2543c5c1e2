package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// commitDelay is the weights_commit_delay_blocks of these tests.
const commitDelay = 3

// withCommits sets weights_commit_delay_blocks to commitDelay and the ttl
// to ttl (the test chain registers without commitments: apptesting).
func (f *fixture) withCommits(t *testing.T, ttl uint64) {
	t.Helper()
	p, err := f.k.Params.Get(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.WeightsCommitDelayBlocks, p.WeightsCommitTtlBlocks = commitDelay, ttl
	if err := f.k.Params.Set(f.ta.Ctx, p); err != nil {
		t.Fatal(err)
	}
}

// commit sends creator's commitments to (name, sha).
func (f *fixture) commit(t *testing.T, creator sdk.AccAddress, name, sha string) {
	t.Helper()
	if _, err := f.srv.CommitWeights(f.ta.Ctx, types.NewMsgCommitWeights(creator, name, sha)); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func (f *fixture) blocks(n int) {
	for range n {
		f.ta.NextBlock()
	}
}

// TestAttackMempoolCopierRegistersCreatorsWeightsFirst: weights belong to
// the first model name that registers them, and a registration carries
// their sha256 and name in the clear. A copier who saw the creator's
// MsgRegisterModel in the mempool registered the same sha256 under a name
// of its own (or the creator's name with weights of its own) first: the
// creator's registration was refused for good (ErrWeightsTaken,
// ErrNameTaken), and every job naming the copier's model paid its fees to
// the copier. Now a registration of new weights reveals the creator's
// commitment to the name and the weights made weights_commit_delay_blocks
// before: the copier has none (refused), one made after it saw the
// registration is too recent in the block that holds the creator's, and
// K blocks later the weights and the name are the creator's.
func TestAttackMempoolCopierRegistersCreatorsWeightsFirst(t *testing.T) {
	f := setup(t)
	f.withCommits(t, 100)
	creator, copier := f.ta.Accounts[0], f.ta.Accounts[1]
	pending := registerMsg(creator.String(), "llama-7b", "1.0.0")
	f.commit(t, creator.Address, pending.Name, pending.Sha256)
	f.blocks(commitDelay)
	// pending is in the mempool now: the copier copies the sha256 under its
	// own name, and the name with its own weights.
	squat := registerMsg(copier.String(), "copied-7b", "1.0.0")
	squat.Sha256 = pending.Sha256
	squatName := registerMsg(copier.String(), pending.Name, "2.0.0")
	before := f.snapshot(t)
	for _, m := range []*types.MsgRegisterModel{squat, squatName} {
		_, err := f.srv.RegisterModel(f.ta.Ctx, m)
		wantErr(t, err, types.ErrNoCommitment, "the copier's registration of "+m.Name+" without a commitment")
	}
	if f.snapshot(t) != before {
		t.Fatal("a refused registration changed the state")
	}
	for _, m := range []*types.MsgRegisterModel{squat, squatName} {
		f.commit(t, copier.Address, m.Name, m.Sha256)
		_, err := f.srv.RegisterModel(f.ta.Ctx, m)
		wantErr(t, err, types.ErrCommitTooRecent, "the copier's registration of "+m.Name+" on a commitment made after it saw the creator's")
	}
	id := f.register(t, pending)
	if owner, err := f.k.Weights.Get(f.ta.Ctx, pending.Sha256); err != nil || owner != id {
		t.Fatalf("the weights are model %d's (%v), want the creator's model %d", owner, err, id)
	}
	f.blocks(commitDelay)
	_, err := f.srv.RegisterModel(f.ta.Ctx, squat)
	wantErr(t, err, types.ErrWeightsTaken, "the copier's registration of the creator's weights once its commitment is old enough")
	_, err = f.srv.RegisterModel(f.ta.Ctx, squatName)
	wantErr(t, err, types.ErrNameTaken, "the copier's registration of the creator's name once its commitment is old enough")
}

// TestWeightsCommitmentIsOneCreatorsAndUsedOnce: a commitment binds its
// creator and name, is used by one registration, its digests sent by
// another account are that account's and register nothing, and the
// creator's copy keeps its first height; a new version needs a commitment
// for new weights; expired ones are pruned by the EndBlocker, with their
// entries under the weights' key; they move through an exported genesis.
func TestWeightsCommitmentIsOneCreatorsAndUsedOnce(t *testing.T) {
	f := setup(t)
	f.withCommits(t, commitDelay+4)
	creator, other := f.ta.Accounts[0], f.ta.Accounts[1]
	msg := registerMsg(creator.String(), "iris-mlp", "1.0.0")
	f.commit(t, creator.Address, msg.Name, msg.Sha256)
	f.blocks(1)
	copied := types.NewMsgCommitWeights(creator.Address, msg.Name, msg.Sha256)
	copied.Sender = other.String() // the creator's digests, as another account's
	if _, err := f.srv.CommitWeights(f.ta.Ctx, copied); err != nil {
		t.Fatal(err)
	}
	f.commit(t, creator.Address, msg.Name, msg.Sha256) // a copy: keeps the first height
	f.blocks(commitDelay - 1)
	stolen := *msg
	stolen.Owner = other.String()
	_, err := f.srv.RegisterModel(f.ta.Ctx, &stolen)
	wantErr(t, err, types.ErrNoCommitment, "another creator's registration on the creator's commitment")
	f.register(t, msg)
	_, err = f.srv.RegisterModel(f.ta.Ctx, registerMsg(creator.String(), "iris-mlp-2", "1.0.0"))
	wantErr(t, err, types.ErrNoCommitment, "a second registration on a used commitment")

	v2 := publishMsg(registerMsg(creator.String(), "iris-mlp", "1.1.0"))
	v2.Sha256 = digest("iris v2")
	_, err = f.srv.PublishVersion(f.ta.Ctx, v2)
	wantErr(t, err, types.ErrNoCommitment, "a new version of new weights without a commitment")
	f.commit(t, creator.Address, v2.Name, v2.Sha256)
	f.commit(t, creator.Address, "unused", digest("unused"))
	gs, err := f.k.ExportGenesis(f.ta.Ctx)
	// Two records a commitment (the name's and the weights'): the other
	// account's copy, v2's and the unused one.
	if err != nil || len(gs.WeightsCommits) != 6 || gs.Validate() != nil {
		t.Fatalf("exported %d commitments: %v %v", len(gs.WeightsCommits), err, gs.Validate())
	}
	f.blocks(commitDelay)
	if _, err := f.srv.PublishVersion(f.ta.Ctx, v2); err != nil {
		t.Fatalf("a new version on its commitment: %v", err)
	}
	f.blocks(5 + commitDelay + 4) // past the unused one's ttl and keeping: the EndBlocker prunes it
	n := 0
	if err := f.k.WeightsCommits.Map.Walk(f.ta.Ctx, nil, func([]byte, common.Commitment) (bool, error) { n++; return false, nil }); err != nil || n != 0 {
		t.Fatalf("%d commitments left after their ttl (%v)", n, err)
	}
	if err := f.k.WeightsCommits.ByContent.Walk(f.ta.Ctx, nil, func(collections.Triple[[]byte, int64, []byte]) (bool, error) {
		n++
		return false, nil
	}); err != nil || n != 0 {
		t.Fatalf("%d entries under weights keys left after their ttl (%v)", n, err)
	}
}

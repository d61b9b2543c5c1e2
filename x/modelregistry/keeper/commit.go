package keeper

import (
	"context"
	"encoding/hex"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/internal/modkit"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// Commit, then register (modkit.Commitments): a registration of weights no
// model holds yet (a new name's, or a new version's) reveals a commitment
// its creator made to the name and the weights at least
// weights_commit_delay_blocks before, so that a mempool watcher copying the
// registration's sha256 or name cannot register them first
// (TestAttackMempoolCopierRegistersCreatorsWeightsFirst). The EndBlocker
// prunes expired commitments, up to maxCommitPrunesPerBlock a block.

// maxCommitPrunesPerBlock bounds the EndBlocker's pruning; the rest carry
// over to the next block.
const maxCommitPrunesPerBlock = 200

// commitErrors are the errors of a registration without a usable commitment.
var commitErrors = modkit.CommitErrors{Missing: types.ErrNoCommitment, TooRecent: types.ErrCommitTooRecent,
	Older: types.ErrOlderCommitment}

// CommitWeights stores creator's two commitments at the current height
// until weights_commit_ttl_blocks later: to the name and weights
// (nameCommitment) and to the weights alone (weightsCommitment, under
// weightsKey); one creator already made is left as it is. It returns the
// height from which both register and the first at which one has expired.
func (k Keeper) CommitWeights(ctx context.Context, creator sdk.AccAddress, nameCommitment, weightsKey, weightsCommitment []byte,
) (registrable, expires int64, err error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, 0, err
	}
	registrable, expires, created, err := k.WeightsCommits.CommitAll(ctx, params.WeightsCommitTtlBlocks, params.WeightsCommitDelayBlocks,
		modkit.Claim{Owner: creator, Commitment: nameCommitment},
		modkit.Claim{Owner: creator, Commitment: weightsCommitment, ContentKey: weightsKey})
	if err != nil || !created {
		return registrable, expires, err
	}
	return registrable, expires, modkit.EmitTypedEvent(ctx, &types.EventWeightsCommitted{
		Commitment: hex.EncodeToString(nameCommitment), RegistrableHeight: registrable, ExpiresHeight: expires,
	})
}

// useCommitment takes owner's commitments to spec's name and weights, and
// to its weights alone, for a registration of new weights at the current
// height: refused while another creator holds an older commitment to the
// weights.
func (k Keeper) useCommitment(ctx context.Context, owner sdk.AccAddress, spec types.ModelSpec) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	delay, sha := params.WeightsCommitDelayBlocks, spec.Sha256
	what := fmt.Sprintf("model %q with weights sha256 %s (send MsgCommitWeights: commit-model)", spec.Name, sha)
	if err := k.WeightsCommits.Use(ctx, modkit.Claim{Owner: owner, Commitment: types.NameCommitment(owner, spec.Name, sha)},
		delay, commitErrors, what, nil); err != nil {
		return err
	}
	weights := modkit.Claim{Owner: owner, Commitment: types.WeightsCommitment(owner, sha), ContentKey: types.WeightsContentKey(sha)}
	return k.WeightsCommits.Use(ctx, weights, delay, commitErrors,
		fmt.Sprintf("the weights of sha256 %s (send MsgCommitWeights: commit-model)", sha),
		func(o sdk.AccAddress) []byte { return types.WeightsCommitment(o, sha) })
}

// EndBlocker prunes the commitments whose expiry height has been reached,
// at most maxCommitPrunesPerBlock of them.
func (k Keeper) EndBlocker(ctx context.Context) error {
	return k.WeightsCommits.Prune(ctx, maxCommitPrunesPerBlock)
}

package keeper

import (
	"context"
	"encoding/hex"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
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
var commitErrors = modkit.CommitErrors{Missing: types.ErrNoCommitment, TooRecent: types.ErrCommitTooRecent}

// CommitWeights stores a commitment at the current height until
// weights_commit_ttl_blocks later; one already stored is left as it is.
func (k Keeper) CommitWeights(ctx context.Context, commitment []byte) (common.Commitment, types.Params, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return common.Commitment{}, params, err
	}
	c, created, err := k.WeightsCommits.Commit(ctx, commitment, params.WeightsCommitTtlBlocks)
	if err != nil || !created {
		return c, params, err
	}
	return c, params, modkit.EmitTypedEvent(ctx, &types.EventWeightsCommitted{
		Commitment:        hex.EncodeToString(commitment),
		RegistrableHeight: modkit.ListableHeight(c, params.WeightsCommitDelayBlocks), ExpiresHeight: c.ExpiresHeight,
	})
}

// useCommitment takes owner's commitment to spec's name and weights for a
// registration of new weights at the current height.
func (k Keeper) useCommitment(ctx context.Context, owner sdk.AccAddress, spec types.ModelSpec) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	return k.WeightsCommits.Use(ctx, types.WeightsCommitment(owner, spec.Name, spec.Sha256), params.WeightsCommitDelayBlocks, commitErrors,
		fmt.Sprintf("model %q with weights sha256 %s by %s (send MsgCommitWeights: commit-model)", spec.Name, spec.Sha256, owner))
}

// EndBlocker prunes the commitments whose expiry height has been reached,
// at most maxCommitPrunesPerBlock of them.
func (k Keeper) EndBlocker(ctx context.Context) error {
	return k.WeightsCommits.Prune(ctx, maxCommitPrunesPerBlock)
}

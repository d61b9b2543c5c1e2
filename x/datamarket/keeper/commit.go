package keeper

import (
	"context"
	"encoding/hex"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// Commit, then list (modkit.Commitments): a listing of content no dataset
// holds yet reveals a commitment its owner made at least
// content_commit_delay_blocks before, so that a mempool watcher copying the
// listing's digests cannot list them first
// (TestAttackMempoolCopierListsOwnersFileFirst). The EndBlocker prunes
// expired commitments, up to max_expiries_per_block a block.

// commitErrors are the errors of a listing without a usable commitment.
var commitErrors = modkit.CommitErrors{Missing: types.ErrNoCommitment, TooRecent: types.ErrCommitTooRecent,
	Older: types.ErrOlderCommitment}

// CommitContent stores a commitment at the current height until
// content_commit_ttl_blocks later; one its owner already made is left as it
// is.
func (k Keeper) CommitContent(ctx context.Context, claim modkit.Claim) (common.Commitment, types.Params, error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return common.Commitment{}, params, err
	}
	c, created, err := k.ContentCommits.Commit(ctx, claim, params.ContentCommitTtlBlocks)
	if err != nil || !created {
		return c, params, err
	}
	return c, params, modkit.EmitTypedEvent(ctx, &types.EventContentCommitted{
		Commitment:     hex.EncodeToString(claim.Commitment),
		ListableHeight: modkit.ListableHeight(c, params.ContentCommitDelayBlocks), ExpiresHeight: c.ExpiresHeight,
	})
}

// useCommitment takes owner's commitment to (root, sha) for a listing of
// new content at the current height (modkit.Commitments.Use): refused while
// another owner holds an older commitment to it.
func (k Keeper) useCommitment(ctx context.Context, params types.Params, owner sdk.AccAddress, root []byte, sha string) error {
	claim := modkit.Claim{Owner: owner, Commitment: types.ContentCommitment(owner, root, sha), ContentKey: types.ContentKey(root, sha)}
	return k.ContentCommits.Use(ctx, claim, params.ContentCommitDelayBlocks, commitErrors,
		fmt.Sprintf("the file of sha256 %s (send MsgCommitContent: commit-dataset)", sha),
		func(o sdk.AccAddress) []byte { return types.ContentCommitment(o, root, sha) })
}

// PruneCommits removes the commitments whose expiry height has been
// reached, at most max_expiries_per_block of them; the rest carry over.
func (k Keeper) PruneCommits(ctx context.Context) error {
	params, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	return k.ContentCommits.Prune(ctx, int(params.MaxExpiriesPerBlock))
}

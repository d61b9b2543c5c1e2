package keeper

import (
	"context"
	"encoding/hex"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

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

// CommitContent stores owner's commitments to a file's root, sha256 and
// rows' sha256 (modkit.Claims with their keys) at the current height until
// content_commit_ttl_blocks later; one owner already made and that has not
// expired keeps its height and lives the ttl from now (renewed). It returns
// the height from which both list and the first at which one has expired.
func (k Keeper) CommitContent(ctx context.Context, root, sha, rows modkit.Claim) (listable, expires int64, err error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return 0, 0, err
	}
	listable, expires, created, err := k.ContentCommits.CommitAll(ctx, params.ContentCommitTtlBlocks, params.ContentCommitDelayBlocks, root, sha, rows)
	if err != nil || !created {
		return listable, expires, err
	}
	return listable, expires, modkit.EmitTypedEvent(ctx, &types.EventContentCommitted{
		Commitment: hex.EncodeToString(root.Commitment), ListableHeight: listable, ExpiresHeight: expires,
	})
}

// useCommitment takes owner's commitment to each of the new digests of a
// listing at the current height (modkit.Commitments.Use): refused while
// another owner holds an older commitment to any of them.
func (k Keeper) useCommitment(ctx context.Context, params types.Params, owner sdk.AccAddress, fresh []digest) error {
	for _, d := range fresh {
		claim := modkit.Claim{Owner: owner, Commitment: d.commit(owner), ContentKey: d.key}
		if err := k.ContentCommits.Use(ctx, claim, params.ContentCommitDelayBlocks, commitErrors,
			fmt.Sprintf("the %s %s (send MsgCommitContent: commit-dataset)", d.what, d.value), d.commit); err != nil {
			return err
		}
	}
	return nil
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

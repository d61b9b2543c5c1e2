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

// CommitContent stores owner's commitments to a file's root and sha256
// (modkit.Claims with their keys) at the current height until
// content_commit_ttl_blocks later; one owner already made and that has not
// expired keeps its height and lives the ttl from now (renewed). It returns
// the height from which both list and the first at which one has expired.
func (k Keeper) CommitContent(ctx context.Context, root, sha modkit.Claim) (listable, expires int64, err error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return 0, 0, err
	}
	listable, expires, created, err := k.ContentCommits.CommitAll(ctx, params.ContentCommitTtlBlocks, params.ContentCommitDelayBlocks, root, sha)
	if err != nil || !created {
		return listable, expires, err
	}
	return listable, expires, modkit.EmitTypedEvent(ctx, &types.EventContentCommitted{
		Commitment: hex.EncodeToString(root.Commitment), ListableHeight: listable, ExpiresHeight: expires,
	})
}

// useCommitment takes owner's commitments to the digests of (root, sha)
// that are new (not already this dataset's) for a listing at the current
// height (modkit.Commitments.Use): refused while another owner holds an
// older commitment to either.
func (k Keeper) useCommitment(ctx context.Context, params types.Params, owner sdk.AccAddress, root []byte, sha string, newRoot, newSha bool) error {
	delay := params.ContentCommitDelayBlocks
	if newRoot {
		claim := modkit.Claim{Owner: owner, Commitment: types.RootCommitment(owner, root), ContentKey: types.RootKey(root)}
		if err := k.ContentCommits.Use(ctx, claim, delay, commitErrors,
			fmt.Sprintf("the content root %X (send MsgCommitContent: commit-dataset)", root),
			func(o sdk.AccAddress) []byte { return types.RootCommitment(o, root) }); err != nil {
			return err
		}
	}
	if !newSha {
		return nil
	}
	claim := modkit.Claim{Owner: owner, Commitment: types.ShaCommitment(owner, sha), ContentKey: types.ShaKey(sha)}
	return k.ContentCommits.Use(ctx, claim, delay, commitErrors,
		fmt.Sprintf("the file of sha256 %s (send MsgCommitContent: commit-dataset)", sha),
		func(o sdk.AccAddress) []byte { return types.ShaCommitment(o, sha) })
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

package keeper

import (
	"context"
	"encoding/hex"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// Commit, then list (types/commit.go): a listing of content no dataset
// holds yet reveals a commitment its owner made at least
// content_commit_delay_blocks before, so that a mempool watcher copying the
// listing's digests cannot list them first
// (TestAttackMempoolCopierListsOwnersFileFirst). Commitments are kept by
// key (ContentCommits) and pruned at their expiry by the EndBlocker
// (CommitExpiryQueue, up to max_expiries_per_block a block).

// commitExpiryQueueName is CommitExpiryQueue's schema name.
const commitExpiryQueueName = "content_commit_expiry"

// CommitContent stores a commitment at the current height until
// content_commit_ttl_blocks later. A commitment already stored is left as
// it is (its first height counts, and a copy of it sent by anyone else
// changes nothing): the returned record is the stored one.
func (k Keeper) CommitContent(ctx context.Context, commitment []byte) (types.ContentCommit, error) {
	c, err := k.ContentCommits.Get(ctx, commitment)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, collections.ErrNotFound) {
		return c, err
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return c, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	c = types.ContentCommit{Commitment: commitment, Height: h, ExpiresHeight: h + int64(params.ContentCommitTtlBlocks)}
	if err := k.putCommit(ctx, c); err != nil {
		return c, err
	}
	return c, modkit.EmitTypedEvent(ctx, &types.EventContentCommitted{
		Commitment: hex.EncodeToString(commitment), ListableHeight: listableHeight(c, params), ExpiresHeight: c.ExpiresHeight,
	})
}

// putCommit stores c and files its expiry.
func (k Keeper) putCommit(ctx context.Context, c types.ContentCommit) error {
	if err := k.ContentCommits.Set(ctx, c.Commitment, c); err != nil {
		return err
	}
	return k.CommitExpiryQueue.Set(ctx, collections.Join(c.ExpiresHeight, c.Commitment))
}

// listableHeight is the first height at which c lists its file under params.
func listableHeight(c types.ContentCommit, params types.Params) int64 {
	return c.Height + int64(params.ContentCommitDelayBlocks)
}

// useCommitment takes owner's commitment to (root, sha) for a listing of
// new content at the current height: it must be stored, not expired, and
// at least content_commit_delay_blocks old; it is then removed (a file is
// listed once). With the delay at 0 no commitment is needed.
func (k Keeper) useCommitment(ctx context.Context, params types.Params, owner sdk.AccAddress, root []byte, sha string) error {
	if params.ContentCommitDelayBlocks == 0 {
		return nil
	}
	commitment := types.ContentCommitment(owner, root, sha)
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	c, err := k.ContentCommits.Get(ctx, commitment)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return errorsmod.Wrapf(types.ErrNoCommitment,
			"send MsgCommitContent with commitment %X (owner %s), then list at least %d blocks later",
			commitment, owner, params.ContentCommitDelayBlocks)
	case err != nil:
		return err
	case c.ExpiresHeight <= h:
		return errorsmod.Wrapf(types.ErrNoCommitment, "commitment %X expired at height %d: commit again", commitment, c.ExpiresHeight)
	case h < listableHeight(c, params):
		return errorsmod.Wrapf(types.ErrCommitTooRecent, "commitment %X, made at height %d, lists its file from height %d",
			commitment, c.Height, listableHeight(c, params))
	}
	return k.removeCommit(ctx, c)
}

// removeCommit removes c and its expiry entry.
func (k Keeper) removeCommit(ctx context.Context, c types.ContentCommit) error {
	if err := k.ContentCommits.Remove(ctx, c.Commitment); err != nil {
		return err
	}
	return k.CommitExpiryQueue.Remove(ctx, collections.Join(c.ExpiresHeight, c.Commitment))
}

// PruneCommits removes the commitments whose expiry height has been
// reached, at most max_expiries_per_block of them; the rest carry over.
func (k Keeper) PruneCommits(ctx context.Context) error {
	params, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	_, err = modkit.DrainDue(ctx, modkit.Drain[int64, []byte]{
		Module: types.ModuleName, Name: commitExpiryQueueName, Queue: k.CommitExpiryQueue, Handle: k.pruneCommit,
	}, h, h+1, int(params.MaxExpiriesPerBlock))
	return err
}

// pruneCommit removes one commitment if, by its state, it has expired; a
// stale or retried entry is a no-op.
func (k Keeper) pruneCommit(ctx context.Context, commitment []byte) error {
	c, err := k.ContentCommits.Get(ctx, commitment)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if c.ExpiresHeight > sdk.UnwrapSDKContext(ctx).BlockHeight() {
		return nil
	}
	return k.ContentCommits.Remove(ctx, commitment)
}

// rebaseCommits maps every commitment's heights for a zero-height export:
// its height less the export's (0 or below: how long ago it was made, which
// its delay counts from) and its expiry with RebaseExpiry, its queue entry
// refiled under the new expiry.
func (k Keeper) rebaseCommits(ctx context.Context, exportHeight int64) error {
	commits, err := iterValues(k.ContentCommits.Iterate(ctx, nil))
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: content commits")
	}
	for _, c := range commits {
		if err := k.removeCommit(ctx, c); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: content commit %X", c.Commitment)
		}
		c.Height -= exportHeight
		c.ExpiresHeight = RebaseExpiry(c.ExpiresHeight, exportHeight)
		if err := k.putCommit(ctx, c); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: content commit %X", c.Commitment)
		}
	}
	return nil
}

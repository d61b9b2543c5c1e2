package modkit

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/types/common"
)

// Commit, then publish. Content that belongs to whoever publishes it first
// (a dataset's file in x/datamarket, a model's weights in x/modelregistry)
// is published with its digests in the clear, so a mempool watcher (or the
// block's proposer) could copy them into a publication of its own that
// lands first. So a publication of new content reveals a commitment its
// owner made at least a delay (blocks) before: a copier learns the digests
// only from the owner's publication, so its own commitment is no earlier
// than the block that could include the owner's, and its publication is
// valid only a delay later, when the content is the owner's, unless every
// proposer of the delay's blocks leaves the owner's publication out.
// Commitments is that store: each commitment by its digest, and its expiry
// in a due-queue that the module's EndBlocker drains within a budget.
type Commitments struct {
	Map   collections.Map[[]byte, common.Commitment]
	Queue Queue[int64, []byte]
	// module names the module in the queue's retry events.
	module string
}

// NewCommitments adds a module's commitments (named name, under mapPrefix)
// and their expiry queue (name + "_expiry", under queuePrefix, its head in
// heads) to the schema.
func NewCommitments(sb *collections.SchemaBuilder, cdc codec.BinaryCodec, module, name string, mapPrefix, queuePrefix collections.Prefix,
	heads QueueHeads,
) Commitments {
	return Commitments{
		Map:    collections.NewMap(sb, mapPrefix, name, collections.BytesKey, codec.CollValue[common.Commitment](cdc)),
		Queue:  NewQueue(sb, queuePrefix, name+"_expiry", heads, collections.Int64Key, collections.BytesKey),
		module: module,
	}
}

// CommitErrors are a module's errors for a publication without a usable
// commitment: none stored (or expired), or one not yet delay blocks old.
type CommitErrors struct {
	Missing, TooRecent *errorsmod.Error
}

// ListableHeight is the first height at which c publishes its content
// under delay.
func ListableHeight(c common.Commitment, delay uint64) int64 { return c.Height + int64(delay) }

// Commit stores a commitment at the current height until ttl blocks later
// and reports whether it is new. A commitment already stored and not
// expired is left as it is (its first height counts, and a copy of it sent
// by anyone else changes nothing): the returned record is the stored one.
// One expired but not yet pruned (the EndBlocker's budget carried it over)
// is made anew: its owner, committing again, would otherwise wait for the
// pruning (TestCommitAgainAfterExpiryBeforePruning).
func (c Commitments) Commit(ctx context.Context, commitment []byte, ttl uint64) (common.Commitment, bool, error) {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	got, err := c.Map.Get(ctx, commitment)
	switch {
	case err == nil && got.ExpiresHeight > h:
		return got, false, nil
	case err == nil:
		if err := c.remove(ctx, got); err != nil {
			return got, false, err
		}
	case !errors.Is(err, collections.ErrNotFound):
		return got, false, err
	}
	got = common.Commitment{Commitment: commitment, Height: h, ExpiresHeight: h + int64(ttl)}
	return got, true, c.put(ctx, got)
}

// put stores rec and files its expiry.
func (c Commitments) put(ctx context.Context, rec common.Commitment) error {
	if err := c.Map.Set(ctx, rec.Commitment, rec); err != nil {
		return err
	}
	return c.Queue.Set(ctx, collections.Join(rec.ExpiresHeight, rec.Commitment))
}

// remove removes rec and its expiry entry.
func (c Commitments) remove(ctx context.Context, rec common.Commitment) error {
	if err := c.Map.Remove(ctx, rec.Commitment); err != nil {
		return err
	}
	return c.Queue.Remove(ctx, collections.Join(rec.ExpiresHeight, rec.Commitment))
}

// Use takes a commitment for a publication of new content at the current
// height: it must be stored, not expired, and at least delay blocks old;
// it is then removed (content is published once). With delay 0 none is
// needed. what names the committed content in the errors (its owner and
// digests).
func (c Commitments) Use(ctx context.Context, commitment []byte, delay uint64, errs CommitErrors, what string) error {
	if delay == 0 {
		return nil
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	rec, err := c.Map.Get(ctx, commitment)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return errorsmod.Wrapf(errs.Missing, "commit to %s (commitment %X) at least %d blocks before", what, commitment, delay)
	case err != nil:
		return err
	case rec.ExpiresHeight <= h:
		return errorsmod.Wrapf(errs.Missing, "the commitment %X to %s expired at height %d: commit again", commitment, what, rec.ExpiresHeight)
	case h < ListableHeight(rec, delay):
		return errorsmod.Wrapf(errs.TooRecent, "the commitment %X to %s, made at height %d, publishes it from height %d",
			commitment, what, rec.Height, ListableHeight(rec, delay))
	}
	return c.remove(ctx, rec)
}

// Prune removes the commitments whose expiry height has been reached, at
// most limit of them; the rest carry over (DrainDue's failure policy).
func (c Commitments) Prune(ctx context.Context, limit int) error {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	_, err := DrainDue(ctx, Drain[int64, []byte]{Module: c.module, Name: c.Queue.Name(), Queue: c.Queue, Handle: c.prune}, h, h+1, limit)
	return err
}

// prune removes one commitment if, by its state, it has expired; a stale or
// retried entry is a no-op.
func (c Commitments) prune(ctx context.Context, commitment []byte) error {
	rec, err := c.Map.Get(ctx, commitment)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if rec.ExpiresHeight > sdk.UnwrapSDKContext(ctx).BlockHeight() {
		return nil
	}
	return c.Map.Remove(ctx, commitment)
}

// Query answers a query for a commitment by its hex digits (a module's
// gRPC query): InvalidArgument for bad digits (a wrap of invalid), NotFound
// for one not stored.
func (c Commitments) Query(ctx context.Context, digits string, invalid *errorsmod.Error) (common.Commitment, error) {
	commitment, err := common.ParseCommitment(digits, invalid)
	if err != nil {
		return common.Commitment{}, status.Error(codes.InvalidArgument, err.Error())
	}
	rec, err := c.Map.Get(ctx, commitment)
	if errors.Is(err, collections.ErrNotFound) {
		return rec, status.Errorf(codes.NotFound, "no commitment %X (never made, used, or expired)", commitment)
	}
	return rec, err
}

// Import stores a genesis's commitments, their expiries filed.
func (c Commitments) Import(ctx context.Context, recs []common.Commitment) error {
	for _, rec := range recs {
		if err := c.put(ctx, rec); err != nil {
			return fmt.Errorf("commitment %X: %w", rec.Commitment, err)
		}
	}
	return nil
}

// Export returns every stored commitment.
func (c Commitments) Export(ctx context.Context) ([]common.Commitment, error) {
	var out []common.Commitment
	err := c.Map.Walk(ctx, nil, func(_ []byte, rec common.Commitment) (bool, error) {
		out = append(out, rec)
		return false, nil
	})
	return out, err
}

// Rebase maps every commitment's heights for a zero-height export: its
// height less the export's (0 or below: how long ago it was made, which its
// delay counts from) and its expiry with common.RebaseHeight, at least 1
// (what was due prunes in block 1), its queue entry refiled under it.
func (c Commitments) Rebase(ctx context.Context, exportHeight int64) error {
	recs, err := c.Export(ctx)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if err := c.remove(ctx, rec); err != nil {
			return fmt.Errorf("commitment %X: %w", rec.Commitment, err)
		}
		rec.Height -= exportHeight
		rec.ExpiresHeight = max(common.RebaseHeight(rec.ExpiresHeight, exportHeight), 1)
		if err := c.put(ctx, rec); err != nil {
			return fmt.Errorf("commitment %X: %w", rec.Commitment, err)
		}
	}
	return nil
}

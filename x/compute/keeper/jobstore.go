package keeper

import (
	"context"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// Writing a job with its indexes. collections' IndexedMap.Set hands each
// index its own lazy read of the stored value, so saving a job decoded the
// stored job once per index (three times, on top of the caller's read) and
// deleted and rewrote every index entry, changed or not; Remove did the
// same. putJob and removeJob read the stored job once (or use the one the
// caller has) and touch only the index entries whose key changes. The
// entries they leave are exactly IndexedMap's (TestPutJobKeepsIndexes).
//
// They know JobIndexes' three indexes and their keys (newJobs): State
// (the job's state), Requester (its requester) and Provider (its winner). An
// index added to JobIndexes must be added here too; TestPutJobKeepsIndexes
// fails until it is.

// jobsView is the Jobs map's storage without its indexes.
func jobsView(storeService store.KVStoreService, cdc codec.BinaryCodec) collections.Map[uint64, types.Job] {
	return modkit.MapView(storeService, types.JobsKey, "jobs", collections.Uint64Key, codec.CollValue[types.Job](cdc))
}

// putJob writes j and its index entries.
func (k Keeper) putJob(ctx context.Context, j types.Job) error {
	old, err := k.jobsRaw.Get(ctx, j.Id)
	if isNotFound(err) {
		return modkit.InsertIndexed(ctx, k.Jobs, k.jobsRaw, j.Id, j) // a new job
	}
	if err != nil {
		return err
	}
	prev := func() (types.Job, error) { return old, nil }
	idx := k.Jobs.Indexes
	if old.State != j.State {
		if err := idx.State.Reference(ctx, j.Id, j, prev); err != nil {
			return err
		}
	}
	if old.Requester != j.Requester {
		if err := idx.Requester.Reference(ctx, j.Id, j, prev); err != nil {
			return err
		}
	}
	if old.Winner != j.Winner {
		if err := idx.Provider.Reference(ctx, j.Id, j, prev); err != nil {
			return err
		}
	}
	return k.jobsRaw.Set(ctx, j.Id, j)
}

// removeJob deletes a stored job (as read by the caller) and its index
// entries.
func (k Keeper) removeJob(ctx context.Context, j types.Job) error {
	prev := func() (types.Job, error) { return j, nil }
	for _, idx := range k.Jobs.Indexes.IndexesList() {
		if err := idx.Unreference(ctx, j.Id, prev); err != nil {
			return err
		}
	}
	return k.jobsRaw.Remove(ctx, j.Id)
}

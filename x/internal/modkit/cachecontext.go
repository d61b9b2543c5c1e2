package modkit

import (
	"context"
	"errors"
	"io"

	"cosmossdk.io/store/cachekv"
	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// CacheContext is sdk.Context.CacheContext (a branch of ctx's stores and a
// new event manager; the returned write applies the branch and re-emits its
// events on ctx), with the branch made lazily: a store is branched when the
// context first uses it, and write applies only the stores it branched.
//
// The SDK's branch (cachemulti) wraps every one of the app's ~25 stores in
// a cache store with its own B-tree when it is made, and Write visits all
// of them, giving each a new B-tree, though a payout or a queue batch
// touches three to six. Reads and writes go through the same cache stores
// either way (made over the same parent stores, read through on a miss), so
// what a branch reads, writes and charges in gas is the same; only the
// untouched stores' allocations are saved. Where the parent traces its
// stores this falls back to the SDK's branch, which traces.
func CacheContext(ctx context.Context) (sdk.Context, func()) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	parent := sdkCtx.MultiStore()
	if parent.TracingEnabled() {
		return sdkCtx.CacheContext()
	}
	branch := newLazyBranch(parent)
	cc := sdkCtx.WithMultiStore(branch).WithEventManager(sdk.NewEventManager())
	return cc, func() {
		sdkCtx.EventManager().EmitEvents(cc.EventManager().Events())
		branch.Write()
	}
}

// lazyBranch is a CacheMultiStore whose cache stores are made on first use.
// It is used by one goroutine at a time, as a transaction's or a block's
// context is.
type lazyBranch struct {
	parent storetypes.MultiStore
	stores map[storetypes.StoreKey]storetypes.CacheKVStore
	order  []storetypes.StoreKey // in the order first used, for Write
}

var _ storetypes.CacheMultiStore = (*lazyBranch)(nil)

func newLazyBranch(parent storetypes.MultiStore) *lazyBranch {
	return &lazyBranch{parent: parent, stores: make(map[storetypes.StoreKey]storetypes.CacheKVStore, 4)}
}

// store returns key's cache store, branching it from the parent's on first
// use (the parent panics on a key it does not hold, as cachemulti does).
func (b *lazyBranch) store(key storetypes.StoreKey) storetypes.CacheKVStore {
	if s, ok := b.stores[key]; ok {
		return s
	}
	s := cachekv.NewStore(b.parent.GetKVStore(key))
	b.stores[key] = s
	b.order = append(b.order, key)
	return s
}

// GetKVStore returns key's store in this branch.
func (b *lazyBranch) GetKVStore(key storetypes.StoreKey) storetypes.KVStore { return b.store(key) }

// GetStore returns key's store in this branch.
func (b *lazyBranch) GetStore(key storetypes.StoreKey) storetypes.Store { return b.store(key) }

// Write applies the branched stores to their parents (stores are
// independent, so the order does not matter; it is fixed all the same).
func (b *lazyBranch) Write() {
	for _, k := range b.order {
		b.stores[k].Write()
	}
}

// CacheMultiStore branches this branch, lazily too.
func (b *lazyBranch) CacheMultiStore() storetypes.CacheMultiStore { return newLazyBranch(b) }

// CacheMultiStoreWithVersion: a branch has no versions (cachemulti panics).
func (b *lazyBranch) CacheMultiStoreWithVersion(int64) (storetypes.CacheMultiStore, error) {
	return nil, errors.New("cannot branch a cached multi-store with a version")
}

func (b *lazyBranch) CacheWrap() storetypes.CacheWrap { return newLazyBranch(b) }

func (b *lazyBranch) CacheWrapWithTrace(io.Writer, storetypes.TraceContext) storetypes.CacheWrap {
	return newLazyBranch(b)
}

func (b *lazyBranch) GetStoreType() storetypes.StoreType { return storetypes.StoreTypeMulti }

// TracingEnabled is false: a parent that traces gets the SDK's branch.
func (b *lazyBranch) TracingEnabled() bool { return false }

// SetTracer and SetTracingContext change nothing: tracing is enabled on the
// root store, whose branches are then the SDK's.
func (b *lazyBranch) SetTracer(io.Writer) storetypes.MultiStore { return b }

func (b *lazyBranch) SetTracingContext(storetypes.TraceContext) storetypes.MultiStore { return b }

// LatestVersion is the parent's (a cachemulti parent panics, as its own
// branches do).
func (b *lazyBranch) LatestVersion() int64 { return b.parent.LatestVersion() }

package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name.
	ModuleName = "modelregistry"
	// StoreKey is the module's KV store key.
	StoreKey = ModuleName
)

// Store prefixes: every piece of state is a collection under one of these.
var (
	// ParamsKey holds the module Params (Item).
	ParamsKey = collections.NewPrefix(0)
	// ModelSeqKey holds the model id sequence (Sequence).
	ModelSeqKey = collections.NewPrefix(1)
	// ModelsKey holds the models by id (IndexedMap primary map).
	ModelsKey = collections.NewPrefix(2)
	// ModelsByOwnerKey indexes models by (owner, id) (Multi index).
	ModelsByOwnerKey = collections.NewPrefix(3)
	// ModelsByNameKey indexes models by (name, id), so that a name's versions
	// come in publication order (Multi index).
	ModelsByNameKey = collections.NewPrefix(4)
	// ModelsByNameVersionKey maps (name, version) to the model id and keeps
	// it unique (Unique index).
	ModelsByNameVersionKey = collections.NewPrefix(5)
	// ModelsByFoldedNameKey indexed models by (FoldName(name), id) in
	// version 1 of the store; version 2 keeps LatestByFoldedNameKey instead
	// (keeper.Migrator.Migrate1to2 clears it).
	ModelsByFoldedNameKey = collections.NewPrefix(6)
	// LatestByFoldedNameKey maps FoldName(name) to the id of the name's
	// latest version: names equal up to case are one name, and registering
	// or publishing reads one entry (Map).
	LatestByFoldedNameKey = collections.NewPrefix(7)
	// WeightsKey maps a weights file's sha256 to the id of the first model
	// that registered it: the weights belong to that model's name (Map).
	WeightsKey = collections.NewPrefix(8)
	// SkeletonKey maps NameSkeleton(name) to the id of the first model
	// registered under a name of that skeleton: a new name whose skeleton
	// is taken is a look-alike and is refused (Map; version 4).
	SkeletonKey = collections.NewPrefix(9)
	// WeightsCommitsKey maps a commitment's store key (its owner and digest,
	// modkit.CommitmentKey; MsgCommitWeights) to its record,
	// WeightsCommitsByContentKey files (weights key, height, store key) of
	// the weights commitments, CommitExpiryQueueKey holds (expires_height,
	// store key) of each for the EndBlocker to prune, and QueueHeadsKey the
	// queue's head (since version 5).
	WeightsCommitsKey          = collections.NewPrefix(10)
	CommitExpiryQueueKey       = collections.NewPrefix(11)
	QueueHeadsKey              = collections.NewPrefix(12)
	WeightsCommitsByContentKey = collections.NewPrefix(13)
	// WeightsCommitHoldersKey counts WeightsCommitsByContentKey's entries
	// per weights key (modkit.Commitments.Holders; version 5).
	WeightsCommitHoldersKey = collections.NewPrefix(14)
)

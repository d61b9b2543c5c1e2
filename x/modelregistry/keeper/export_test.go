package keeper

import "cosmossdk.io/collections"

// FoldedNameV1 is version 1's folded-name index, for the migration's test.
func (k Keeper) FoldedNameV1() collections.KeySet[collections.Pair[string, uint64]] {
	return k.foldedNameV1()
}

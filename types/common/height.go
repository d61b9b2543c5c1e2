package common

// RebaseHeight maps a height h of a chain exported at height exportHeight
// (its last committed block) to the chain restarted from that export at
// height 1 (`aichaind export --for-zero-height`):
//
//	h > exportHeight:  h − exportHeight
//	h ≤ exportHeight:  0
//
// The new chain's genesis (height 0) stands for the export height and its
// first block (height 1) for the block that would have followed the export,
// so a deadline still ahead keeps exactly the number of blocks it had left,
// and a height at or before the export — a historical height, or a deadline
// already due whose queue entry was carried over by the per-block cap — is 0:
// in the past of every new block, so what was due stays due and fires in
// block 1. Unset heights (0) stay 0.
func RebaseHeight(h, exportHeight int64) int64 {
	if h <= exportHeight {
		return 0
	}
	return h - exportHeight
}

package keeper

// MaxTransferredLive is maxTransferredLive, for keeper_test.
const MaxTransferredLive = maxTransferredLive

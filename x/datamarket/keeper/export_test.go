package keeper_test

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/keeper"
)

type collectionsPair = collections.Pair[int64, uint64]

// The Keeper provides exactly what x/compute declares in its expected keepers.
var _ interface {
	DatasetTermsForJob(ctx context.Context, datasetID uint64, requester string, pin uint64) (common.DatasetTerms, error)
	PayDatasetFee(ctx context.Context, datasetID uint64, fromModule string, fee sdk.Coins, shares []common.Share) error
	GrantJobAccess(ctx context.Context, datasetID, jobID uint64, provider string) error
	RevokeJobAccess(ctx context.Context, datasetID, jobID uint64) error
} = keeper.Keeper{}

// And what x/compute is to call next (issue 17, item 3): access to the job's
// pinned version, and the dataset fee charged when access is granted.
var _ interface {
	GrantJobAccessVersion(ctx context.Context, datasetID, jobID, version uint64, provider string) error
	ChargeJobDatasetFee(ctx context.Context, datasetID, jobID uint64, fromModule string, fee sdk.Coins, shares []common.Share) error
} = keeper.Keeper{}

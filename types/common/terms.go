package common

import sdk "github.com/cosmos/cosmos-sdk/types"

// ModelTerms are what x/modelregistry tells x/compute about a model when a
// job that uses it is created: its shape, and the fee the job escrows with the
// shares it will be split over (a snapshot: later fee or share updates do not
// change a job already created).
type ModelTerms struct {
	InputDim  uint64
	OutputDim uint64
	// Fee is fee_per_job + fee_per_1k_rows × rows / 1000, rounded up.
	Fee    sdk.Coins
	Shares []Share
}

// DatasetTerms are what x/datamarket tells x/compute about a dataset when a
// job that uses it is created.
type DatasetTerms struct {
	// Version is the dataset version the job runs on; ContentRoot is its root.
	Version      uint64
	Rows         uint64
	Cols         uint64
	RowsPerChunk uint64
	ContentRoot  []byte
	Owner        string
	// Fee is the PER_JOB offer's price when the requester holds no licence,
	// and empty when it does.
	Fee    sdk.Coins
	Shares []Share
}

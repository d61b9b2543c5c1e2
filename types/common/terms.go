package common

import sdk "github.com/cosmos/cosmos-sdk/types"

// ModelTerms are what x/modelregistry tells x/compute about a model when a
// job that uses it is created: its shape, and the fee the job escrows with the
// shares it will be split over (a snapshot: later fee or share updates do not
// change a job already created).
type ModelTerms struct {
	// Architecture is the model's workload kind ("mlp-f32", "gpt-f32").
	Architecture string
	InputDim     uint64
	OutputDim    uint64
	// GPT is a gpt-f32 model's configuration (zero for other architectures).
	GPT GPTShape
	// RowMulAdds is what the chain charges one row through an mlp-f32
	// model's recorded layer widths (workload.MLPRowMulAdds: Σ in·out and
	// each output's elementwise work); 0 when its widths are not recorded.
	RowMulAdds uint64
	// Layers is an mlp-f32 model's weight layers (its recorded widths less
	// one): a chunk runs one kernel call a layer, charged per chunk
	// (workload.MLPWork); 0 when its widths are not recorded.
	Layers uint64
	// RowValues is the most values one row holds at once through an
	// mlp-f32 model's recorded layers (a layer's input and output,
	// max widths[i] + widths[i+1]): a chunk's recomputation holds chunk rows
	// × this; 0 when its widths are not recorded.
	RowValues uint64
	// WidestLayer is an mlp-f32 model's widest layer output (its recorded
	// widths after the input's): the activation of a job over rows rows
	// holds rows × it values; 0 when its widths are not recorded.
	WidestLayer uint64
	// Owner is the model's owner: the account whose availability bond a job
	// that another account creates on it locks (x/compute ModelBond).
	Owner string
	// URI is the model's uri: a job that locks the owner's bond keeps it
	// (x/compute Job.model_uri).
	URI string
	// Fee is fee_per_job + fee_per_1k_rows × rows / 1000, rounded up.
	Fee    sdk.Coins
	Shares []Share
}

// GPTShape is a gpt-f32 model's configuration: transformer blocks,
// attention heads, embedding width, vocabulary and context length.
type GPTShape struct {
	Layers, Heads, Embed, Vocab, Context uint64
}

// DatasetTerms are what x/datamarket tells x/compute about a dataset when a
// job that uses it is created.
type DatasetTerms struct {
	// Format is the dataset's file format ("npy-f32", "npy-i32").
	Format string
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

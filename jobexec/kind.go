package jobexec

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// Kind is one row of the agents' table of workload kinds: everything the
// provider agent and the verifier sidecar do differently for one kind.
// Name and Build are required; the other fields have defaults.
type Kind struct {
	// Name is the kind's on-chain name (WorkloadSpec.kind), a workload.Kind*
	// constant.
	Name string
	// Needs says what Build needs from the Resolver (and Verifier from the
	// VerifySource); an agent that lacks it neither bids on nor verifies
	// the kind.
	Needs Needs
	// Build turns a job's spec into its workload; datasetVersion is the
	// dataset version the job fixed on chain (0: the current one). r is
	// non-nil when Needs asks for anything.
	Build func(ctx context.Context, spec computetypes.WorkloadSpec, datasetVersion uint64, r Resolver) (workload.Job, error)
	// Work estimates a job's work, for pricing (nil: no work, the floor
	// price).
	Work func(job computetypes.Job) Work
	// Served says what a provider keeps of an executed job to serve its
	// chunks (nil: the kind alone).
	Served func(job computetypes.Job) Served
	// Serve adds to a served output chunk the material a verifier needs
	// besides it (nil: nothing). src is nil when the agent has no input
	// source.
	Serve func(ctx context.Context, s Served, src InputSource, resp *ChunkResponse) error
	// Verifier prepares the check of a job's sampled chunks: Check verifies
	// what Serve added, Recompute recomputes the chunk (nil: no material,
	// and the chunk recomputed from Build's workload with no Resolver). src
	// is non-nil when Needs asks for anything.
	Verifier func(ctx context.Context, pv computetypes.PendingVerification, src VerifySource, b workload.Backend) (Recomputer, error)
	// Size sizes a job for a provider's bid, from its spec and the inputs
	// the provider may fetch before it wins (a model's weights; never a
	// dataset's rows, which open to the winner only). An error is inputs
	// the provider cannot get (ErrUnsupported: its source cannot serve the
	// kind). Nil: providers do not bid on the kind.
	Size func(ctx context.Context, job computetypes.Job, src ProviderSource) (BidShape, error)
	// CheckInputs checks, for an aborted job's input check (x/compute
	// MsgAbortJob), that the job's model loads and runs on its inputs; ds is
	// the dataset version's on-chain record (nil without a dataset), whose
	// availability the caller checks. Nil: nothing to check beyond it.
	CheckInputs func(ctx context.Context, pv computetypes.PendingVerification, src VerifySource, ds *datamarkettypes.Dataset) error
}

// BidShape is what a provider weighs before it bids on a job: its output of
// Rows × Cols float32 values, the input rows it will hold (InputBytes: the
// values of its dataset file), its work in GFLOP, and the dataset whose
// server must serve the job's pinned version (0: none). The other fields
// are zero where they do not apply.
type BidShape struct {
	Rows, Cols, InputBytes uint64
	GFLOP                  float64
	DatasetID              uint64
	// RowMulAdds is the multiply-adds of one output row where the chain
	// does not bound the job's work (mlp-f32 records mul_adds 0): what a
	// verifier spends per row of a sampled chunk (mlp-f32: the chain's row
	// charge, workload.MLPRowMulAdds, its kernel calls per chunk aside).
	RowMulAdds uint64
	// Generated is the values the job draws from seeded streams before or
	// while it computes (gemm-f32: A and Bᵀ, M·K + K·N), on the host.
	Generated uint64
	// HeldBytes is the memory the job holds from its preparation to the
	// end of its execution (gemm-f32: Bᵀ, K·N·4; mlp-f32 and gpt-f32: its
	// dataset's values, InputBytes, and its model's parsed weights,
	// ModelBytes), and ExecBytes what its execution adds while it runs
	// (gemm-f32: A; mlp-f32: two layers' activations over every row).
	HeldBytes, ExecBytes uint64
	// ModelBytes is the part of HeldBytes that is the job's model: its
	// parsed weights, which the built job references from its fetch to the
	// end of its execution whether or not the resolver's model cache keeps
	// them (a model over the cache's bound, or evicted from it, is held by
	// its jobs alone: TestAttackJobsOnDistinctModelsOverrunTheMemoryBudget).
	ModelBytes uint64
	// LoadBytes is what the job's fetch holds at its peak beside
	// HeldBytes: a file beside what is parsed from it, the larger of its
	// model's weights file (ModelBytes again and a safetensors header; a
	// gpt-f32 file its attention masks too: modelLoadBytes) and its
	// dataset's file (its values again and a .npy prefix) with the
	// version's chunk index (datasetLoadBytes)
	// (TestAttackFetchSlotsHoldDatasetFilesBesideTheirValues).
	LoadBytes uint64
}

// SizeOf sizes a job for a bid through its kind's row (Kind.Size);
// ErrUnsupported for a kind that has no sizing or no row.
func SizeOf(ctx context.Context, job computetypes.Job, src ProviderSource) (BidShape, error) {
	k, ok := Lookup(job.Workload.Kind)
	if !ok || k.Size == nil {
		return BidShape{}, fmt.Errorf("%w: no bid sizing for kind %q", ErrUnsupported, job.Workload.Kind)
	}
	return k.Size(WithModelURI(ctx, job.ModelUri), job, src)
}

// Needs says what a kind needs from an agent's sources to run or verify.
type Needs struct {
	// Model: a model's weights (public, fetched by uri).
	Model bool
	// Dataset: a dataset's rows. A provider fetches them with its key; a
	// verifier reads the dataset's on-chain record and takes the rows the
	// provider serves, proven against it.
	Dataset bool
}

// MetBy reports whether have supplies everything n asks for.
func (n Needs) MetBy(have Needs) bool {
	return (!n.Model || have.Model) && (!n.Dataset || have.Dataset)
}

func (n Needs) any() bool { return n.Model || n.Dataset }

// String names what n asks for: "a model and dataset", "a model", "a
// dataset" or "nothing".
func (n Needs) String() string {
	switch {
	case n.Model && n.Dataset:
		return "a model and dataset"
	case n.Model:
		return "a model"
	case n.Dataset:
		return "a dataset"
	}
	return "nothing"
}

// Work is a job's amount of work for pricing: a provider bids the highest of
// its floor and each amount times its rate.
type Work struct {
	// GFLOP is the floating-point work in 10^9 operations (a multiply and an
	// add per term), priced per GFLOP.
	GFLOP float64
	// Rows is the number of dataset rows the job runs over, priced per 1000
	// rows.
	Rows uint64
}

// Served is what a provider keeps of an executed job to serve its output
// chunks: the job's kind and, for a kind that serves dataset rows with each
// chunk, the dataset version and the output chunking.
type Served struct {
	Kind           string
	DatasetID      uint64
	DatasetVersion uint64
	ChunkRows      uint64
}

// InputSource gives a provider's chunk server the checked dataset files whose
// rows it serves with output chunks.
type InputSource interface {
	DatasetFile(ctx context.Context, datasetID, version uint64) (*DatasetFile, error)
	// DatasetServed tells whether a version's server serves it, reading no
	// rows (nil: it does).
	DatasetServed(ctx context.Context, datasetID, version uint64) error
}

// ProviderSource is what a provider agent gives the table: the Resolver to
// run jobs and the InputSource to serve them. ChainResolver is one.
type ProviderSource interface {
	Resolver
	InputSource
}

// VerifySource is what a verifier gives the table: public model weights and
// on-chain dataset records (not the rows: the provider serves those with
// their proofs). ChainResolver without a signing key is one.
type VerifySource interface {
	Model(ctx context.Context, modelID uint64) (*workload.Model, error)
	DatasetRecord(ctx context.Context, datasetID, version uint64) (datamarkettypes.Dataset, error)
}

// ServeError is a failure to serve a chunk's material: the chunk server
// answers Status with Message, and logs Err (nil: nothing to log).
type ServeError struct {
	Status  int
	Message string
	Err     error
}

func (e *ServeError) Error() string {
	if e.Err == nil {
		return e.Message
	}
	return e.Message + ": " + e.Err.Error()
}

func (e *ServeError) Unwrap() error { return e.Err }

// Recomputer checks a job's served chunks: Check verifies the material served
// with a chunk, Recompute recomputes the chunk. InputChunks says how many
// dataset chunks the response for output chunk i carries (nil: none), which
// bounds its decoding (DecodeChunkResponse).
type Recomputer struct {
	Check       func(resp ChunkResponse) error
	Recompute   func(ctx context.Context, resp ChunkResponse) ([]byte, error)
	InputChunks func(i uint64) uint64
}

var table = struct {
	sync.RWMutex
	kinds map[string]Kind
}{kinds: map[string]Kind{}}

// Register adds a kind to the table. It panics on a kind without a name or a
// Build, and on a name already registered.
func Register(k Kind) {
	if k.Name == "" || k.Build == nil {
		panic(fmt.Sprintf("jobexec: kind %q registered without a name or a Build", k.Name))
	}
	table.Lock()
	defer table.Unlock()
	if _, dup := table.kinds[k.Name]; dup {
		panic(fmt.Sprintf("jobexec: kind %q registered twice", k.Name))
	}
	table.kinds[k.Name] = k
}

// Lookup returns the row of a kind.
func Lookup(name string) (Kind, bool) {
	table.RLock()
	defer table.RUnlock()
	k, ok := table.kinds[name]
	return k, ok
}

// Kinds returns every registered kind, by name.
func Kinds() []Kind {
	table.RLock()
	out := make([]Kind, 0, len(table.kinds))
	for _, k := range table.kinds {
		out = append(out, k)
	}
	table.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Runnable returns the names of the kinds an agent whose sources supply have
// can run, by name: what a provider advertises.
func Runnable(have Needs) []string {
	var out []string
	for _, k := range Kinds() {
		if k.Needs.MetBy(have) {
			out = append(out, k.Name)
		}
	}
	return out
}

func lookup(name string) (Kind, error) {
	k, ok := Lookup(name)
	if !ok {
		return Kind{}, fmt.Errorf("%w: kind %q", ErrUnsupported, name)
	}
	return k, nil
}

// needsError is a kind's refusal to run without the sources it needs.
func needsError(k Kind) error {
	return fmt.Errorf("%w: %s needs %s source", ErrUnsupported, k.Name, k.Needs)
}

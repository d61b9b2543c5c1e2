package jobexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// mlp-f32: every row of a dataset through a model. The provider needs both
// (the dataset fetched with its key) and serves, with each output chunk, the
// dataset chunks that cover its rows with their proofs against the dataset's
// content_root; a verifier checks those rows and recomputes the chunk from
// them, so it needs the model and the dataset's record but no licence.
func init() {
	Register(Kind{
		Name:  workload.KindMLP,
		Needs: Needs{Model: true, Dataset: true},
		Build: buildMLP,
		Work:  func(job computetypes.Job) Work { return Work{Rows: job.Rows} },
		Served: func(job computetypes.Job) Served {
			s := Served{Kind: workload.KindMLP}
			if m := job.Workload.Mlp; m != nil {
				s.DatasetID, s.DatasetVersion, s.ChunkRows = m.DatasetId, job.DatasetVersion, job.Workload.ChunkRows
			}
			return s
		},
		Serve:       serveMLPInputs,
		Verifier:    verifyMLP,
		CheckInputs: checkMLPInputs,
		Size:        sizeMLP,
	})
}

// checkMLPInputs: the model's weights load (fetched from their uri and
// checked against the on-chain sha256 and shape) and run on the dataset: its
// columns are the model's input, and every layer's activation over its rows
// fits workload.MaxDenseElements (what workload.NewMLPJob accepts).
func checkMLPInputs(ctx context.Context, pv computetypes.PendingVerification, src VerifySource, ds *datamarkettypes.Dataset) error {
	m, err := src.Model(ctx, pv.ModelId)
	if err != nil {
		return fmt.Errorf("model %d: %w", pv.ModelId, err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("model %d: %w", pv.ModelId, err)
	}
	if ds == nil {
		return nil
	}
	if ds.Cols != uint64(m.InputDim()) {
		return fmt.Errorf("model %d takes %d inputs, the dataset has %d columns", pv.ModelId, m.InputDim(), ds.Cols)
	}
	for i, l := range m.Layers {
		if l.Out > 0 && ds.Rows > uint64(workload.MaxDenseElements/l.Out) {
			return fmt.Errorf("model %d layer %d: activation %d×%d exceeds %d values", pv.ModelId, i, ds.Rows, l.Out, workload.MaxDenseElements)
		}
	}
	return nil
}

func buildMLP(ctx context.Context, spec computetypes.WorkloadSpec, datasetVersion uint64, r Resolver) (workload.Job, error) {
	if spec.Mlp == nil {
		return nil, fmt.Errorf("%w: %s needs a model and dataset source", ErrUnsupported, workload.KindMLP)
	}
	chunkRows, err := toInt("chunk_rows", spec.ChunkRows)
	if err != nil {
		return nil, err
	}
	model, err := r.Model(ctx, spec.Mlp.ModelId)
	if err != nil {
		return nil, fmt.Errorf("model %d: %w", spec.Mlp.ModelId, err)
	}
	data, err := r.Dataset(ctx, spec.Mlp.DatasetId, datasetVersion)
	if err != nil {
		return nil, fmt.Errorf("dataset %d: %w", spec.Mlp.DatasetId, err)
	}
	return workload.NewMLPJob(model, data, chunkRows)
}

// serveMLPInputs attaches the dataset rows of an output chunk.
func serveMLPInputs(ctx context.Context, s Served, src InputSource, resp *ChunkResponse) error {
	if s.DatasetID == 0 {
		return nil
	}
	if src == nil {
		return &ServeError{Status: http.StatusInternalServerError, Message: "this agent has no dataset source"}
	}
	unavailable := func(err error) error {
		return &ServeError{Status: http.StatusServiceUnavailable, Message: "cannot load the job's dataset",
			Err: fmt.Errorf("dataset %d: %w", s.DatasetID, err)}
	}
	// From the disk cache by offset when the file is there (inputrows.go);
	// from the version's values in memory otherwise, or when the file changed.
	if rs, ok := src.(rowSource); ok && s.DatasetVersion != 0 {
		rows, err := rs.InputRows(ctx, s.DatasetID, s.DatasetVersion)
		switch {
		case err == nil:
			if resp.attachInputs(rows, s.ChunkRows) == nil {
				return nil
			}
		case !errors.Is(err, ErrRowsNotOnDisk):
			return unavailable(err)
		}
	}
	ds, err := src.DatasetFile(ctx, s.DatasetID, s.DatasetVersion)
	if err != nil {
		return unavailable(err)
	}
	return resp.AttachInputs(ds, s.ChunkRows)
}

// checkDatasetOf refuses a job over dataset version (0: current) that the
// job's winner would refuse to load for the memory it takes
// (checkDatasetMemory), when src reads datasets' records (a ChainResolver
// with a datamarket client), and returns what its load holds beside its
// values (datasetLoadBytes; input, the values' bytes, without a record).
func checkDatasetOf(ctx context.Context, src ProviderSource, datasetID, version, input uint64) (uint64, error) {
	load := common.SatAdd(input, workload.MaxNPYPrefixBytes)
	rs, ok := src.(datasetRecords)
	if !ok || datasetID == 0 {
		return load, nil
	}
	rec, err := rs.DatasetRecord(ctx, datasetID, version)
	if errors.Is(err, ErrUnsupported) {
		return load, nil // no records to read: nor can its load
	}
	if err != nil {
		return 0, fmt.Errorf("dataset %d: %w", datasetID, err)
	}
	if err := checkDatasetMemory(rec.Rows, rec.RowsPerChunk, MaxInputBytes(src)); err != nil {
		return 0, fmt.Errorf("dataset %d: %w", datasetID, err)
	}
	return datasetLoadBytes(rec), nil
}

// rowSource serves a version's input rows from the disk cache
// (ChainResolver.InputRows).
type rowSource interface {
	InputRows(ctx context.Context, datasetID, version uint64) (*InputRows, error)
}

// verifyMLP recomputes an mlp-f32 output chunk from the input rows the
// provider serves with it, once they verify against the dataset's on-chain
// content_root: a validator needs no dataset licence.
func verifyMLP(ctx context.Context, pv computetypes.PendingVerification, src VerifySource, b workload.Backend) (Recomputer, error) {
	spec := pv.Workload
	if spec.Mlp == nil {
		return Recomputer{}, fmt.Errorf("%w: %s needs a model and dataset source", ErrUnsupported, workload.KindMLP)
	}
	model, err := src.Model(ctx, spec.Mlp.ModelId)
	if err != nil {
		return Recomputer{}, fmt.Errorf("model %d: %w", spec.Mlp.ModelId, err)
	}
	// The job runs on the dataset version fixed when it was created.
	ds, err := src.DatasetRecord(ctx, spec.Mlp.DatasetId, pv.DatasetVersion)
	if err != nil {
		return Recomputer{}, fmt.Errorf("dataset %d: %w", spec.Mlp.DatasetId, err)
	}
	if len(pv.DatasetContentRoot) > 0 && !bytes.Equal(ds.ContentRoot, pv.DatasetContentRoot) {
		return Recomputer{}, fmt.Errorf("dataset %d version %d: content root %x, the job records %x",
			spec.Mlp.DatasetId, pv.DatasetVersion, ds.ContentRoot, pv.DatasetContentRoot)
	}
	if ds.Cols != uint64(model.InputDim()) {
		return Recomputer{}, fmt.Errorf("dataset %d has %d columns, model %d input is %d", ds.Id, ds.Cols, spec.Mlp.ModelId, model.InputDim())
	}
	// Refused before any chunk is fetched: the largest chunk's activations
	// (rows × the widest layer's input and output) within what a verifier
	// holds, whatever the chain recorded of the model.
	if err := checkMLPChunk(model, ds.Rows, spec.ChunkRows); err != nil {
		return Recomputer{}, fmt.Errorf("model %d over dataset %d: %w", spec.Mlp.ModelId, ds.Id, err)
	}
	inputs := func(resp ChunkResponse) ([]float32, int, error) {
		return resp.VerifyInputs(ds.ContentRoot, ds.Rows, ds.Cols, ds.RowsPerChunk, spec.ChunkRows)
	}
	return Recomputer{
		Check: func(resp ChunkResponse) error {
			_, _, err := inputs(resp)
			return err
		},
		Recompute: func(ctx context.Context, resp ChunkResponse) ([]byte, error) {
			x, rows, err := inputs(resp)
			if err != nil {
				return nil, err
			}
			if err := checkMLPChunk(model, uint64(rows), uint64(rows)); err != nil {
				return nil, err
			}
			y, err := model.Forward(ctx, b, x, rows)
			if err != nil {
				return nil, err
			}
			if len(y) != rows*model.OutputDim() {
				return nil, fmt.Errorf("%w: backend %s returned %d values for %d×%d", workload.ErrShape, b.Name(), len(y), rows, model.OutputDim())
			}
			return workload.EncodeFloats(y), nil
		},
		InputChunks: inputChunks(ds, spec.ChunkRows),
	}, nil
}

// sizeMLP: the model's weights are fetched and checked (against the on-chain
// sha256 and shape) before a bid; the output is a row of OutputDim values
// per dataset row, the work the chain's charge for the model's layers
// (workload.MLPWork: products, outputs and a kernel call per layer per
// chunk); the job holds the dataset's values and the model's weights
// (HeldBytes), and its execution two activations (a layer's input and
// output) of the widest layer over every row (Model.Forward).
func sizeMLP(ctx context.Context, job computetypes.Job, src ProviderSource) (BidShape, error) {
	m := job.Workload.Mlp
	if m == nil || src == nil {
		return BidShape{}, fmt.Errorf("%w: %s needs its spec and a model source", ErrUnsupported, workload.KindMLP)
	}
	model, err := src.Model(ctx, m.ModelId)
	if err != nil {
		return BidShape{}, fmt.Errorf("model %d: %w", m.ModelId, err)
	}
	// A chunk no verifier would recompute (ErrChunkTooLarge) is not bid on:
	// every sidecar would abstain and the job end unpaid.
	if err := checkMLPChunk(model, job.Rows, job.Workload.ChunkRows); err != nil {
		return BidShape{}, err
	}
	input, weights := valuesBytes(job.Rows, uint64(model.InputDim())), mlpModelBytes(model)
	load, err := checkDatasetOf(ctx, src, m.DatasetId, job.DatasetVersion, input)
	if err != nil {
		return BidShape{}, err
	}
	widths := []uint64{uint64(model.InputDim())}
	var widest uint64
	for _, l := range model.Layers {
		widths = append(widths, uint64(l.Out))
		widest = max(widest, uint64(l.Out)) // layer 0's input is the dataset
	}
	row := workload.MLPRowMulAdds(widths)
	work, _ := workload.MLPWork(row, uint64(len(model.Layers)), job.Rows, job.Workload.ChunkRows)
	return BidShape{
		Rows: job.Rows, Cols: uint64(model.OutputDim()), InputBytes: input,
		GFLOP: 2 * float64(work) / 1e9, DatasetID: m.DatasetId,
		// The built job holds the dataset's values and the model's weights
		// from its fetch to the end of its execution (buildMLP,
		// workload.MLPJob).
		RowMulAdds: row, HeldBytes: common.SatAdd(input, weights), ExecBytes: valuesBytes(job.Rows, 2*widest),
		// Its fetch loads the model's file beside the weights parsed from
		// it, then the dataset's file beside its values.
		ModelBytes: weights, LoadBytes: max(modelLoadBytes(weights, 0), load),
	}, nil
}

// mlpModelBytes is an mlp model's parsed weights: its layers' weights and
// biases, 4 bytes a value.
func mlpModelBytes(m *workload.Model) uint64 {
	var n uint64
	for _, l := range m.Layers {
		n = common.SatAdd(n, valuesBytes(uint64(len(l.Weight))+uint64(len(l.Bias)), 1))
	}
	return n
}

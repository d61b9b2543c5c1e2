package workload

import (
	"context"
	"fmt"
)

// KindMLP is the mlp-f32 workload kind.
const KindMLP = "mlp-f32"

// MLPJob is an mlp-f32 job: every dataset row through the model.
type MLPJob struct {
	model     *Model
	data      *Matrix
	chunkRows int
}

var _ Job = (*MLPJob)(nil)

// NewMLPJob checks that the dataset's columns match the model's input size.
func NewMLPJob(model *Model, dataset *Matrix, chunkRows int) (*MLPJob, error) {
	if err := model.Validate(); err != nil {
		return nil, err
	}
	if err := dataset.Validate(); err != nil {
		return nil, err
	}
	if chunkRows < 1 {
		return nil, fmt.Errorf("%w: chunk_rows=%d must be positive", ErrInvalidParams, chunkRows)
	}
	if dataset.Cols != model.InputDim() {
		return nil, fmt.Errorf("%w: dataset has %d columns, model input is %d", ErrShape, dataset.Cols, model.InputDim())
	}
	if dataset.Rows > MaxDenseElements/model.OutputDim() {
		return nil, fmt.Errorf("%w: output %d×%d exceeds %d elements", ErrInvalidParams, dataset.Rows, model.OutputDim(), MaxDenseElements)
	}
	for _, l := range model.Layers {
		if dataset.Rows > MaxDenseElements/l.Out {
			return nil, fmt.Errorf("%w: activation %d×%d exceeds %d elements", ErrInvalidParams, dataset.Rows, l.Out, MaxDenseElements)
		}
	}
	return &MLPJob{model: model, data: dataset, chunkRows: chunkRows}, nil
}

// Kind returns KindMLP.
func (j *MLPJob) Kind() string { return KindMLP }

// Rows returns the dataset's row count.
func (j *MLPJob) Rows() int { return j.data.Rows }

// Cols returns the model's output size.
func (j *MLPJob) Cols() int { return j.model.OutputDim() }

// ChunkRows returns the chunk size in rows.
func (j *MLPJob) ChunkRows() int { return j.chunkRows }

// ComputeRows runs dataset rows [r0, r1) through the model.
func (j *MLPJob) ComputeRows(ctx context.Context, b Backend, r0, r1 int) ([]float32, error) {
	if err := checkRowRange(j, r0, r1); err != nil {
		return nil, err
	}
	c := j.data.Cols
	return j.model.Forward(ctx, b, j.data.Data[r0*c:r1*c], r1-r0)
}

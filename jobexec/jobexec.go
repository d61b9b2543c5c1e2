// Package jobexec turns an on-chain compute job into work for aichain's
// agents. Its table of workload kinds (Kind, Register, Lookup) says, for each
// kind, how a job's spec becomes a workload, how much work it is (for
// pricing), what it needs from a Resolver, what a provider serves with each
// output chunk and how a verifier checks and recomputes a chunk. The provider
// agent and the verifier sidecar go through the table only, and share the
// chunk-with-proof format (ChunkResponse), so that what one serves the other
// reads. A new kind is one row: a file that registers it.
package jobexec

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/aichain/aichain/workload"
)

// ErrUnsupported is a workload this agent cannot run.
var ErrUnsupported = errors.New("unsupported workload")

// Resolver supplies the models and datasets that kinds need to run (mlp-f32).
type Resolver interface {
	Model(ctx context.Context, modelID uint64) (*workload.Model, error)
	// Dataset returns a version of a dataset (0: the current one).
	Dataset(ctx context.Context, datasetID, version uint64) (*workload.Matrix, error)
}

func toInt(name string, v uint64) (int, error) {
	if v > math.MaxInt32 {
		return 0, fmt.Errorf("%w: %s=%d is too large", workload.ErrInvalidParams, name, v)
	}
	return int(v), nil
}

package modkit

import (
	"context"
	"math"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
)

// NextID returns the next id of seq and advances it; ids start at 1 (0
// means "none" to the modules that refer to them). The sequence never
// wraps: a genesis may start it anywhere, and past math.MaxUint64 it would
// give out 1 again, so that the new record overwrote record 1 (another
// owner's model, dataset or licence). The last id is never given out:
// errExhausted, wrapped with what the sequence numbers.
func NextID(ctx context.Context, seq collections.Sequence, errExhausted *errorsmod.Error, what string) (uint64, error) {
	id, err := seq.Peek(ctx)
	if err != nil {
		return 0, err
	}
	if id == 0 { // a sequence no genesis set
		id = 1
	}
	if id == math.MaxUint64 {
		return 0, errExhausted.Wrapf("the %s id sequence is at %d", what, id)
	}
	return id, seq.Set(ctx, id+1)
}

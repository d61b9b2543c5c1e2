package keeper

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/aichain/aichain/x/compute/types"
)

// SaveJob is saveJob for the tests and benchmarks of package keeper_test,
// which seed state the way the keeper writes it (stats, pending checks).
func (k Keeper) SaveJob(ctx context.Context, from types.JobState, j types.Job) error {
	return k.saveJob(ctx, from, j)
}

// JobsByProvider is the provider index's storage, for the tests that write
// a version-5 store (entries under "" for jobs without a winner).
func (k Keeper) JobsByProvider() collections.KeySet[collections.Pair[string, uint64]] {
	return k.jobsByProvider
}

// VotersV8 is the voter records as version 8 stored them (a key set: who
// voted, not what), for the test of Migrate8to9.
func (k Keeper) VotersV8() collections.KeySet[collections.Pair[uint64, []byte]] {
	sb := collections.NewSchemaBuilder(k.storeService)
	ks := collections.NewKeySet(sb, types.VotersKey, "voters",
		collections.PairKeyCodec(collections.Uint64Key, collections.BytesKey))
	if _, err := sb.Build(); err != nil {
		panic(err)
	}
	return ks
}

// DrawRate is drawRate, the rate a submitted result's draw runs at.
func DrawRate(job types.Job, p types.Provider, rate uint32) uint32 { return drawRate(job, p, rate) }

// CountedOf is a job's counted verdicts as the Job query shows them: those
// of a job under check from Counted, a closed job's from its record.
func (k Keeper) CountedOf(ctx context.Context, id uint64) ([]types.CountedVerdict, error) {
	j, err := k.GetJob(ctx, id)
	if err != nil {
		return nil, err
	}
	j, err = k.withCounted(ctx, j)
	return j.CountedVerdicts, err
}

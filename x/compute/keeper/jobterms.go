package keeper

import (
	"context"

	"github.com/aichain/aichain/x/compute/types"
)

// termsNow are the terms a job created now gets: the params in force and the
// dataset market's and model registry's fee cuts, each read only when the
// job has a dataset or model whose fee it would pay (0 otherwise, and when
// the keeper is not wired: such a job pays no fee to it).
func (k Keeper) termsNow(ctx context.Context, params types.Params, job types.Job) (*types.JobParamTerms, error) {
	var market, platform uint32
	var err error
	if job.DatasetId != 0 && k.DatasetKeeper != nil {
		if market, err = k.DatasetKeeper.MarketFeeBps(ctx); err != nil {
			return nil, err
		}
	}
	if job.ModelId != 0 && k.ModelKeeper != nil {
		if platform, err = k.ModelKeeper.PlatformFeeBps(ctx); err != nil {
			return nil, err
		}
	}
	return types.NewJobParamTerms(params, market, platform), nil
}

// jobTerms are job's own terms; a job imported without them (genesis) is
// handled under the terms in force, as it was before jobs recorded them,
// and one whose terms InitGenesis filled before the fee cuts could be read
// (fee_cuts_unset) pays the cuts in force.
func (k Keeper) jobTerms(ctx context.Context, job types.Job) (*types.JobParamTerms, error) {
	if job.Terms != nil && !job.Terms.FeeCutsUnset {
		return job.Terms, nil
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	now, err := k.termsNow(ctx, params, job)
	if err != nil || job.Terms == nil {
		return now, err
	}
	terms := *job.Terms
	terms.MarketFeeBps, terms.PlatformFeeBps = now.MarketFeeBps, now.PlatformFeeBps
	return &terms, nil
}

// genesisTerms are the terms InitGenesis gives a live job imported without
// them (a genesis exported before jobs recorded terms): the genesis params,
// which are the ones it ran under at the export, so that a params change
// after the import no longer reaches it
// (TestAttackParamsCutReachesJobImportedWithoutTerms). The dataset market's
// and model registry's fee cuts are not readable yet when such a job pays
// one (the app imports x/compute before x/datamarket and x/modelregistry):
// they are left to its settlement (fee_cuts_unset), as before terms.
func genesisTerms(params types.Params, job types.Job) *types.JobParamTerms {
	terms := types.NewJobParamTerms(params, 0, 0)
	terms.FeeCutsUnset = job.DatasetId != 0 || job.ModelId != 0
	return terms
}

// fillUnsetTerms returns terms with the terms added since they were written
// taken from params (the genesis params at InitGenesis, the params at the
// upgrade in Migrate9to10): timeout_jail_threshold, 0 on terms a chain
// already at ConsensusVersion 10 wrote before it was a term
// (TestAttackParamsJailThresholdCutUnderRunningJob). terms itself is not changed
// (it may be a genesis state's); terms with every term set come back as
// they are.
func fillUnsetTerms(params types.Params, terms *types.JobParamTerms) *types.JobParamTerms {
	if terms == nil || terms.TimeoutJailThreshold != 0 {
		return terms
	}
	filled := *terms
	filled.TimeoutJailThreshold = params.TimeoutJailThreshold
	return &filled
}

// jobParams are the params job is handled under: its terms in place of the
// params they name (JobParamTerms.Under), so that a governance change while
// it runs changes neither its penalties, its draw, its dispute nor the
// bounds its check applies (TestAttackParams*).
func (k Keeper) jobParams(ctx context.Context, job types.Job) (types.Params, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return params, err
	}
	return job.Terms.Under(params), nil
}

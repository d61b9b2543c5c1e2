package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// Migrator runs the module's store migrations.
type Migrator struct{ k Keeper }

// NewMigrator returns the module's migrator.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// Migrate1to2 brings a version-1 store to the economics of issue 14, once,
// at the upgrade height (it reads every job, commitment and provider):
//   - the new params take their defaults (min_exec_blocks, max_chunk_bytes,
//     job_creation_fee, max_work_per_exec_block, timeout_jail_threshold,
//     retention_blocks), and slash_fraction_timeout, now a fraction of the
//     job's collateral instead of the bond, takes its new default;
//   - each live job snapshots the protocol fee in force (the best record of
//     its terms there is) and a zero creation fee; a job under check is
//     listed in PendingChecks; a terminal job is filed for pruning;
//   - each provider's obligation counter is counted from its commitments on
//     jobs in auction and its live won jobs, and its value-weighted record
//     starts at zero.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	k := m.k
	params, err := k.Params.Get(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate compute 1→2: params")
	}
	params = withNewParams(params)
	if err := params.Validate(); err != nil {
		return errorsmod.Wrap(err, "migrate compute 1→2")
	}
	if err := k.Params.Set(ctx, params); err != nil {
		return err
	}
	obligations := map[string]uint64{}
	err = k.Jobs.Walk(ctx, nil, func(id uint64, j types.Job) (bool, error) {
		return false, k.migrateJob(ctx, params, j, obligations)
	})
	if err != nil {
		return errorsmod.Wrap(err, "migrate compute 1→2: jobs")
	}
	return k.Providers.Walk(ctx, nil, func(addr string, p types.Provider) (bool, error) {
		p.Obligations = obligations[addr]
		p.Stats.CompletedValue, p.Stats.FailedValue = valueOf(p.Stats.CompletedValue), valueOf(p.Stats.FailedValue)
		return false, k.Providers.Set(ctx, addr, p)
	})
}

// withNewParams gives the params version 2 added their defaults.
func withNewParams(p types.Params) types.Params {
	d := types.DefaultParams()
	p.MinExecBlocks = min(d.MinExecBlocks, p.MaxExecBlocks)
	p.MaxChunkBytes, p.MaxWorkPerExecBlock = d.MaxChunkBytes, d.MaxWorkPerExecBlock
	p.TimeoutJailThreshold, p.RetentionBlocks = d.TimeoutJailThreshold, d.RetentionBlocks
	p.JobCreationFee = sdk.NewCoin(p.MinProviderBond.Denom, d.JobCreationFee.Amount)
	p.SlashFractionTimeout = d.SlashFractionTimeout
	if len(p.AllowedDenoms) == 0 {
		// Version 3's param (Migrate2to3), so that the params validate under
		// this binary's rules when a version-1 store migrates through both.
		p.AllowedDenoms = []string{p.MinProviderBond.Denom}
	}
	return p
}

// migrateJob snapshots a job's terms, files it where version 2 keeps it, and
// counts the obligations it holds.
func (k Keeper) migrateJob(ctx context.Context, params types.Params, j types.Job, obligations map[string]uint64) error {
	if j.CreationFee.Amount.IsNil() {
		j.CreationFee = zeroCoin(params.MinProviderBond.Denom)
	}
	switch {
	case j.State.IsTerminal():
		if err := k.PruneQueue.Set(ctx, pair(pruneHeight(j, params), j.Id)); err != nil {
			return err
		}
	default:
		j.ProtocolFeeBps = params.ProtocolFeeBps
	}
	if j.State.UnderCheck() {
		if err := k.PendingChecks.Set(ctx, j.Id); err != nil {
			return err
		}
	}
	if j.State.HoldsWinnerCollateral() {
		obligations[j.Winner]++
	}
	if j.State.InAuction() {
		commits, err := k.jobCommits(ctx, j.Id)
		if err != nil {
			return err
		}
		for _, c := range commits {
			obligations[c.Provider]++
		}
	}
	return k.Jobs.Set(ctx, j.Id, j)
}

// Migrate2to3 brings a version-2 store to the per-denom payments of issue
// 19: allowed_denoms, which version 2 did not have, becomes the bond denom
// alone (the default: jobs stay priced in uaic until governance adds a
// denom). No job or commitment changes: their price collateral, unset, reads
// as none, which is right for jobs that could only be priced in the bond
// denom; no coin moves.
func (m Migrator) Migrate2to3(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate compute 2→3: params")
	}
	if len(params.AllowedDenoms) == 0 {
		params.AllowedDenoms = []string{params.MinProviderBond.Denom}
	}
	if err := params.Validate(); err != nil {
		return errorsmod.Wrap(err, "migrate compute 2→3")
	}
	return m.k.Params.Set(ctx, params)
}

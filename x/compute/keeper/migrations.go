package keeper

import (
	"context"
	"slices"

	"cosmossdk.io/collections"
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
//   - each job records its work (mul_adds) where its kind sizes it from the
//     spec alone (gemm: m·n·k); a kind that needs state to size it (mlp,
//     whose work the chain does not know) leaves 0, as at creation;
//   - each provider's obligation counter is counted from its commitments on
//     jobs in auction and its live won jobs, and its value-weighted record
//     starts at zero.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	k := m.k
	params, err := k.Params.Get(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate compute 1→2: params")
	}
	// withV3Params, withV4Params and withV5Params too: the params are validated by this
	// binary's rules, which know the later fields (the later migrations set
	// them again, the same).
	params = withV5Params(withV4Params(withV3Params(withNewParams(params))))
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
	return p
}

// Migrate2to3 brings a version-2 store to the verification rules of issue
// 15: the params unavailable_span_blocks and max_dispute_chunks take their
// defaults. Jobs need nothing: verification_extended starts false (a job
// under verification at the upgrade still gets its one extension) and no
// dispute named chunks before.
func (m Migrator) Migrate2to3(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate compute 2→3: params")
	}
	params = withV5Params(withV4Params(withV3Params(params))) // later versions' too, to validate under this binary's rules
	if err := params.Validate(); err != nil {
		return errorsmod.Wrap(err, "migrate compute 2→3")
	}
	return m.k.Params.Set(ctx, params)
}

// withV3Params gives the params version 3 added their defaults.
func withV3Params(p types.Params) types.Params {
	d := types.DefaultParams()
	p.UnavailableSpanBlocks, p.MaxDisputeChunks = d.UnavailableSpanBlocks, d.MaxDisputeChunks
	return p
}

// migrateJob snapshots a job's terms, files it where version 2 keeps it, and
// counts the obligations it holds.
func (k Keeper) migrateJob(ctx context.Context, params types.Params, j types.Job, obligations map[string]uint64) error {
	if j.CreationFee.Amount.IsNil() {
		j.CreationFee = zeroCoin(params.MinProviderBond.Denom)
	}
	if j.MulAdds == 0 {
		j.MulAdds = specWork(ctx, j)
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

// specWork is a job's work as its kind sizes it from the spec alone, with no
// module state: 0 when the kind is unknown or needs state (mlp, gpt).
func specWork(ctx context.Context, j types.Job) uint64 {
	kind, ok := types.LookupKind(j.Workload.Kind)
	if !ok {
		return 0
	}
	terms, err := kind.Resolve(ctx, types.KindState{}, j.Workload, j.Requester)
	if err != nil {
		return 0
	}
	return terms.Shape.MulAdds
}

// Migrate3to4 brings a version-3 store to the per-denom payments of issue
// 19: allowed_denoms, which version 3 did not have, becomes the bond denom
// alone (the default: jobs stay priced in uaic until governance adds a
// denom). No job or commitment changes: their price collateral, unset, reads
// as none, which is right for jobs that could only be priced in the bond
// denom; no coin moves.
func (m Migrator) Migrate3to4(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate compute 3→4: params")
	}
	params = withV5Params(withV4Params(params)) // version 5's too, to validate under this binary's rules
	if err := params.Validate(); err != nil {
		return errorsmod.Wrap(err, "migrate compute 3→4")
	}
	return m.k.Params.Set(ctx, params)
}

// withV4Params gives the params version 4 added their defaults:
// allowed_denoms is the bond denom alone when unset.
func withV4Params(p types.Params) types.Params {
	if len(p.AllowedDenoms) == 0 {
		p.AllowedDenoms = []string{p.MinProviderBond.Denom}
	}
	return p
}

// Migrate4to5 brings a version-4 store to buyer-chosen assurance (issue 15
// item 5) and the sampling beacon (item 1). verification_fee_per_sample
// takes its default amount in the bond denom; beacon_window_blocks its
// default. Jobs need nothing: a job created before bought no assurance
// (samples_bought 0, no verification fee, an empty counted_verdicts), which
// is how version 5 reads the unset fields, and no coin moves. No beacon key
// is registered (validators send MsgRegisterBeaconKey); until one is, draws
// keep the header hash, and jobs already waiting for a draw are keyed by
// their submission height, which the BeginBlocker still drains.
func (m Migrator) Migrate4to5(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate compute 4→5: params")
	}
	params = withV5Params(params)
	if err := params.Validate(); err != nil {
		return errorsmod.Wrap(err, "migrate compute 4→5")
	}
	return m.k.Params.Set(ctx, params)
}

// withV5Params gives the params version 5 added their defaults:
// verification_fee_per_sample, when unset, is the default amount in the
// bond denom; beacon_window_blocks, when 0 (version 4 had none), its default.
func withV5Params(p types.Params) types.Params {
	if p.VerificationFeePerSample.Denom == "" || p.VerificationFeePerSample.Amount.IsNil() {
		p.VerificationFeePerSample = sdk.NewCoin(p.MinProviderBond.Denom, types.DefaultParams().VerificationFeePerSample.Amount)
	}
	if p.BeaconWindowBlocks == 0 {
		p.BeaconWindowBlocks = types.DefaultBeaconWindowBlocks
	}
	return p
}

// Migrate5to6 removes the provider index's entries of jobs without a winner:
// version 5 kept one under "" for every job not awarded (a write at its
// creation, a delete at its award or close), and no query could ask for
// them. Version 6 keeps entries for awarded jobs only (modkit.SparseMulti).
// It reads only those entries (one per job not awarded, open or kept until
// pruning); no job or coin changes.
func (m Migrator) Migrate5to6(ctx sdk.Context) error {
	rng := collections.NewPrefixedPairRange[string, uint64]("")
	return errorsmod.Wrap(m.k.jobsByProvider.Clear(ctx, rng), "migrate compute 5→6: provider index")
}

// Migrate6to7 stores BeaconKeyCount, the number of validators with a beacon
// key, which version 7 reads (beaconActive) where version 6 opened an
// iterator on the keys at every submission. It reads every key once (one
// per validator that registered); no job or coin changes.
func (m Migrator) Migrate6to7(ctx sdk.Context) error {
	n, err := m.k.countBeaconKeys(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate compute 6→7: beacon keys")
	}
	return m.k.BeaconKeyCount.Set(ctx, n)
}

// Migrate7to8 gives verdict_grace_blocks, which version 7 did not have, its
// default (at most verification_blocks). Until then a chain decides a
// verification in the block that reaches its quorum, as version 7 did; a job
// under check at the upgrade has no quorum yet (it would have been decided),
// so its tally needs nothing. No coin moves.
func (m Migrator) Migrate7to8(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate compute 7→8: params")
	}
	params.VerdictGraceBlocks = min(types.DefaultVerdictGraceBlocks, params.VerificationBlocks)
	if err := params.Validate(); err != nil {
		return errorsmod.Wrap(err, "migrate compute 7→8")
	}
	return m.k.Params.Set(ctx, params)
}

// Migrate8to9 keeps each voter's verdict, which version 8 did not (it kept
// only who voted and summed powers as verdicts came). A job in its quorum's
// grace keeps its voters (their verdict unknown: the outcome and the payees
// are recorded already). Every other job under check starts its tally
// again: its voters, sums and counted verdicts are cleared, and the
// sidecars, which send a verdict for as long as its job is pending, have
// them recorded again. A job whose window would end before verification_blocks
// more blocks has its end moved there: the verdicts cast before the upgrade
// no longer count, and the sidecars must have the time to send them again
// (a job in its extended window's last block closed inconclusive, its
// honest provider unpaid: TestAttackUpgradeRestartsTheTallyOfAJobInItsLastBlock).
func (m Migrator) Migrate8to9(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate compute 8→9: params")
	}
	minEnd := ctx.BlockHeight() + int64(params.VerificationBlocks)
	var ids []uint64
	var grace []uint64
	err = m.k.Tallies.Walk(ctx, nil, func(id uint64, t types.VerificationTally) (bool, error) {
		if t.QuorumTotalPower > 0 {
			grace = append(grace, id)
		} else {
			ids = append(ids, id)
		}
		return false, nil
	})
	if err != nil {
		return errorsmod.Wrap(err, "migrate compute 8→9: tallies")
	}
	for _, id := range grace {
		keys, err := m.voterKeys(ctx, id)
		if err != nil {
			return err
		}
		for _, key := range keys {
			if err := m.k.Voters.Set(ctx, key, int32(types.Verdict_VERDICT_UNSPECIFIED)); err != nil {
				return errorsmod.Wrapf(err, "migrate compute 8→9: job %d voter", id)
			}
		}
	}
	for _, id := range ids {
		if err := m.k.restartTally(ctx, id); err != nil {
			return errorsmod.Wrapf(err, "migrate compute 8→9: job %d", id)
		}
		if err := m.k.verifyUntilAtLeast(ctx, id, minEnd); err != nil {
			return errorsmod.Wrapf(err, "migrate compute 8→9: job %d", id)
		}
	}
	return nil
}

// verifyUntilAtLeast moves the verification_end of job id, under check, to
// end if it comes before it.
func (k Keeper) verifyUntilAtLeast(ctx context.Context, id uint64, end int64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil {
		return ignoreNotFound(err)
	}
	if !job.State.UnderCheck() || job.VerificationEnd >= end {
		return nil
	}
	_, err = k.moveVerificationEnd(ctx, job, end)
	return err
}

// voterKeys lists a job's voter keys without decoding their values (version
// 8 stored none).
func (m Migrator) voterKeys(ctx sdk.Context, id uint64) ([]collections.Pair[uint64, []byte], error) {
	it, err := m.k.Voters.Iterate(ctx, collections.NewPrefixedPairRange[uint64, []byte](id))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	return it.Keys()
}

// restartTally clears a job's voters, tally sums and counted verdicts: the
// sidecars, which send a verdict for as long as its job is pending, have
// them recorded again within a block or two.
func (k Keeper) restartTally(ctx context.Context, id uint64) error {
	t, err := k.Tallies.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := k.Voters.Clear(ctx, collections.NewPrefixedPairRange[uint64, []byte](id)); err != nil {
		return err
	}
	if err := k.Counted.Clear(ctx, countedRange(id)); err != nil {
		return err
	}
	t.ValidPower, t.InvalidPower, t.UnavailablePower = 0, 0, 0
	t.InputsAvailablePower, t.InputsUnavailablePower, t.DatasetUnavailablePower = 0, 0, 0
	if err := k.Tallies.Set(ctx, id, t); err != nil {
		return err
	}
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || len(job.CountedVerdicts) == 0 {
		return ignoreNotFound(err)
	}
	job.CountedVerdicts = nil
	return k.saveJob(ctx, job.State, job)
}

// liveJobStates are the states of a job not yet final, in enum order: the
// jobs whose penalties, draw, dispute, check or fees are still to come.
var liveJobStates = []types.JobState{
	types.JobState_JOB_STATE_OPEN, types.JobState_JOB_STATE_REVEAL, types.JobState_JOB_STATE_ASSIGNED,
	types.JobState_JOB_STATE_SUBMITTED, types.JobState_JOB_STATE_VERIFYING, types.JobState_JOB_STATE_ABORTING,
}

// Migrate9to10 gives every job not yet final the terms version 10 records
// at creation (JobParamTerms): the params, and the dataset market's and
// model registry's fee cuts, in force at the upgrade, which are the ones
// version 9 would have read from now on; from then on a params change no
// longer reaches them. It walks only the live jobs, through the state
// index; a final job needs no terms (nothing of it is read again but its
// record) and is left as it is. No coin moves.
func (m Migrator) Migrate9to10(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate compute 9→10: params")
	}
	for _, st := range liveJobStates {
		ids, err := m.jobIDsIn(ctx, st)
		if err != nil {
			return errorsmod.Wrapf(err, "migrate compute 9→10: %s jobs", st)
		}
		for _, id := range ids {
			if err := m.fillTerms(ctx, params, id); err != nil {
				return errorsmod.Wrapf(err, "migrate compute 9→10: job %d", id)
			}
		}
	}
	return nil
}

// Migrate10to11 files the counted verdicts of each VERIFYING job (the only
// state that counts them) from its record into Counted (counted.go), in
// their order: a verdict no longer rewrites its job. It walks only the
// VERIFYING jobs, through the state index. No coin moves.
func (m Migrator) Migrate10to11(ctx sdk.Context) error {
	ids, err := m.jobIDsIn(ctx, types.JobState_JOB_STATE_VERIFYING)
	if err != nil {
		return errorsmod.Wrap(err, "migrate compute 10→11: verifying jobs")
	}
	for _, id := range ids {
		job, err := m.k.Jobs.Get(ctx, id)
		if err != nil {
			return errorsmod.Wrapf(err, "migrate compute 10→11: job %d", id)
		}
		if len(job.CountedVerdicts) == 0 {
			continue
		}
		if job, err = m.k.putCounted(ctx, job); err != nil {
			return errorsmod.Wrapf(err, "migrate compute 10→11: job %d", id)
		}
		if err := m.k.Jobs.Set(ctx, id, job); err != nil {
			return errorsmod.Wrapf(err, "migrate compute 10→11: job %d", id)
		}
	}
	return nil
}

// jobIDsIn lists the ids of the jobs in state st, from the state index
// (read whole before any job is written).
func (m Migrator) jobIDsIn(ctx sdk.Context, st types.JobState) ([]uint64, error) {
	it, err := m.k.jobsByState.Iterate(ctx, collections.NewPrefixedPairRange[int32, uint64](int32(st)))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	keys, err := it.Keys()
	if err != nil {
		return nil, err
	}
	ids := make([]uint64, len(keys))
	for i, key := range keys {
		ids[i] = key.K2()
	}
	return ids, nil
}

// fillTerms gives job id the terms in force (params and the fee cuts now),
// unless it has terms already; terms lacking a term added since they were
// written get that term in force (fillUnsetTerms).
func (m Migrator) fillTerms(ctx sdk.Context, params types.Params, id uint64) error {
	job, err := m.k.Jobs.Get(ctx, id)
	if err != nil {
		return err
	}
	bounded := boundUnknownWorkDispute(&job)
	if job.Terms != nil {
		filled := fillUnsetTerms(params, job.Terms)
		if filled == job.Terms && !bounded {
			return nil
		}
		job.Terms = filled
		return m.k.saveJob(ctx, job.State, job)
	}
	if job.Terms, err = m.k.termsNow(ctx, params, job); err != nil {
		return err
	}
	return m.k.saveJob(ctx, job.State, job)
}

// boundUnknownWorkDispute takes the chunks a dispute named out of a job of
// unknown work (mul_adds 0: an mlp-f32 job created before its model
// recorded layer widths), which version 10 no longer admits
// (Params.AdmitDispute): filed before the upgrade, they made a check no
// verification window could finish, and the job end inconclusive
// (TestAttackLegacyMLPDisputeFiledBeforeTheUpgrade; InitGenesis bounds an
// old export's job alike: TestAttackLegacyMLPDisputeSurvivesAnExportImport).
// The job is checked on the rest of its chunks (a named chunk that was also
// sampled goes too). It reports whether it changed the job; the indices are
// a new slice (a genesis state's job is not written through).
func boundUnknownWorkDispute(job *types.Job) bool {
	if job.MulAdds != 0 || len(job.Sample.Requested) == 0 {
		return false
	}
	named := job.Sample.Requested
	job.Sample.Indices = slices.DeleteFunc(slices.Clone(job.Sample.Indices), func(i uint64) bool { return slices.Contains(named, i) })
	job.Sample.Requested = nil
	return true
}

package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// InitGenesis loads the genesis state and rebuilds the height-keyed queues,
// the set of jobs under check and the state counters from the jobs and
// providers (a terminal state's counter keeps the pruned jobs the exported
// Stats counted).
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	stats := types.Stats{
		FeesPaid: gs.Stats.FeesPaid, ProtocolShare: gs.Stats.ProtocolShare, SlashedBurned: gs.Stats.SlashedBurned,
		VerificationFeesBurned: gs.Stats.VerificationFeesBurned,
		JobsPruned:             gs.Stats.JobsPruned,
	}
	if err := k.Stats.Set(ctx, stats); err != nil {
		return err
	}
	for _, p := range gs.Providers {
		if err := k.initProvider(ctx, p); err != nil {
			return err
		}
	}
	for _, j := range gs.Jobs {
		if err := k.initJob(ctx, gs.Params, j); err != nil {
			return err
		}
	}
	if err := k.addPrunedCounts(ctx, gs.Stats.JobsPerState); err != nil {
		return err
	}
	for _, c := range gs.BidCommits {
		if err := k.BidCommits.Set(ctx, collections.Join(c.JobId, c.Provider), c); err != nil {
			return err
		}
	}
	for _, b := range gs.Bids {
		if err := k.Bids.Set(ctx, collections.Join(b.JobId, b.Provider), b); err != nil {
			return err
		}
	}
	for _, t := range gs.Tallies {
		if err := k.initTally(ctx, t, gs.Params); err != nil {
			return err
		}
	}
	if err := k.initBeacon(ctx, gs); err != nil {
		return err
	}
	if gs.SetSize > 0 {
		if err := k.SetSize.Set(ctx, gs.SetSize); err != nil {
			return err
		}
	}
	for _, b := range gs.ModelBonds {
		owner, err := k.accAddress("model bond owner", b.Owner)
		if err != nil {
			return err
		}
		if err := k.ModelBonds.Set(ctx, owner, b); err != nil {
			return err
		}
	}
	if err := k.initVerifierEndpoints(ctx, gs.VerifierEndpoints); err != nil {
		return err
	}
	return k.JobSeq.Set(ctx, gs.NextJobId)
}

// initTally stores a job's tally and its voters' verdicts. An export from
// version 8 kept who voted but not their verdicts: its voters stood as
// UNSPECIFIED, counted at 0 by the next retally, while refusing the same
// validators' verdicts sent again (they had voted), so a job under check at
// the export could never reach the quorum it had: an honest provider went
// unpaid, a fraud unslashed (TestAttackVersion8ExportVoidsTheVotesCastBeforeIt,
// TestAttackVersion8ExportLetsAFraudsterOffTheSlash). Such a tally starts
// again, as Migrate8to9 starts it in place, its window ending no sooner
// than verification_blocks after the import (the sidecars need the time to
// send their verdicts again: TestAttackVersion8ExportRestartsTheTallyOfAJobInItsLastBlock);
// one already in its quorum's grace keeps its voters (its outcome and
// payees are recorded).
func (k Keeper) initTally(ctx context.Context, t types.TallyEntry, params types.Params) error {
	if err := k.Tallies.Set(ctx, t.JobId, t.Tally); err != nil {
		return err
	}
	if len(t.Voters) > 0 && len(t.VoterVerdicts) == 0 && t.Tally.QuorumTotalPower == 0 {
		if err := k.restartTally(ctx, t.JobId); err != nil {
			return err
		}
		minEnd := sdk.UnwrapSDKContext(ctx).BlockHeight() + int64(params.VerificationBlocks)
		return k.verifyUntilAtLeast(ctx, t.JobId, minEnd)
	}
	for i, v := range t.Voters {
		verdict := types.Verdict_VERDICT_UNSPECIFIED
		if len(t.VoterVerdicts) > 0 {
			verdict = t.VoterVerdicts[i]
		}
		if err := k.Voters.Set(ctx, collections.Join(t.JobId, v), int32(verdict)); err != nil {
			return err
		}
	}
	return nil
}

// initProvider stores a genesis provider (unset record fields as zero) and
// queues its bond return if it is unbonding.
func (k Keeper) initProvider(ctx context.Context, p types.Provider) error {
	if p.Stats.Earned == nil {
		p.Stats.Earned = sdk.NewCoins()
	}
	p.Stats.CompletedValue, p.Stats.FailedValue = valueOf(p.Stats.CompletedValue), valueOf(p.Stats.FailedValue)
	if err := k.saveProvider(ctx, nil, p); err != nil {
		return err
	}
	if p.Status != types.ProviderStatus_PROVIDER_STATUS_UNBONDING {
		return nil
	}
	return k.UnbondingQueue.Set(ctx, pairS(p.UnbondingEnd, p.Address))
}

// initJob stores a genesis job (a live one without terms given the genesis
// params, genesisTerms, and one with terms lacking a term added since given
// the genesis params' value of it, fillUnsetTerms; a live one of unknown work
// whose dispute named chunks checked on its other chunks only, as
// Migrate9to10 does in place: boundUnknownWorkDispute,
// TestAttackLegacyMLPDisputeSurvivesAnExportImport) and files it in the
// queue of its next deadline (its pruning, for a terminal job; and the
// release of its commitments, for a cancelled job whose release was under
// way).
func (k Keeper) initJob(ctx context.Context, params types.Params, j types.Job) error {
	if j.Terms == nil && !j.State.IsTerminal() {
		j.Terms = genesisTerms(params, j)
	} else if !j.State.IsTerminal() {
		j.Terms = fillUnsetTerms(params, j.Terms)
	}
	if !j.State.IsTerminal() {
		boundUnknownWorkDispute(&j)
	}
	j, err := k.putCounted(ctx, j) // a job under check's counted verdicts: entries of Counted
	if err != nil {
		return err
	}
	if err := k.saveJob(ctx, types.JobState_JOB_STATE_UNSPECIFIED, j); err != nil {
		return err
	}
	if j.Sweep.ReleasePending {
		// A cancelled job's release goes on (sweep.go); its end files the prune.
		return k.RevealEndQueue.Set(ctx, pair(j.Sweep.ResumeHeight, j.Id))
	}
	var q HeightQueue
	var h int64
	switch j.State {
	case types.JobState_JOB_STATE_OPEN:
		q, h = k.CommitEndQueue, j.CommitEnd
	case types.JobState_JOB_STATE_REVEAL:
		q, h = k.RevealEndQueue, revealKey(j)
	case types.JobState_JOB_STATE_ASSIGNED:
		q, h = k.ExecDeadlineQueue, j.ExecDeadline
	case types.JobState_JOB_STATE_SUBMITTED:
		if j.Sample.Decided && !pendingDispute(j) {
			q, h = k.ChallengeEndQueue, j.ChallengeEnd
		} else {
			q, h = k.SampleQueue, drawDue(j)
		}
	case types.JobState_JOB_STATE_VERIFYING, types.JobState_JOB_STATE_ABORTING:
		q, h = k.VerificationEndQueue, j.VerificationEnd
	default:
		if !j.State.IsTerminal() {
			return nil
		}
		q = k.PruneQueue
		h, _ = pruneKey(j, params)
	}
	return q.Set(ctx, pair(h, j.Id))
}

// addPrunedCounts adds to each terminal state's counter the jobs the
// exported counters held beyond the stored ones: the pruned jobs, which
// genesis Validate checked add up to jobs_pruned.
func (k Keeper) addPrunedCounts(ctx context.Context, exported []types.StateCount) error {
	s, err := k.getStats(ctx)
	if err != nil {
		return err
	}
	stored := make(map[types.JobState]uint64, len(s.JobsPerState))
	for _, sc := range s.JobsPerState {
		stored[sc.State] = sc.Count
	}
	for _, sc := range exported {
		if sc.State.IsTerminal() && sc.Count > stored[sc.State] {
			addStateCount(&s, sc.State, int64(sc.Count-stored[sc.State]))
		}
	}
	return k.Stats.Set(ctx, s)
}

// ExportGenesis writes the whole state out.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if gs.NextJobId, err = k.JobSeq.Peek(ctx); err != nil {
		return nil, err
	}
	if err := k.Providers.Walk(ctx, nil, func(_ string, p types.Provider) (bool, error) {
		gs.Providers = append(gs.Providers, p)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Jobs.Walk(ctx, nil, func(_ uint64, j types.Job) (bool, error) {
		j, err := k.withCounted(ctx, j) // a job under check's counted verdicts travel in its record
		gs.Jobs = append(gs.Jobs, j)
		return false, err
	}); err != nil {
		return nil, err
	}
	if err := k.BidCommits.Walk(ctx, nil, func(_ collections.Pair[uint64, string], c types.BidCommit) (bool, error) {
		gs.BidCommits = append(gs.BidCommits, c)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Bids.Walk(ctx, nil, func(_ collections.Pair[uint64, string], b types.Bid) (bool, error) {
		gs.Bids = append(gs.Bids, b)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Tallies.Walk(ctx, nil, func(id uint64, t types.VerificationTally) (bool, error) {
		entry := types.TallyEntry{JobId: id, Tally: t}
		err := k.Voters.Walk(ctx, collections.NewPrefixedPairRange[uint64, []byte](id), func(key collections.Pair[uint64, []byte], verdict int32) (bool, error) {
			entry.Voters = append(entry.Voters, key.K2())
			entry.VoterVerdicts = append(entry.VoterVerdicts, types.Verdict(verdict))
			return false, nil
		})
		gs.Tallies = append(gs.Tallies, entry)
		return false, err
	}); err != nil {
		return nil, err
	}
	stats, err := k.getStats(ctx)
	if err != nil {
		return nil, err
	}
	gs.Stats = stats
	if err := k.exportBeacon(ctx, gs); err != nil {
		return nil, err
	}
	if gs.SetSize, err = k.SetSize.Get(ctx); err != nil && !errors.Is(err, collections.ErrNotFound) {
		return nil, err
	}
	if err := k.ModelBonds.Walk(ctx, nil, func(_ sdk.AccAddress, b types.ModelBond) (bool, error) {
		gs.ModelBonds = append(gs.ModelBonds, b)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.exportVerifierEndpoints(ctx, gs); err != nil {
		return nil, err
	}
	return gs, nil
}

// CheckHoldings checks that the module account holds, in every denom, at
// least what the loaded state says it holds for others: the providers' and
// model owners' bonds, the live jobs' escrows and dispute deposits, and the
// price collateral of live commitments and won jobs (CheckInvariants'
// books). app.InitChainer runs it once every module's genesis is loaded (the
// balances are x/bank's), as x/staking checks its pools and x/staking-rewards
// its locks: a genesis listing a bond or an escrow the account does not hold
// would pay it out of other users' coins (TestAttackGenesisForgesUnbackedProviderBond).
func (k Keeper) CheckHoldings(ctx context.Context) error {
	b, have, err := k.holdings(ctx)
	if err != nil {
		return err
	}
	if !have.IsAllGTE(b.want) {
		return types.ErrInvalidGenesis.Wrapf("the %s module account holds %s, its bonds, live escrows and collateral are %s",
			types.ModuleName, have, b.want)
	}
	return nil
}

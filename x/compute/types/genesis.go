package types

import (
	"bytes"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

// DefaultGenesis returns the default genesis: default params, nothing else.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextJobId: 1}
}

// Validate checks the genesis state's consistency.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	providers, err := gs.validateProviders()
	if err != nil {
		return err
	}
	jobs, err := gs.validateJobs(providers)
	if err != nil {
		return err
	}
	if gs.NextJobId == 0 {
		return ErrInvalidGenesis.Wrap("next_job_id must be at least 1")
	}
	if gs.SetSize > MaxSetSize {
		// No commit has more validators; a larger count wrapped the
		// verdict charge (TestAttackGenesisSetSizeOverflowsTheVerdictCharge).
		return ErrInvalidGenesis.Wrapf("set_size %d above %d, the most validators a commit holds", gs.SetSize, MaxSetSize)
	}
	if err := gs.validateBids(jobs, providers); err != nil {
		return err
	}
	if err := gs.validateObligations(jobs); err != nil {
		return err
	}
	if err := gs.validatePruned(); err != nil {
		return err
	}
	if err := gs.validateBeacon(); err != nil {
		return err
	}
	if err := gs.validateModelBonds(); err != nil {
		return err
	}
	if err := validateVerifierEndpoints(gs.VerifierEndpoints); err != nil {
		return err
	}
	return gs.validateTallies(jobs)
}

// LegacyCappedLock reports whether p's lock, below holds (what its live
// jobs hold), can be one a fraud slash before slash_owed left capped at its
// bond: at most its bond, on a provider with a fraud slash on record (every
// such cap followed one: recordFraud) and no slash owed. A chain that ran
// that code keeps such a provider until its jobs end, each release of one
// clamping its lock further, below its holds and its bond alike
// (app/upgrades.go), and its export must import at every step, not only
// while the lock is the bond
// (TestAttackGenesisLegacyCappedLockAfterReleaseRefused). The code since
// slash_owed keeps every lock equal to its holds, so a lock below them on a
// provider never slashed is refused (TestAttackGenesisProviderLockBelowItsJobs).
func LegacyCappedLock(p Provider, holds sdk.Coins) bool {
	owed := p.SlashOwed.Amount
	return p.Stats.Slashed > 0 && (owed.IsNil() || owed.IsZero()) && p.Locked.Denom == p.Bond.Denom &&
		p.Locked.Amount.LTE(p.Bond.Amount) && p.Locked.Amount.LT(holds.AmountOf(p.Bond.Denom))
}

// validateObligations checks each provider's obligation counter and locked
// collateral against its commitments on jobs in auction and its won jobs
// that have not ended, as the keeper's invariants do: a provider imported
// with too low a count could unbond from under a job, and one imported with
// too little locked could commit (or have a slash collected from) the bond
// that backs a running job's penalty
// (TestAttackGenesisProviderLockBelowItsJobs).
func (gs GenesisState) validateObligations(jobs map[uint64]Job) error {
	want := map[string]uint64{}
	locked := map[string]sdk.Coins{}
	for _, j := range jobs {
		if j.State.HoldsWinnerCollateral() {
			if err := j.WinnerCollateral.Validate(); err != nil {
				return ErrInvalidGenesis.Wrapf("job %d: winner_collateral: %v", j.Id, err)
			}
			want[j.Winner]++
			locked[j.Winner] = locked[j.Winner].Add(j.WinnerCollateral)
		}
	}
	for _, c := range gs.BidCommits {
		if c.Holds(jobs[c.JobId]) {
			if err := c.Deposit.Validate(); err != nil {
				return ErrInvalidGenesis.Wrapf("job %d: commitment of %s: deposit: %v", c.JobId, c.Provider, err)
			}
			want[c.Provider]++
			locked[c.Provider] = locked[c.Provider].Add(c.Deposit)
		}
	}
	for _, p := range gs.Providers {
		if p.Obligations != want[p.Address] {
			return ErrInvalidGenesis.Wrapf("provider %s: obligations %d, its commitments in auction and live won jobs are %d",
				p.Address, p.Obligations, want[p.Address])
		}
		if held := sdk.NewCoins(p.Locked); !held.Equal(locked[p.Address]) && !LegacyCappedLock(p, locked[p.Address]) {
			return ErrInvalidGenesis.Wrapf("provider %s: locked %s, its commitments in auction and live won jobs hold %s",
				p.Address, p.Locked, locked[p.Address])
		}
	}
	return nil
}

// validatePruned checks that the terminal counters of stats exceed the
// stored terminal jobs by exactly jobs_pruned (the pruned jobs they still
// count), and that the stats' coin totals are valid coins.
func (gs GenesisState) validatePruned() error {
	stored := map[JobState]uint64{}
	for _, j := range gs.Jobs {
		stored[j.State]++
	}
	var pruned uint64
	for _, sc := range gs.Stats.JobsPerState {
		if sc.State.IsTerminal() && sc.Count > stored[sc.State] {
			pruned += sc.Count - stored[sc.State]
		}
	}
	if pruned != gs.Stats.JobsPruned {
		return ErrInvalidGenesis.Wrapf("stats count %d more terminal jobs than are stored, jobs_pruned is %d", pruned, gs.Stats.JobsPruned)
	}
	for _, f := range []struct {
		name  string
		coins sdk.Coins
	}{{"fees_paid", gs.Stats.FeesPaid}, {"protocol_share", gs.Stats.ProtocolShare},
		{"slashed_burned", gs.Stats.SlashedBurned}, {"verification_fees_burned", gs.Stats.VerificationFeesBurned}} {
		if err := f.coins.Validate(); err != nil {
			return ErrInvalidGenesis.Wrapf("stats %s: %v", f.name, err)
		}
	}
	return nil
}

// validateProviders checks each provider and returns the set of addresses.
func (gs GenesisState) validateProviders() (map[string]bool, error) {
	providers := make(map[string]bool, len(gs.Providers))
	for _, p := range gs.Providers {
		if err := common.CanonicalAddress("provider", p.Address, ErrInvalidAddress); err != nil {
			return nil, err
		}
		if providers[p.Address] {
			return nil, ErrInvalidGenesis.Wrapf("provider %s appears twice", p.Address)
		}
		providers[p.Address] = true
		if p.Status == ProviderStatus_PROVIDER_STATUS_UNSPECIFIED {
			return nil, ErrInvalidGenesis.Wrapf("provider %s has no status", p.Address)
		}
		if err := p.Bond.Validate(); err != nil {
			return nil, ErrInvalidGenesis.Wrapf("provider %s bond: %v", p.Address, err)
		}
		if err := p.Locked.Validate(); err != nil || p.Locked.Denom != p.Bond.Denom || p.Locked.Amount.GT(p.Bond.Amount) {
			return nil, ErrInvalidGenesis.Wrapf("provider %s: locked %s must be a part of bond %s", p.Address, p.Locked, p.Bond)
		}
		if err := validateSlashOwed(p); err != nil {
			return nil, err
		}
	}
	return providers, nil
}

// validateSlashOwed checks a provider's slash_owed: unset or zero, or a
// positive amount of its bond denom while none of its bond is free (it is
// collected from free bond as soon as there is any).
func validateSlashOwed(p Provider) error {
	o := p.SlashOwed
	if o.Amount.IsNil() || (o.Amount.IsZero() && (o.Denom == "" || o.Denom == p.Bond.Denom)) {
		return nil
	}
	if err := o.Validate(); err != nil || o.Denom != p.Bond.Denom || !p.Locked.Amount.Equal(p.Bond.Amount) {
		return ErrInvalidGenesis.Wrapf("provider %s: slash owed %s must be in bond denom %s, owed only while locked %s is the whole bond",
			p.Address, o, p.Bond, p.Locked)
	}
	return nil
}

// validateJobs checks each job against next_job_id and the providers, and
// returns the jobs by id.
func (gs GenesisState) validateJobs(providers map[string]bool) (map[uint64]Job, error) {
	jobs := make(map[uint64]Job, len(gs.Jobs))
	for _, j := range gs.Jobs {
		if j.Id == 0 || j.Id >= gs.NextJobId {
			return nil, ErrInvalidGenesis.Wrapf("job id %d must be in [1, next_job_id %d)", j.Id, gs.NextJobId)
		}
		if _, dup := jobs[j.Id]; dup {
			return nil, ErrInvalidGenesis.Wrapf("job %d appears twice", j.Id)
		}
		if j.State == JobState_JOB_STATE_UNSPECIFIED {
			return nil, ErrInvalidGenesis.Wrapf("job %d has no state", j.Id)
		}
		if err := common.CanonicalAddress("requester", j.Requester, ErrInvalidAddress); err != nil {
			return nil, err
		}
		if j.Winner != "" {
			if err := common.CanonicalAddress("winner", j.Winner, ErrInvalidAddress); err != nil {
				return nil, err
			}
		}
		if err := j.Escrow.Validate(); err != nil {
			return nil, ErrInvalidGenesis.Wrapf("job %d escrow: %v", j.Id, err)
		}
		if err := validAssurance(j); err != nil {
			return nil, ErrInvalidGenesis.Wrapf("job %d: %v", j.Id, err)
		}
		if err := validSampleSecret(j); err != nil {
			return nil, ErrInvalidGenesis.Wrapf("job %d: %v", j.Id, err)
		}
		if err := j.Terms.Validate(gs.Params); err != nil {
			return nil, ErrInvalidGenesis.Wrapf("job %d: %v", j.Id, err)
		}
		// A won job that has not ended holds its winner's collateral: the
		// winner cannot unbond before it ends, so it must be a provider.
		if j.State.HoldsWinnerCollateral() && !providers[j.Winner] {
			return nil, ErrInvalidGenesis.Wrapf("job %d is %s but its winner %q is not a provider", j.Id, j.State, j.Winner)
		}
		if err := validPriceCollateral(j, j.WinnerPriceCollateral); err != nil {
			return nil, ErrInvalidGenesis.Wrapf("job %d winner: %v", j.Id, err)
		}
		jobs[j.Id] = j
	}
	return jobs, nil
}

// validateBids checks that commitments and bids belong to known jobs, and
// that a commitment on a job in auction is a provider's.
func (gs GenesisState) validateBids(jobs map[uint64]Job, providers map[string]bool) error {
	// One entry a (job, provider) key: InitGenesis stores one, while
	// validateObligations would count the provider's lock for each
	// (TestAttackGenesisDuplicateCommitmentLocksProviderForever).
	commits, bids := map[string]bool{}, map[string]bool{}
	for _, c := range gs.BidCommits {
		if _, ok := jobs[c.JobId]; !ok {
			return ErrInvalidGenesis.Wrapf("commitment for unknown job %d", c.JobId)
		}
		if err := common.CanonicalAddress("commitment provider", c.Provider, ErrInvalidAddress); err != nil {
			return err
		}
		key := fmt.Sprintf("%d/%s", c.JobId, c.Provider)
		if commits[key] {
			return ErrInvalidGenesis.Wrapf("commitment of %s on job %d appears twice", c.Provider, c.JobId)
		}
		commits[key] = true
		// Commitments stay as the job's bid history. Only while it holds (its
		// job in auction, or a cancelled job's release pending, and the
		// commitment not closed) does a commitment lock collateral, so that a
		// provider cannot unbond; once closed, its provider may have unbonded
		// and been removed.
		if j := jobs[c.JobId]; c.Holds(j) && !providers[c.Provider] {
			return ErrInvalidGenesis.Wrapf("commitment from unknown provider %s on job %d in %s", c.Provider, c.JobId, j.State)
		}
		if err := validPriceCollateral(jobs[c.JobId], c.PriceCollateral); err != nil {
			return ErrInvalidGenesis.Wrapf("commitment of %s on job %d: %v", c.Provider, c.JobId, err)
		}
	}
	for _, b := range gs.Bids {
		if _, ok := jobs[b.JobId]; !ok {
			return ErrInvalidGenesis.Wrapf("bid for unknown job %d", b.JobId)
		}
		if err := common.CanonicalAddress("bid provider", b.Provider, ErrInvalidAddress); err != nil {
			return err
		}
		key := fmt.Sprintf("%d/%s", b.JobId, b.Provider)
		if bids[key] {
			return ErrInvalidGenesis.Wrapf("bid of %s on job %d appears twice", b.Provider, b.JobId)
		}
		bids[key] = true
	}
	return gs.validateSweeps(jobs)
}

// validateSweeps checks each job's commitment sweep (CommitmentSweep): a
// release pending only on a cancelled job, and a leader only on a job in
// REVEAL whose leading commitment is revealed and still holds.
func (gs GenesisState) validateSweeps(jobs map[uint64]Job) error {
	commits := make(map[string]BidCommit, len(gs.BidCommits))
	for _, c := range gs.BidCommits {
		commits[fmt.Sprintf("%d/%s", c.JobId, c.Provider)] = c
	}
	for _, j := range gs.Jobs {
		sw := j.Sweep
		if sw.ResumeHeight < 0 {
			return ErrInvalidGenesis.Wrapf("job %d: sweep resume_height %d", j.Id, sw.ResumeHeight)
		}
		if sw.ReleasePending && j.State != JobState_JOB_STATE_CANCELLED {
			return ErrInvalidGenesis.Wrapf("job %d is %s with a release pending", j.Id, j.State)
		}
		if sw.Leader == "" {
			continue
		}
		c, ok := commits[fmt.Sprintf("%d/%s", j.Id, sw.Leader)]
		if j.State != JobState_JOB_STATE_REVEAL || !ok || !c.Revealed || c.Closed {
			return ErrInvalidGenesis.Wrapf("job %d (%s): its auction's leader %s is not a revealed commitment that holds", j.Id, j.State, sw.Leader)
		}
	}
	return nil
}

// validPriceCollateral checks a commitment's or a winner's price collateral:
// unset (a bond-denom job, or a store from before the field), or a valid coin
// in its job's denom.
func validPriceCollateral(j Job, c sdk.Coin) error {
	if c.Amount.IsNil() || (c.Denom == "" && c.Amount.IsZero()) {
		return nil
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("price collateral: %w", err)
	}
	if c.Denom != j.MaxPrice.Denom {
		return fmt.Errorf("price collateral %s not in the job's denom %s", c, j.MaxPrice.Denom)
	}
	return nil
}

// validateTallies checks that tallies belong to jobs under check and list
// each voter once, with a verdict each (or none, as exported before they
// were kept).
func (gs GenesisState) validateTallies(jobs map[uint64]Job) error {
	// One tally a job: InitGenesis keeps the last, while the voters of
	// every entry stay recorded as having voted, their power lost to the
	// tally (TestGenesisRefusesATallyListedTwice).
	seen := make(map[uint64]bool, len(gs.Tallies))
	for _, t := range gs.Tallies {
		j, ok := jobs[t.JobId]
		if !ok || !j.State.UnderCheck() {
			return ErrInvalidGenesis.Wrapf("tally for job %d which is not VERIFYING or ABORTING", t.JobId)
		}
		if seen[t.JobId] {
			return ErrInvalidGenesis.Wrapf("tally for job %d appears twice", t.JobId)
		}
		seen[t.JobId] = true
		voters := make(map[string]bool, len(t.Voters))
		for _, v := range t.Voters {
			if voters[string(v)] {
				return ErrInvalidGenesis.Wrapf("job %d: voter %X twice", t.JobId, v)
			}
			voters[string(v)] = true
		}
		if err := validQuorum(t.Tally, j.State); err != nil {
			return ErrInvalidGenesis.Wrapf("job %d (%s): %v", t.JobId, j.State, err)
		}
		if n := len(t.VoterVerdicts); n != 0 && n != len(t.Voters) {
			return ErrInvalidGenesis.Wrapf("job %d: %d voter verdicts for %d voters", t.JobId, n, len(t.Voters))
		}
		for _, v := range t.VoterVerdicts {
			if _, known := Verdict_name[int32(v)]; !known {
				return ErrInvalidGenesis.Wrapf("job %d: voter verdict %d", t.JobId, v)
			}
		}
	}
	return nil
}

// ValidateAddress checks a bech32 account address field.
func ValidateAddress(field, addr string) error {
	if addr == "" {
		return ErrInvalidAddress.Wrapf("%s is empty", field)
	}
	if _, err := sdk.AccAddressFromBech32(addr); err != nil {
		return ErrInvalidAddress.Wrapf("%s %q: %v", field, addr, err)
	}
	return nil
}

// HoldsWinnerCollateral reports whether a job in this state has a winner
// whose collateral stays locked until the job ends: ASSIGNED, SUBMITTED,
// VERIFYING or ABORTING.
func (s JobState) HoldsWinnerCollateral() bool {
	switch s {
	case JobState_JOB_STATE_ASSIGNED, JobState_JOB_STATE_SUBMITTED, JobState_JOB_STATE_VERIFYING,
		JobState_JOB_STATE_ABORTING:
		return true
	}
	return false
}

// UnderCheck reports whether the validators' sidecars check a job in this
// state through vote extensions: its sampled chunks (VERIFYING) or its
// inputs (ABORTING).
func (s JobState) UnderCheck() bool {
	return s == JobState_JOB_STATE_VERIFYING || s == JobState_JOB_STATE_ABORTING
}

// InAuction reports whether a job in this state is in its auction (OPEN or
// REVEAL), where commitments lock collateral.
func (s JobState) InAuction() bool {
	return s == JobState_JOB_STATE_OPEN || s == JobState_JOB_STATE_REVEAL
}

// HoldsCommitments reports whether j's commitments not yet closed lock
// collateral: while it is in auction, and after a cancel until the sweep has
// released them all (CommitmentSweep.release_pending). Once its auction
// closed, or a cancel's release finished, every commitment is closed or
// became the won job's collateral.
func (j Job) HoldsCommitments() bool {
	return j.State.InAuction() || j.Sweep.ReleasePending
}

// Holds reports whether commitment c of job j locks collateral and counts
// among its provider's obligations.
func (c BidCommit) Holds(j Job) bool {
	return !c.Closed && j.HoldsCommitments()
}

// IsTerminal reports whether a job state is final: SETTLED, CANCELLED,
// EXPIRED or FAILED.
func (s JobState) IsTerminal() bool {
	switch s {
	case JobState_JOB_STATE_SETTLED, JobState_JOB_STATE_CANCELLED,
		JobState_JOB_STATE_EXPIRED, JobState_JOB_STATE_FAILED:
		return true
	}
	return false
}

// validQuorum checks a tally's recorded quorum: none (no power, no outcome),
// or, on a VERIFYING job, a positive power and an outcome that decides a
// verification (VALID, INVALID or UNAVAILABLE), or, on an ABORTING job, a
// positive power and INPUTS_UNAVAILABLE (the abort stands in its grace).
func validQuorum(t VerificationTally, state JobState) error {
	if t.QuorumTotalPower == 0 && t.QuorumOutcome == Verdict_VERDICT_UNSPECIFIED {
		if len(t.QuorumAbsent) > 0 || t.QuorumAbsentRecorded || len(t.QuorumPowers) > 0 {
			return fmt.Errorf("quorum_absent or quorum_powers without a quorum")
		}
		return nil
	}
	if err := validPowerList("quorum_powers", t.QuorumPowers, t.QuorumTotalPower); err != nil {
		return err
	}
	if len(t.QuorumAbsent) > 0 && !t.QuorumAbsentRecorded {
		return fmt.Errorf("quorum_absent not marked recorded")
	}
	if err := validPowerList("quorum_absent", t.QuorumAbsent, t.QuorumTotalPower); err != nil {
		return err
	}
	decides := t.QuorumOutcome == Verdict_VERDICT_VALID || t.QuorumOutcome == Verdict_VERDICT_INVALID ||
		t.QuorumOutcome == Verdict_VERDICT_UNAVAILABLE
	// An abort that stands in its grace (awaitAbortGrace) has no fee and so
	// no absent list.
	stands := t.QuorumOutcome == Verdict_VERDICT_INPUTS_UNAVAILABLE && state == JobState_JOB_STATE_ABORTING &&
		len(t.QuorumAbsent) == 0 && !t.QuorumAbsentRecorded
	if t.QuorumTotalPower <= 0 || !(decides && state == JobState_JOB_STATE_VERIFYING && len(t.QuorumPowers) == 0 || stands) {
		return fmt.Errorf("quorum_total_power %d, quorum_outcome %s, %d quorum_powers", t.QuorumTotalPower, t.QuorumOutcome, len(t.QuorumPowers))
	}
	return nil
}

// validPowerList checks a list of a quorum's validators (quorum_absent,
// quorum_powers): in strictly increasing address order, each with a
// positive power of at most the quorum's total.
func validPowerList(field string, list []ValidatorPower, total int64) error {
	for i, v := range list {
		if len(v.Validator) == 0 || v.Power <= 0 || v.Power > total {
			return fmt.Errorf("%s %d: validator %X with power %d of %d", field, i, v.Validator, v.Power, total)
		}
		if i > 0 && bytes.Compare(list[i-1].Validator, v.Validator) >= 0 {
			return fmt.Errorf("%s %d: validator %X out of order", field, i, v.Validator)
		}
	}
	return nil
}

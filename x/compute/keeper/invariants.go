package keeper

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// CheckInvariants checks the module's books (for tests and simulations; it
// walks all state):
//   - the module account holds exactly, in every denom, the providers' and
//     the model owners' bonds plus the escrows and dispute deposits of live (non-terminal) jobs plus
//     the price collateral (jobs priced in a denom other than the bond
//     denom) of commitments on jobs in auction and of live won jobs;
//   - each provider's locked collateral is exactly the sum of its
//     commitments on jobs still in auction plus its collateral on live won
//     jobs, and at most its bond (a fraud slash owes what those locks need:
//     slash_owed.go); its obligation counter is exactly the number of those
//     commitments and jobs; a slash is owed only while none of its bond is
//     free;
//   - the per-state job counters and the active-provider and GPU counters
//     match the state (a terminal state's counter also counts the pruned
//     jobs: their sum over terminal states is jobs_pruned);
//   - each model bond is valid and locks exactly its live jobs' model_bond;
//   - the set of jobs under check is exactly the VERIFYING and ABORTING jobs;
//   - no queue holds an entry due before its stored head;
//   - the beacon key count is the number of stored beacon keys.
func (k Keeper) CheckInvariants(ctx context.Context) error {
	if err := k.checkQueueHeads(ctx); err != nil {
		return err
	}
	b, have, err := k.holdings(ctx)
	if err != nil {
		return err
	}
	if !have.Equal(b.want) {
		return types.ErrInvariant.Wrapf("module account holds %s, bonds + live escrows + price collateral are %s (per denom)", have, b.want)
	}
	if err := b.checkLocks(); err != nil {
		return err
	}
	if err := types.CheckModelBonds(b.modelBonds, b.modelLocks); err != nil {
		return types.ErrInvariant.Wrapf("%v", err)
	}
	if err := k.checkPendingChecks(ctx, b); err != nil {
		return err
	}
	if err := k.checkBeaconKeyCount(ctx); err != nil {
		return err
	}
	return k.checkStats(ctx, b)
}

// countBeaconKeys counts the stored beacon keys.
func (k Keeper) countBeaconKeys(ctx context.Context) (uint64, error) {
	var n uint64
	err := k.BeaconKeys.Walk(ctx, nil, func([]byte, types.BeaconKey) (bool, error) {
		n++
		return false, nil
	})
	return n, err
}

// checkBeaconKeyCount compares BeaconKeyCount with the stored keys.
func (k Keeper) checkBeaconKeyCount(ctx context.Context) error {
	want, err := k.countBeaconKeys(ctx)
	if err != nil {
		return err
	}
	got, err := k.BeaconKeyCount.Get(ctx)
	if err != nil && !isNotFound(err) {
		return err
	}
	if got != want {
		return types.ErrInvariant.Wrapf("beacon key count is %d, %d keys are stored", got, want)
	}
	return nil
}

// books is what the state says the module holds and counts.
type books struct {
	want        sdk.Coins                 // bonds plus live escrows, dispute deposits and price collateral
	locked      map[string]sdk.Coins      // collateral each provider's commitments and won jobs hold
	obligations map[string]uint64         // how many commitments in auction and live won jobs each has
	underCheck  uint64                    // VERIFYING and ABORTING jobs
	providers   map[string]types.Provider // by address
	active      uint64
	gpus        uint64
	jobsByState map[types.JobState]uint64
	modelLocks  map[string]sdk.Coins // model_bond each bonder's live jobs lock
	modelBonds  []types.ModelBond    // the stored model bonds
}

// bookProviders counts the providers' bonds, and the active ones and their GPUs.
// holdings is the module account's books (what it holds for others) and
// its balance, for CheckInvariants (equal) and CheckHoldings (at least).
func (k Keeper) holdings(ctx context.Context) (books, sdk.Coins, error) {
	b, err := k.bookProviders(ctx)
	if err != nil {
		return b, nil, err
	}
	if err := k.bookJobs(ctx, &b); err != nil {
		return b, nil, err
	}
	return b, k.BankKeeper.GetAllBalances(ctx, k.AccountKeeper.GetModuleAddress(types.ModuleName)), nil
}

func (k Keeper) bookProviders(ctx context.Context) (books, error) {
	b := books{want: sdk.NewCoins(), locked: map[string]sdk.Coins{}, providers: map[string]types.Provider{},
		obligations: map[string]uint64{}, jobsByState: map[types.JobState]uint64{}}
	it, err := k.Providers.Iterate(ctx, nil)
	if err != nil {
		return b, err
	}
	provs, err := it.Values()
	if err != nil {
		return b, err
	}
	for _, p := range provs {
		b.want = b.want.Add(p.Bond)
		b.providers[p.Address] = p
		b.locked[p.Address] = sdk.NewCoins()
		if p.Status == types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
			b.active++
			b.gpus += uint64(p.Hardware.GpuCount)
		}
	}
	return b, nil
}

// bookJobs counts the jobs per state, the live jobs' escrows and the
// collateral their commitments and winners hold.
func (k Keeper) bookJobs(ctx context.Context, b *books) error {
	it, err := k.Jobs.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	jobs, err := it.Values()
	if err != nil {
		return err
	}
	if b.modelLocks, err = types.ModelBondLocks(jobs); err != nil {
		return err
	}
	if err := k.ModelBonds.Walk(ctx, nil, func(_ sdk.AccAddress, mb types.ModelBond) (bool, error) {
		b.want = b.want.Add(mb.Bonded...)
		b.modelBonds = append(b.modelBonds, mb)
		return false, nil
	}); err != nil {
		return err
	}
	for _, j := range jobs {
		b.jobsByState[j.State]++
		if !IsTerminal(j.State) {
			b.want = b.want.Add(j.Escrow...).Add(j.DisputeDeposit...)
		}
		if j.State.UnderCheck() {
			b.underCheck++
		}
		if holdsWinnerCollateral(j.State) {
			b.locked[j.Winner] = b.locked[j.Winner].Add(j.WinnerCollateral)
			b.obligations[j.Winner]++
			if err := b.holdPriceCollateral(j, j.WinnerPriceCollateral); err != nil {
				return err
			}
		}
		if j.HoldsCommitments() {
			commits, err := k.jobCommits(ctx, j.Id)
			if err != nil {
				return err
			}
			for _, c := range commits {
				if !c.Holds(j) {
					continue
				}
				b.locked[c.Provider] = b.locked[c.Provider].Add(c.Deposit)
				b.obligations[c.Provider]++
				if err := b.holdPriceCollateral(j, c.PriceCollateral); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// holdPriceCollateral counts a price collateral the module holds for job (a
// live commitment's or its winner's), which must be in the job's denom.
func (b *books) holdPriceCollateral(j types.Job, c sdk.Coin) error {
	pc := priceCollateral(c)
	if !pc.IsZero() && pc[0].Denom != j.MaxPrice.Denom {
		return types.ErrInvariant.Wrapf("job %d priced in %s holds price collateral %s", j.Id, j.MaxPrice.Denom, pc)
	}
	b.want = b.want.Add(pc...)
	return nil
}

// checkLocks compares each provider's lock with what its commitments and won
// jobs hold (exactly: slash_owed.go; a lock a fraud slash before slash_owed
// capped at the bond, types.LegacyCappedLock, is below them until its jobs
// end, as genesis accepts it), with its bond, which it never exceeds,
// and its obligation count with the state; and checks that a slash is owed
// only while no bond is free (saveProvider collects it from free bond).
func (b books) checkLocks() error {
	for addr, l := range b.locked {
		if _, ok := b.providers[addr]; !ok {
			return types.ErrInvariant.Wrapf("collateral %s locked for unknown provider %s", l, addr)
		}
	}
	for addr, p := range b.providers {
		if held := sdk.NewCoins(p.Locked); !held.Equal(b.locked[addr]) && !types.LegacyCappedLock(p, b.locked[addr]) {
			return types.ErrInvariant.Wrapf("provider %s: locked %s, commitments and won jobs hold %s", addr, p.Locked, b.locked[addr])
		}
		if err := checkLock(p); err != nil {
			return err
		}
		if err := checkOwed(p); err != nil {
			return err
		}
		if p.Obligations != b.obligations[addr] {
			return types.ErrInvariant.Wrapf("provider %s: %d obligations counted, state has %d", addr, p.Obligations, b.obligations[addr])
		}
	}
	for addr, n := range b.obligations {
		if _, ok := b.providers[addr]; !ok && n > 0 {
			return types.ErrInvariant.Wrapf("%d obligations of unknown provider %s", n, addr)
		}
	}
	return nil
}

// checkOwed checks p's slash_owed: none, or a positive amount of its bond
// denom while none of its bond is free.
func checkOwed(p types.Provider) error {
	owed := slashOwed(p)
	if owed.Amount.IsNegative() || (owed.IsPositive() && owed.Denom != p.Bond.Denom) {
		return types.ErrInvariant.Wrapf("provider %s: slash owed %s, bond %s", p.Address, owed, p.Bond)
	}
	if owedDue(p).IsPositive() {
		return types.ErrInvariant.Wrapf("provider %s owes %s of a fraud slash with bond %s free", p.Address, owed, p.Bond.Sub(p.Locked))
	}
	return nil
}

// checkPendingChecks compares the set of jobs under check with the state.
func (k Keeper) checkPendingChecks(ctx context.Context, b books) error {
	var n uint64
	err := k.PendingChecks.Walk(ctx, nil, func(id uint64) (bool, error) {
		j, err := k.Jobs.Get(ctx, id)
		if err != nil {
			return true, types.ErrInvariant.Wrapf("pending check of job %d: %v", id, err)
		}
		if !j.State.UnderCheck() {
			return true, types.ErrInvariant.Wrapf("job %d is %s but listed as under check", id, j.State)
		}
		n++
		return false, nil
	})
	if err != nil {
		return err
	}
	if n != b.underCheck {
		return types.ErrInvariant.Wrapf("%d jobs listed as under check, state has %d", n, b.underCheck)
	}
	return nil
}

// checkStats compares the Stats counters with the state.
func (k Keeper) checkStats(ctx context.Context, b books) error {
	stats, err := k.getStats(ctx)
	if err != nil {
		return err
	}
	if stats.ActiveProviders != b.active || stats.GpusOnline != b.gpus {
		return types.ErrInvariant.Wrapf("stats: %d active providers / %d GPUs, state has %d / %d",
			stats.ActiveProviders, stats.GpusOnline, b.active, b.gpus)
	}
	counts := make(map[types.JobState]uint64, len(b.jobsByState))
	for st, n := range b.jobsByState {
		counts[st] = n
	}
	var pruned uint64
	for _, sc := range stats.JobsPerState {
		switch {
		case sc.State.IsTerminal() && sc.Count >= counts[sc.State]:
			pruned += sc.Count - counts[sc.State]
		case counts[sc.State] != sc.Count:
			return types.ErrInvariant.Wrapf("stats: %d %s jobs, state has %d", sc.Count, sc.State, counts[sc.State])
		}
		delete(counts, sc.State)
	}
	if pruned != stats.JobsPruned {
		return types.ErrInvariant.Wrapf("stats: terminal counters exceed the stored jobs by %d, jobs_pruned is %d", pruned, stats.JobsPruned)
	}
	for st, n := range counts {
		if n != 0 {
			return types.ErrInvariant.Wrap(fmt.Sprintf("stats: no counter for %d %s jobs", n, st))
		}
	}
	return nil
}

// checkQueueHeads checks each queue's head (modkit.Queue.CheckHead): an entry
// due before it would wait until something earlier fell due.
func (k Keeper) checkQueueHeads(ctx context.Context) error {
	for _, check := range []func(context.Context) error{
		k.CommitEndQueue.CheckHead, k.RevealEndQueue.CheckHead, k.ExecDeadlineQueue.CheckHead,
		k.ChallengeEndQueue.CheckHead, k.VerificationEndQueue.CheckHead, k.SampleQueue.CheckHead,
		k.PruneQueue.CheckHead, k.UnbondingQueue.CheckHead,
	} {
		if err := check(ctx); err != nil {
			return types.ErrInvariant.Wrap(err.Error())
		}
	}
	return nil
}

package keeper

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// CheckInvariants checks the module's books (for tests and simulations; it
// walks all state):
//   - the module account holds exactly the providers' bonds plus the escrows
//     and dispute deposits of live (non-terminal) jobs;
//   - each provider's locked collateral is the sum of its commitments on jobs
//     still in auction plus its collateral on live won jobs (at most that sum
//     once it was slashed, as a slash caps the lock at the remaining bond),
//     and at most its bond;
//   - the per-state job counters and the active-provider and GPU counters match the state.
func (k Keeper) CheckInvariants(ctx context.Context) error {
	b, err := k.bookProviders(ctx)
	if err != nil {
		return err
	}
	if err := k.bookJobs(ctx, &b); err != nil {
		return err
	}
	have := k.BankKeeper.GetAllBalances(ctx, k.AccountKeeper.GetModuleAddress(types.ModuleName))
	if !have.Equal(b.want) {
		return types.ErrInvariant.Wrapf("module account holds %s, bonds + live escrows are %s", have, b.want)
	}
	if err := b.checkLocks(); err != nil {
		return err
	}
	return k.checkStats(ctx, b)
}

// books is what the state says the module holds and counts.
type books struct {
	want        sdk.Coins                 // bonds plus live escrows and dispute deposits
	locked      map[string]sdk.Coins      // collateral each provider's commitments and won jobs hold
	providers   map[string]types.Provider // by address
	active      uint64
	gpus        uint64
	jobsByState map[types.JobState]uint64
}

// bookProviders counts the providers' bonds, and the active ones and their GPUs.
func (k Keeper) bookProviders(ctx context.Context) (books, error) {
	b := books{want: sdk.NewCoins(), locked: map[string]sdk.Coins{}, providers: map[string]types.Provider{},
		jobsByState: map[types.JobState]uint64{}}
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
	for _, j := range jobs {
		b.jobsByState[j.State]++
		if !IsTerminal(j.State) {
			b.want = b.want.Add(j.Escrow...).Add(j.DisputeDeposit...)
		}
		if holdsWinnerCollateral(j.State) {
			b.locked[j.Winner] = b.locked[j.Winner].Add(j.WinnerCollateral)
		}
		if j.State == types.JobState_JOB_STATE_OPEN || j.State == types.JobState_JOB_STATE_REVEAL {
			commits, err := k.jobCommits(ctx, j.Id)
			if err != nil {
				return err
			}
			for _, c := range commits {
				b.locked[c.Provider] = b.locked[c.Provider].Add(c.Deposit)
			}
		}
	}
	return nil
}

// checkLocks compares each provider's lock with what its commitments and won
// jobs hold, and with its bond.
func (b books) checkLocks() error {
	for addr, l := range b.locked {
		p, ok := b.providers[addr]
		if !ok {
			return types.ErrInvariant.Wrapf("collateral %s locked for unknown provider %s", l, addr)
		}
		// Exact for providers never slashed; after a slash the lock may have
		// been capped at the shrunken bond, so it is at most the sum.
		held := sdk.NewCoins(p.Locked)
		if (p.Stats.Slashed == 0 && !held.Equal(l)) || (p.Stats.Slashed > 0 && !l.IsAllGTE(held)) {
			return types.ErrInvariant.Wrapf("provider %s: locked %s, commitments and won jobs hold %s", addr, p.Locked, l)
		}
		if p.Bond.IsLT(p.Locked) {
			return types.ErrInvariant.Wrapf("provider %s: locked %s exceeds bond %s", addr, p.Locked, p.Bond)
		}
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
	for _, sc := range stats.JobsPerState {
		if counts[sc.State] != sc.Count {
			return types.ErrInvariant.Wrapf("stats: %d %s jobs, state has %d", sc.Count, sc.State, counts[sc.State])
		}
		delete(counts, sc.State)
	}
	for st, n := range counts {
		if n != 0 {
			return types.ErrInvariant.Wrap(fmt.Sprintf("stats: no counter for %d %s jobs", n, st))
		}
	}
	return nil
}

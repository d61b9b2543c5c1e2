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
	want := sdk.NewCoins()
	locked := map[string]sdk.Coins{}
	bonds := map[string]types.Provider{}
	var active, gpus uint64
	pit, err := k.Providers.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	provs, err := pit.Values()
	if err != nil {
		return err
	}
	for _, p := range provs {
		want = want.Add(p.Bond)
		bonds[p.Address] = p
		locked[p.Address] = sdk.NewCoins()
		if p.Status == types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
			active++
			gpus += uint64(p.Hardware.GpuCount)
		}
	}
	counts := map[types.JobState]uint64{}
	jit, err := k.Jobs.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	jobs, err := jit.Values()
	if err != nil {
		return err
	}
	for _, j := range jobs {
		counts[j.State]++
		if !IsTerminal(j.State) {
			want = want.Add(j.Escrow...).Add(j.DisputeDeposit...)
		}
		if holdsWinnerCollateral(j.State) {
			locked[j.Winner] = locked[j.Winner].Add(j.WinnerCollateral)
		}
		if j.State == types.JobState_JOB_STATE_OPEN || j.State == types.JobState_JOB_STATE_REVEAL {
			commits, err := k.jobCommits(ctx, j.Id)
			if err != nil {
				return err
			}
			for _, c := range commits {
				locked[c.Provider] = locked[c.Provider].Add(c.Deposit)
			}
		}
	}
	have := k.BankKeeper.GetAllBalances(ctx, k.AccountKeeper.GetModuleAddress(types.ModuleName))
	if !have.Equal(want) {
		return types.ErrInvariant.Wrapf("module account holds %s, bonds + live escrows are %s", have, want)
	}
	for addr, l := range locked {
		p, ok := bonds[addr]
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
	stats, err := k.getStats(ctx)
	if err != nil {
		return err
	}
	if stats.ActiveProviders != active || stats.GpusOnline != gpus {
		return types.ErrInvariant.Wrapf("stats: %d active providers / %d GPUs, state has %d / %d",
			stats.ActiveProviders, stats.GpusOnline, active, gpus)
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

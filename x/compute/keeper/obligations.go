package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// A provider's obligations are its commitments on jobs in auction plus its
// won jobs that have not ended, counted exactly in Provider.obligations: a
// commitment adds one (CommitBid); releasing or forfeiting it drops one; a
// winning commitment becomes the won job's obligation and drops when the job
// ends (settlement, slash, timeout, abort). UnbondProvider reads the counter
// instead of walking jobs, so its cost does not grow with the jobs on chain;
// CheckInvariants recounts it from the state.

// dropObligation takes one obligation off p (never below zero: the
// invariant check reports a count that drifted).
func dropObligation(p *types.Provider) {
	if p.Obligations > 0 {
		p.Obligations--
	}
}

// releaseCommitment ends a commitment that did not win (a cancelled job, a
// loser, a revealed bid of a provider no longer active): its collateral is
// unlocked (a price collateral returned) and its obligation dropped.
func (k Keeper) releaseCommitment(ctx context.Context, c types.BidCommit) error {
	p, err := k.GetProvider(ctx, c.Provider)
	if err != nil {
		return err
	}
	old := p
	p.Locked = subClamp(p.Locked, c.Deposit)
	dropObligation(&p)
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return err
	}
	return k.returnPriceCollateral(ctx, c.JobId, c.Provider, c.PriceCollateral)
}

// returnPriceCollateral sends a released price collateral (a commitment's,
// or a won job's after any penalty) from the module back to provider's
// account; one that cannot be paid goes to the reward pool (payOrRedirect).
// A zero or unset collateral (a bond-denom job) moves nothing.
func (k Keeper) returnPriceCollateral(ctx context.Context, jobID uint64, provider string, amt sdk.Coin) error {
	coins := priceCollateral(amt)
	return k.payOrRedirect(ctx, jobID, "price_collateral", coins, func(ctx context.Context) error {
		addr, err := k.accAddress("provider", provider)
		if err != nil {
			return err
		}
		return k.BankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, addr, coins)
	})
}

// priceCollateral is a stored price collateral as coins: none when unset (a
// bond-denom job, or one stored before the field existed) or zero.
func priceCollateral(c sdk.Coin) sdk.Coins {
	if c.Amount.IsNil() || !c.Amount.IsPositive() {
		return sdk.NewCoins()
	}
	return sdk.NewCoins(c)
}

// releaseWinner ends a won job's obligation on p (in memory): its
// collateral is unlocked and the count dropped. The caller saves p.
func releaseWinner(p *types.Provider, job types.Job) {
	p.Locked = subClamp(p.Locked, job.WinnerCollateral)
	dropObligation(p)
}

// subClamp returns a − b, or zero when b exceeds a. A provider's lock is the
// exact sum of what its commitments and won jobs hold (slash_owed.go), so
// the clamp never bites on a sound state; it keeps a release from failing
// and stranding a job where a state was not (CheckInvariants reports it).
func subClamp(a, b sdk.Coin) sdk.Coin {
	if a.Denom != b.Denom || a.IsLT(b) {
		return zeroCoin(a.Denom)
	}
	return a.Sub(b)
}

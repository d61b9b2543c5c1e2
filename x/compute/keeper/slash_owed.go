package keeper

import (
	"context"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// A provider's lock is the exact sum of what its live commitments and won
// jobs hold, and never exceeds its bond: every live job's penalty is backed
// by bond nothing else can take. A fraud slash (max(slash_fraction_fraud ×
// bond, the job's collateral)) can be larger than the bond its other live
// jobs leave free, so it takes at once only that free part (splitFraudSlash)
// and the rest is owed (Provider.slash_owed): collectSlashOwed takes it from
// the bond, burned, as soon as bond is free again (another lock released,
// bond added), before the provider can lock it for a new bid or unbond it.
// Capping the lock at the shrunken bond instead let bond added later look
// free while the live jobs still needed it, and left their penalties
// unbacked (TestAttackRequesterUndercompensatedAfterWinnerSlashedElsewhere,
// TestAttackProviderSlashCapFreesCollateralForUnbackedBids).

// slashOwed is p's owed slash as a coin of its bond denom (zero when unset
// or zero, whatever its stored denom: a provider stored before the field
// existed owes nothing).
func slashOwed(p types.Provider) sdk.Coin {
	if p.SlashOwed.Amount.IsNil() || p.SlashOwed.Amount.IsZero() {
		return zeroCoin(p.Bond.Denom)
	}
	return p.SlashOwed
}

// splitFraudSlash splits a fraud slash amt of job's winner p into what its
// bond pays now (what the locks of its other live jobs leave free) and what
// it owes.
func splitFraudSlash(p types.Provider, job types.Job, amt math.Int) (now, owed math.Int) {
	others := subClamp(p.Locked, job.WinnerCollateral).Amount
	free := math.MaxInt(p.Bond.Amount.Sub(others), math.ZeroInt())
	now = math.MinInt(amt, free)
	return now, amt.Sub(now)
}

// owedDue is what p's free bond (bond − locked) pays now of the slash it
// owes.
func owedDue(p types.Provider) math.Int {
	owed := slashOwed(p)
	if !owed.IsPositive() || owed.Denom != p.Bond.Denom {
		return math.ZeroInt()
	}
	return math.MaxInt(math.MinInt(owed.Amount, p.Bond.Amount.Sub(p.Locked.Amount)), math.ZeroInt())
}

// collectSlashOwed takes from p's free bond (bond − locked) what it owes of
// a fraud slash, and burns it. saveProvider calls it, so that every release
// of a lock and every bond added pays the debt first. The caller saves p.
func (k Keeper) collectSlashOwed(ctx context.Context, p *types.Provider) error {
	take := owedDue(*p)
	if !take.IsPositive() {
		return nil
	}
	owed := slashOwed(*p)
	burn := sdk.NewCoins(sdk.NewCoin(owed.Denom, take))
	if err := k.BankKeeper.BurnCoins(ctx, types.ModuleName, burn); err != nil {
		return err
	}
	p.Bond, p.SlashOwed = p.Bond.SubAmount(take), owed.SubAmount(take)
	if err := k.addStatsCoins(ctx, nil, nil, burn); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventProviderSlashed{
		Provider: p.Address, Amount: burn.String(), ToRequester: sdk.NewCoins().String(), Burned: burn.String(),
		Reason: types.CloseReason_CLOSE_REASON_FRAUD, ToRewardPool: sdk.NewCoins().String(),
	})
}

// checkLock reports a lock above the bond, which the rule above makes
// impossible: the caller stops rather than leave a live job's penalty
// unbacked.
func checkLock(p types.Provider) error {
	if p.Locked.Denom != p.Bond.Denom || p.Locked.Amount.GT(p.Bond.Amount) {
		return types.ErrInvariant.Wrapf("provider %s: locked %s exceeds bond %s", p.Address, p.Locked, p.Bond)
	}
	return nil
}

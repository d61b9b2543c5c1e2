package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// tallyReadGas is the gas of one of the tally's point reads of a voter's
// delegation to a bonded validator (bondedDelegations): the SDK's KV read
// cost, 1,000 flat and 3 a byte, over the ~200 bytes of a delegation's key
// and value.
const tallyReadGas = 1_600

// GovHooks are x/gov's hooks of this module: a vote pays, when it is cast,
// for the reads its tally will make in the EndBlocker.
type GovHooks struct{ k Keeper }

var _ govtypes.GovHooks = GovHooks{}

// GovHooks returns the module's x/gov hooks.
func (k Keeper) GovHooks() GovHooks { return GovHooks{k: k} }

// AfterProposalVote charges the vote's transaction for its tally
// (chargeTallyReads).
func (h GovHooks) AfterProposalVote(ctx context.Context, _ uint64, voter sdk.AccAddress) error {
	return h.k.chargeTallyReads(ctx, voter)
}

func (GovHooks) AfterProposalSubmission(context.Context, uint64) error { return nil }

func (GovHooks) AfterProposalDeposit(context.Context, uint64, sdk.AccAddress) error { return nil }

func (GovHooks) AfterProposalFailedMinDeposit(context.Context, uint64) error { return nil }

func (GovHooks) AfterProposalVotingPeriodEnded(context.Context, uint64) error { return nil }

// chargeTallyReads charges the transaction casting voter's vote for the
// reads its tally will make (tallyVote, in the EndBlocker, which no gas
// limit bounds): it walks the voter's delegations as the tally will, up to
// one past max_validators (the most the tally walks), on the transaction's
// meter; past that the tally reads the voter's delegation to each bonded
// validator instead, charged here as max_validators reads. A vote's gas did
// not depend on the voter's delegations, so an account delegating 1 uaic
// to each of 101 validators anyone creates for 1 uaic made every tally it
// voted in read 27 × the vote's gas (TestAttackSpamDelegationsMakeTallyReadEveryBondedValidator).
// Delegations added after the vote are not charged: they cost their own
// transactions far more, and the next vote pays for them.
func (k Keeper) chargeTallyReads(ctx context.Context, voter sdk.AccAddress) error {
	most, err := k.StakingKeeper.MaxValidators(ctx)
	if err != nil {
		return err
	}
	n, over := 0, false
	err = k.StakingKeeper.IterateDelegations(ctx, voter, func(int64, stakingtypes.DelegationI) bool {
		if n == int(most) {
			over = true
			return true
		}
		n++
		return false
	})
	if err != nil {
		return err
	}
	if over {
		sdk.UnwrapSDKContext(ctx).GasMeter().ConsumeGas(uint64(most)*tallyReadGas,
			"staking-rewards: the tally's reads of the voter's delegations to the bonded validators")
	}
	return nil
}

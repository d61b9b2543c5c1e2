package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// Model availability bonds (ModelBond). A job's model is an input whose
// owner the job depends on: when its weights are not served after the
// award, the winner's abort stands (abort.go) and the dataset's owner,
// which served its rows, is paid its fee out of the requester's escrow. The
// chain cannot tell who took the weights down, but the model's owner is the
// one who vouches for them: a job that another account creates on the
// model, with a paid dataset, locks its dataset fee of the owner's bond
// for its life, and that lock goes to the requester when the abort stands
// with the model (not the dataset) found unavailable. So a model owner that
// runs the winner (or colludes with it, or owns the dataset) and makes its
// weights vanish to walk away from a job pays the fee it would take out of
// an honest requester's escrow
// (TestAttackModelOwnerWinnerWalksAwayOnHonestRequestersDime). A requester
// using its own model locks nothing: it pays the fee for the rows its
// provider read, as before. Every lock is held by a live job, so free bond
// is withdrawn at once.

// modelBond returns owner's bond (an empty one, owner set, when it has none).
func (k Keeper) modelBond(ctx context.Context, owner sdk.AccAddress) (types.ModelBond, error) {
	b, err := k.ModelBonds.Get(ctx, owner)
	if errors.Is(err, collections.ErrNotFound) {
		addr, err := k.addrString(owner)
		return types.ModelBond{Owner: addr, Bonded: sdk.NewCoins(), Locked: sdk.NewCoins()}, err
	}
	return b, err
}

// setModelBond stores b, or removes it once nothing is bonded.
func (k Keeper) setModelBond(ctx context.Context, owner sdk.AccAddress, b types.ModelBond) error {
	if b.Bonded.IsZero() {
		return k.ModelBonds.Remove(ctx, owner)
	}
	return k.ModelBonds.Set(ctx, owner, b)
}

// PostModelBond adds amount (in allowed_denoms) to owner's bond.
func (k Keeper) PostModelBond(ctx context.Context, owner sdk.AccAddress, amount sdk.Coins) (types.ModelBond, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.ModelBond{}, err
	}
	if err := params.CheckAllowed("model bond", amount); err != nil {
		return types.ModelBond{}, err
	}
	b, err := k.modelBond(ctx, owner)
	if err != nil {
		return types.ModelBond{}, err
	}
	if err := modkit.SendMany(ctx, k.BankKeeper, b.Owner, []modkit.Output{{Address: k.escrowAddr, Coins: amount}}); err != nil {
		return types.ModelBond{}, err
	}
	b.Bonded = b.Bonded.Add(amount...)
	if err := k.setModelBond(ctx, owner, b); err != nil {
		return types.ModelBond{}, err
	}
	return b, k.emitModelBond(ctx, b, amount, nil)
}

// WithdrawModelBond returns amount of owner's free bond (bonded − locked)
// to it: ErrModelBondLocked when amount is more than that, in any denom.
func (k Keeper) WithdrawModelBond(ctx context.Context, owner sdk.AccAddress, amount sdk.Coins) (types.ModelBond, error) {
	b, err := k.modelBond(ctx, owner)
	if err != nil {
		return types.ModelBond{}, err
	}
	if free := b.Free(); !amount.IsAllLTE(free) {
		return types.ModelBond{}, types.ErrModelBondLocked.Wrapf("withdraw %s: %s bonded, %s locked by live jobs, %q free", amount, b.Bonded, b.Locked, free)
	}
	b.Bonded = b.Bonded.Sub(amount...)
	if err := k.setModelBond(ctx, owner, b); err != nil {
		return types.ModelBond{}, err
	}
	if err := k.BankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, owner, amount); err != nil {
		return types.ModelBond{}, err
	}
	return b, k.emitModelBond(ctx, b, nil, amount)
}

func (k Keeper) emitModelBond(ctx context.Context, b types.ModelBond, posted, withdrawn sdk.Coins) error {
	return modkit.EmitTypedEvent(ctx, &types.EventModelBondChanged{
		Owner: b.Owner, Posted: posted.String(), Withdrawn: withdrawn.String(),
		Bonded: b.Bonded.String(), Locked: b.Locked.String(),
	})
}

// lockModelBond locks a new job's dataset fee of its model owner's bond
// (job.model_bond, job.model_bonder), or refuses the job
// (ErrModelBondUncovered) when the free bond cannot cover it. A job without
// a model or a dataset fee, or whose requester owns the model, locks none.
//
// The bond vouches for the uri the job keeps (job.model_uri, newJob), which
// stays the job's when the model changes hands: its provider and verifiers
// fall back to it when the model's uri fails, so a buyer who points the
// model at nothing cannot collect the seller's bond
// (TestAttackBuyerTakesDownBoughtWeightsToCollectSellersBond), and the
// seller, still liable for the job, keeps serving the weights it vouched
// for.
func (k Keeper) lockModelBond(ctx context.Context, job *types.Job, model common.ModelTerms) error {
	modelOwner := model.Owner
	if job.ModelId == 0 || job.DatasetFee.IsZero() || modelOwner == "" || modelOwner == job.Requester {
		return nil
	}
	owner, err := k.accAddress("model owner", modelOwner)
	if err != nil {
		return err
	}
	b, err := k.modelBond(ctx, owner)
	if err != nil {
		return err
	}
	if free := b.Free(); !job.DatasetFee.IsAllLTE(free) {
		return types.ErrModelBondUncovered.Wrapf("model %d: its owner %s has %q of availability bond free, the job's dataset fee is %s (the owner posts more with MsgPostModelBond)",
			job.ModelId, modelOwner, free, job.DatasetFee)
	}
	b.Locked = b.Locked.Add(job.DatasetFee...)
	if err := k.setModelBond(ctx, owner, b); err != nil {
		return err
	}
	job.ModelBond, job.ModelBonder = job.DatasetFee, modelOwner
	return nil
}

// releaseModelBond returns a closing job's lock to its bonder's free bond.
func (k Keeper) releaseModelBond(ctx context.Context, job types.Job) error {
	return k.takeModelBond(ctx, job, false)
}

// forfeitModelBond pays a job's lock out of its bonder's bond to the
// requester (an abort that stands with the model found unavailable and the
// dataset served) and empties job.model_bond, so the close releases nothing.
func (k Keeper) forfeitModelBond(ctx context.Context, job *types.Job) error {
	if job.ModelBond.IsZero() {
		return nil // a job created before the bond, or on the requester's own model
	}
	if err := k.takeModelBond(ctx, *job, true); err != nil {
		return err
	}
	lock := job.ModelBond
	job.ModelBond = sdk.NewCoins()
	if err := k.payRequester(ctx, *job, "model_bond", lock); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventModelBondForfeited{
		JobId: job.Id, Owner: job.ModelBonder, Requester: job.Requester, Amount: lock.String(),
	})
}

// takeModelBond unlocks job's lock in its bonder's bond and, when spent,
// takes it out of the bond too.
func (k Keeper) takeModelBond(ctx context.Context, job types.Job, spent bool) error {
	if job.ModelBond.IsZero() {
		return nil
	}
	owner, err := k.accAddress("model bonder", job.ModelBonder)
	if err != nil {
		return err
	}
	b, err := k.modelBond(ctx, owner)
	if err != nil {
		return err
	}
	var neg bool
	if b.Locked, neg = b.Locked.SafeSub(job.ModelBond...); neg {
		return types.ErrInvariant.Wrapf("job %d: model bond of %s locks %s, below the job's %s", job.Id, job.ModelBonder, b.Locked, job.ModelBond)
	}
	if spent {
		if b.Bonded, neg = b.Bonded.SafeSub(job.ModelBond...); neg {
			return types.ErrInvariant.Wrapf("job %d: model bond of %s holds %s, below the job's %s", job.Id, job.ModelBonder, b.Bonded, job.ModelBond)
		}
	}
	return k.setModelBond(ctx, owner, b)
}

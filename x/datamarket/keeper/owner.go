package keeper

import (
	"bytes"
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// isAddress reports whether a stored address string is addr (compared as
// bytes, so that no spelling of an address can differ from another).
func (k Keeper) isAddress(stored string, addr sdk.AccAddress) bool {
	bz, err := k.addressCodec.StringToBytes(stored)
	return err == nil && bytes.Equal(bz, addr)
}

// ownedDataset loads a dataset that signer owns, listed or not.
func (k Keeper) ownedDataset(ctx context.Context, id uint64, signer sdk.AccAddress) (types.Dataset, error) {
	d, err := k.GetDataset(ctx, id)
	if err != nil {
		return d, err
	}
	if !k.isAddress(d.Owner, signer) {
		return d, errorsmod.Wrapf(types.ErrUnauthorized, "dataset %d is owned by %s, not %s", id, d.Owner, signer)
	}
	return d, nil
}

// ownedActiveDataset loads a dataset that signer owns and that is still
// listed, to change what it sells (UpdateDataset, DelistDataset): refused
// while the dataset is on offer to a new owner (notOnOffer), which would otherwise find,
// once it accepts, a dataset the seller changed ahead of its acceptance
// (cheap offers sold to friends, or delisted for good:
// TestAttackSellerChangesDatasetWhileOfferPending).
func (k Keeper) ownedActiveDataset(ctx context.Context, id uint64, signer sdk.AccAddress) (types.Dataset, error) {
	d, err := k.ownedDataset(ctx, id, signer)
	if err != nil {
		return d, err
	}
	if !d.Active {
		return d, errorsmod.Wrapf(types.ErrDatasetInactive, "dataset %d", id)
	}
	return d, notOnOffer(d)
}

// notOnOffer refuses a change to a dataset on offer to a new owner
// (ErrOfferPending): the buyer accepts the dataset as it was offered.
func notOnOffer(d types.Dataset) error {
	if d.PendingOwner != "" {
		return errorsmod.Wrapf(types.ErrOfferPending, "dataset %d is on offer to %s", d.Id, d.PendingOwner)
	}
	return nil
}

// UpdateDatasetShares replaces the revenue shares of owner's dataset (listed
// or not). No share may be a module account (modkit.Payout.CheckShares);
// the shares are stored in canonical form. Sales, renewals and per-job fees
// of jobs created from now on pay them; a job already created keeps the
// snapshot it took. Refused while the dataset is on offer: the shares are
// part of the dataset as offered, and a seller that rerouted them ahead of
// the buyer's acceptance would take the revenue of every sale, and the fee
// of every job created for its life, until the new owner noticed
// (TestAttackSellerReroutesSharesWhileOfferPending).
func (k Keeper) UpdateDatasetShares(ctx context.Context, owner sdk.AccAddress, id uint64, shares []common.Share) error {
	d, err := k.ownedDataset(ctx, id, owner)
	if err != nil {
		return err
	}
	if err := notOnOffer(d); err != nil {
		return err
	}
	if d.Shares, err = k.payout().CheckNewShares(ctx, shares); err != nil {
		return err
	}
	d.UpdatedHeight = sdk.UnwrapSDKContext(ctx).BlockHeight()
	if err := k.Datasets.Set(ctx, d.Id, d); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventDatasetSharesUpdated{
		DatasetId: d.Id, Shares: d.Shares,
	})
}

// TransferDataset offers owner's dataset (listed or not) to newOwner, which
// may not be a module account: newOwner becomes its pending owner, replacing
// any earlier offer, and takes it with AcceptDataset. No account becomes an
// owner without its consent: the chain names the owner on its datasets, and
// the owner's dataset server reads every dataset it owns, so datasets pushed
// onto it would stall its catalog (TestAttackPushedDatasetsBecomeTheVictims).
func (k Keeper) TransferDataset(ctx context.Context, owner sdk.AccAddress, id uint64, newOwner sdk.AccAddress) error {
	d, err := k.ownedDataset(ctx, id, owner)
	if err != nil {
		return err
	}
	if k.isModuleAccount(ctx, newOwner) {
		return errorsmod.Wrapf(types.ErrInvalidOwner, "%s is a module account", newOwner)
	}
	if k.isAddress(d.Owner, newOwner) {
		return errorsmod.Wrapf(types.ErrInvalidOwner, "dataset %d is already owned by %s", d.Id, d.Owner)
	}
	if d.PendingOwner, err = k.addrString(newOwner); err != nil {
		return err
	}
	d.OfferSeq++
	if err := k.Datasets.Set(ctx, d.Id, d); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventDatasetTransferOffered{
		DatasetId: d.Id, Owner: d.Owner, PendingOwner: d.PendingOwner, OfferSeq: d.OfferSeq,
	})
}

// AcceptDataset makes newOwner the owner of the dataset offered to it (its
// pending owner) by offer offerSeq. Licences stay valid (they name the
// dataset, not its owner); the shares do not change; the owner's access
// moves with the dataset.
func (k Keeper) AcceptDataset(ctx context.Context, newOwner sdk.AccAddress, id, offerSeq uint64) error {
	d, err := k.GetDataset(ctx, id)
	if err != nil {
		return err
	}
	if d.PendingOwner == "" || !k.isAddress(d.PendingOwner, newOwner) {
		return errorsmod.Wrapf(types.ErrNoTransferOffer, "dataset %d, %s", id, newOwner)
	}
	if offerSeq != d.OfferSeq {
		return errorsmod.Wrapf(types.ErrOfferChanged, "dataset %d: accepting transfer offer %d, the pending offer is %d (the owner withdrew and offered again: read the dataset before accepting)",
			id, offerSeq, d.OfferSeq)
	}
	previous := d.Owner
	d.Owner, d.PendingOwner = d.PendingOwner, ""
	d.UpdatedHeight = sdk.UnwrapSDKContext(ctx).BlockHeight()
	if err := k.Datasets.Set(ctx, d.Id, d); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventDatasetTransferred{
		DatasetId: d.Id, PreviousOwner: previous, NewOwner: d.Owner,
	})
}

// CancelDatasetTransfer withdraws owner's pending offer of its dataset.
func (k Keeper) CancelDatasetTransfer(ctx context.Context, owner sdk.AccAddress, id uint64) error {
	d, err := k.ownedDataset(ctx, id, owner)
	if err != nil {
		return err
	}
	if d.PendingOwner == "" {
		return errorsmod.Wrapf(types.ErrNoTransferOffer, "dataset %d has no pending transfer", id)
	}
	pending := d.PendingOwner
	d.PendingOwner = ""
	if err := k.Datasets.Set(ctx, d.Id, d); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventDatasetTransferCancelled{
		DatasetId: d.Id, Owner: d.Owner, PendingOwner: pending,
	})
}

package keeper

import (
	"bytes"
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/internal/modkit"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// checkShares refuses shares that name a module account (modkit.Payout.
// CheckShares) and returns them in canonical form, the form to store.
func (k Keeper) checkShares(ctx context.Context, shares []common.Share) ([]common.Share, error) {
	return k.payout().CheckShares(ctx, shares)
}

// isModuleAccount reports whether addr is a module account (declared by the
// app or stored as one), or an address the bank blocks.
func (k Keeper) isModuleAccount(ctx context.Context, addr sdk.AccAddress) bool {
	return k.bankKeeper.BlockedAddr(addr) || k.modules.IsModuleAccount(ctx, addr)
}

// isAddress reports whether the stored address string is addr.
func (k Keeper) isAddress(stored string, addr sdk.AccAddress) bool {
	bz, err := k.addressCodec.StringToBytes(stored)
	return err == nil && bytes.Equal(bz, addr)
}

// ownedModel loads a model and checks that signer owns it.
func (k Keeper) ownedModel(ctx context.Context, id uint64, signer sdk.AccAddress) (types.Model, error) {
	m, err := k.GetModel(ctx, id)
	if err != nil {
		return m, err
	}
	if !k.isAddress(m.Owner, signer) {
		return m, errorsmod.Wrapf(types.ErrNotOwner, "model %d is owned by %s, not %s", id, m.Owner, signer)
	}
	return m, nil
}

// newModel validates and stores a new model version and returns it, and
// files its weights as the model's unless they are on file already
// (weightsOnFile: checkWeights found them under the same name).
func (k Keeper) newModel(ctx context.Context, owner sdk.AccAddress, spec types.ModelSpec, weightsOnFile bool) (types.Model, error) {
	// A passed proposal signs as the gov module account: a model it owned
	// could be updated, deprecated or handed on only by another proposal,
	// which its users cannot count on (TestAttackModuleOwnerBreaksGenesisReimport).
	// This protects users, not the state: InitGenesis accepts such an owner
	// from a chain that registered one before this rule.
	if k.isModuleAccount(ctx, owner) {
		return types.Model{}, errorsmod.Wrapf(types.ErrInvalidOwner, "%s is a module account: a model's owner may not be one", owner)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.Model{}, errorsmod.Wrap(err, "read params")
	}
	if err := params.CheckLengths(spec.Name, spec.Version, spec.Uri, spec.License); err != nil {
		return types.Model{}, err
	}
	shares, err := k.payout().CheckNewShares(ctx, spec.Shares)
	if err != nil {
		return types.Model{}, err
	}
	ownerStr, err := k.addressCodec.BytesToString(owner)
	if err != nil {
		return types.Model{}, errorsmod.Wrapf(types.ErrInvalidAddress, "owner: %v", err)
	}
	id, err := k.nextID(ctx)
	if err != nil {
		return types.Model{}, err
	}
	m := types.Model{
		Id: id, Owner: ownerStr, Name: spec.Name, Version: spec.Version, Architecture: spec.Architecture,
		Sha256: spec.Sha256, Uri: spec.Uri, InputDim: spec.InputDim, OutputDim: spec.OutputDim, Gpt: spec.Gpt,
		LayerWidths: spec.LayerWidths, License: spec.License,
		FeePerJob: spec.FeePerJob, FeePer1kRows: spec.FeePer1kRows, Shares: shares,
		Status: types.MODEL_STATUS_ACTIVE, Usage: types.Usage{Revenue: sdk.NewCoins()},
		CreatedHeight: sdk.UnwrapSDKContext(ctx).BlockHeight(),
	}
	// id is fresh: no old value for the indexes to drop.
	if err := modkit.InsertIndexed(ctx, k.Models, k.modelsRaw, id, m); err != nil {
		return types.Model{}, errorsmod.Wrapf(err, "store model %d", id)
	}
	// ids grow: the new version is the name's latest.
	if err := k.Latest.Set(ctx, types.FoldName(m.Name), id); err != nil {
		return types.Model{}, errorsmod.Wrapf(err, "store model %d as its name's latest", id)
	}
	if !weightsOnFile {
		if err := k.Weights.Set(ctx, m.Sha256, id); err != nil {
			return types.Model{}, errorsmod.Wrapf(err, "file model %d's weights", id)
		}
	}
	return m, nil
}

// checkWeights refuses weights (spec.Sha256) that a model of another name
// registered first (Weights; names equal up to case are one name), or that
// a model of the same name owned by someone other than publisher filed (a
// version sold with MsgTransferOwnership takes its file with it: the seller,
// still owning the name's latest version, must not publish it again at its
// own fees, nor may a buyer of the latest version republish the file of a
// version the seller kept). It reports whether the weights are on file. New
// weights cost one read (Has: no error value built).
func (k Keeper) checkWeights(ctx context.Context, publisher sdk.AccAddress, spec types.ModelSpec) (onFile bool, err error) {
	if onFile, err = k.Weights.Has(ctx, spec.Sha256); err != nil || !onFile {
		return onFile, err
	}
	id, err := k.Weights.Get(ctx, spec.Sha256)
	if err != nil {
		return true, err
	}
	first, err := k.GetModel(ctx, id)
	if err != nil {
		return true, err
	}
	if types.FoldName(first.Name) != types.FoldName(spec.Name) {
		return true, errorsmod.Wrapf(types.ErrWeightsTaken, "weights sha256 %s belong to model %d (%s %s of %s): a file belongs to the first model name that registers it",
			spec.Sha256, first.Id, first.Name, first.Version, first.Owner)
	}
	if !k.isAddress(first.Owner, publisher) {
		return true, errorsmod.Wrapf(types.ErrWeightsTaken, "weights sha256 %s belong to model %d (%s %s), now owned by %s: only that model's owner may publish them again",
			spec.Sha256, first.Id, first.Name, first.Version, first.Owner)
	}
	if first.PendingOwner != "" {
		// Published again ahead of the buyer's acceptance, the file would
		// earn for the seller (TestAttackSellerRepublishesWeightsWhileOfferPending).
		return true, errorsmod.Wrapf(types.ErrOfferPending, "weights sha256 %s belong to model %d (%s %s), on offer to %s",
			spec.Sha256, first.Id, first.Name, first.Version, first.PendingOwner)
	}
	return true, nil
}

// RegisterModel registers the first version of a new model name and returns
// its id. A name equal up to case to a registered one is refused, and so
// are a look-alike of one (checkSkeleton) and weights another model
// registered (checkWeights); new weights need owner's commitment to the
// name and weights, weights_commit_delay_blocks old (useCommitment). A free name costs two reads, of Latest and
// Skeletons (misses), and no error value: the refusals' reasons are worked
// out only for a name that is taken (nameTaken).
func (k Keeper) RegisterModel(ctx context.Context, owner sdk.AccAddress, spec types.ModelSpec) (uint64, error) {
	latest, taken, err := k.latestOf(ctx, spec.Name)
	if err != nil {
		return 0, err
	}
	if taken {
		return 0, k.nameTaken(ctx, latest, spec)
	}
	skeleton := types.NameSkeleton(spec.Name)
	if err := k.checkSkeleton(ctx, skeleton, spec.Name); err != nil {
		return 0, err
	}
	onFile, err := k.checkWeights(ctx, owner, spec)
	if err != nil {
		return 0, err
	}
	if !onFile {
		if err := k.useCommitment(ctx, owner, spec); err != nil {
			return 0, err
		}
	}
	m, err := k.newModel(ctx, owner, spec, onFile)
	if err != nil {
		return 0, err
	}
	// The skeleton was free (checkSkeleton); later versions of the name
	// share it, so only registration files it.
	if err := k.Skeletons.Set(ctx, skeleton, m.Id); err != nil {
		return 0, errorsmod.Wrapf(err, "file model %d's name skeleton", m.Id)
	}
	return m.Id, modkit.EmitTypedEvent(ctx, &types.EventModelRegistered{
		ModelId: m.Id, Owner: m.Owner, Name: m.Name, Version: m.Version, Sha256: m.Sha256,
	})
}

// nameTaken is why spec cannot register its name, whose latest version up
// to case is latest: a look-alike of another name (names equal up to case
// are one name, types.FoldName), a version the name already has, or the
// name itself (its owner publishes with MsgPublishVersion).
func (k Keeper) nameTaken(ctx context.Context, latest types.Model, spec types.ModelSpec) error {
	if latest.Name != spec.Name {
		return errorsmod.Wrapf(types.ErrNameTaken, "model name %q is registered as %q (names equal up to case are one name)", spec.Name, latest.Name)
	}
	if err := k.checkNewVersion(ctx, spec); err != nil {
		return err
	}
	return errorsmod.Wrapf(types.ErrNameTaken, "model name %q belongs to %s: publish a new version with MsgPublishVersion", spec.Name, latest.Owner)
}

// checkSkeleton refuses a new name whose skeleton (types.NameSkeleton) a
// registered name of another spelling holds: "Ilama-7b" or "1lama-7b"
// beside "llama-7b", "0pt-13b" beside "opt-13b", "clolly" beside "dolly"
// (ErrNameTaken). A free
// skeleton costs one read (Has: no error value built).
func (k Keeper) checkSkeleton(ctx context.Context, skeleton, name string) error {
	if taken, err := k.Skeletons.Has(ctx, skeleton); err != nil || !taken {
		return err
	}
	id, err := k.Skeletons.Get(ctx, skeleton)
	if err != nil {
		return err
	}
	first, err := k.GetModel(ctx, id)
	if err != nil {
		return err
	}
	return errorsmod.Wrapf(types.ErrNameTaken, "model name %q looks like %q (model %d of %s): names that differ only in case (a lower-case i aside), in I, l, 1 or |, in O, o or 0, in m or rn, in w or vv, or in d or cl are one name",
		name, first.Name, first.Id, first.Owner)
}

// checkNewVersion refuses a version the name already has (the NameVersion
// index). A free name has none, so registering one skips it.
func (k Keeper) checkNewVersion(ctx context.Context, spec types.ModelSpec) error {
	if _, err := k.Models.Indexes.NameVersion.MatchExact(ctx, collections.Join(spec.Name, spec.Version)); err == nil {
		return errorsmod.Wrapf(types.ErrDuplicateVersion, "model %s version %s", spec.Name, spec.Version)
	} else if !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	return nil
}

// PublishVersion publishes a new version of a name whose latest version owner
// owns, and returns its id. Its weights may be new (on owner's commitment:
// useCommitment) or the name's own, not another name's (checkWeights).
func (k Keeper) PublishVersion(ctx context.Context, owner sdk.AccAddress, spec types.ModelSpec) (uint64, error) {
	latest, err := k.LatestVersion(ctx, spec.Name)
	if err != nil {
		return 0, err
	}
	if !k.isAddress(latest.Owner, owner) {
		return 0, errorsmod.Wrapf(types.ErrNotOwner, "model name %q: its latest version %s (model %d) is owned by %s, not %s",
			spec.Name, latest.Version, latest.Id, latest.Owner, owner)
	}
	if latest.PendingOwner != "" {
		// The latest version's buyer buys the right to publish the next
		// (TestAttackSellerSupersedesLatestWhileOfferPending).
		return 0, errorsmod.Wrapf(types.ErrOfferPending, "model name %q: its latest version %s (model %d) is on offer to %s",
			spec.Name, latest.Version, latest.Id, latest.PendingOwner)
	}
	if err := k.checkNewVersion(ctx, spec); err != nil {
		return 0, err
	}
	onFile, err := k.checkWeights(ctx, owner, spec)
	if err != nil {
		return 0, err
	}
	if !onFile {
		if err := k.useCommitment(ctx, owner, spec); err != nil {
			return 0, err
		}
	}
	m, err := k.newModel(ctx, owner, spec, onFile)
	if err != nil {
		return 0, err
	}
	return m.Id, modkit.EmitTypedEvent(ctx, &types.EventVersionPublished{
		ModelId: m.Id, Owner: m.Owner, Name: m.Name, Version: m.Version, Sha256: m.Sha256, PreviousModelId: latest.Id,
	})
}

// notOnOffer refuses a change to a model on offer to a new owner
// (ErrOfferPending): the buyer accepts the model as it was offered. A
// seller that saw the acceptance could otherwise slip in ahead of it new
// shares or fees, which every job created until the new owner noticed
// keeps for its life: shares routed back to the seller take those jobs'
// fees (TestAttackSellerReroutesModelSharesWhileOfferPending), fees cut to
// nothing let the seller's friends run them free.
func notOnOffer(m types.Model) error {
	if m.PendingOwner != "" {
		return errorsmod.Wrapf(types.ErrOfferPending, "model %d is on offer to %s", m.Id, m.PendingOwner)
	}
	return nil
}

// UpdateFees sets a model's fees; jobs created afterwards use them. Refused
// while the model is on offer (notOnOffer).
func (k Keeper) UpdateFees(ctx context.Context, owner sdk.AccAddress, id uint64, feePerJob, feePer1kRows sdk.Coins) error {
	m, err := k.ownedModel(ctx, id, owner)
	if err != nil {
		return err
	}
	if m.Status == types.MODEL_STATUS_DEPRECATED {
		return errorsmod.Wrapf(types.ErrDeprecated, "model %d: fees of a deprecated model cannot change", m.Id)
	}
	if err := notOnOffer(m); err != nil {
		return err
	}
	m.FeePerJob, m.FeePer1kRows = feePerJob, feePer1kRows
	if err := k.Models.Set(ctx, m.Id, m); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventFeesUpdated{
		ModelId: m.Id, FeePerJob: m.FeePerJob, FeePer1kRows: m.FeePer1kRows,
	})
}

// UpdateShares replaces a model's shares; jobs created afterwards use them.
// Refused while the model is on offer (notOnOffer).
func (k Keeper) UpdateShares(ctx context.Context, owner sdk.AccAddress, id uint64, shares []common.Share) error {
	m, err := k.ownedModel(ctx, id, owner)
	if err != nil {
		return err
	}
	if m.Status == types.MODEL_STATUS_DEPRECATED {
		return errorsmod.Wrapf(types.ErrDeprecated, "model %d: shares of a deprecated model cannot change", m.Id)
	}
	if err := notOnOffer(m); err != nil {
		return err
	}
	if m.Shares, err = k.payout().CheckNewShares(ctx, shares); err != nil {
		return err
	}
	if err := k.Models.Set(ctx, m.Id, m); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventSharesUpdated{
		ModelId: m.Id, Shares: m.Shares,
	})
}

// UpdateUri moves a model's weights to uri: the file stays the model's
// sha256, against which every download is checked, so only where it is
// served changes. The owner vouches for the weights' availability with its
// bond (x/compute ModelBond), so it must be able to move them: a buyer whose
// seller keeps the server could otherwise find them taken down and its bond
// paid out on the aborts of jobs created after the sale
// (TestBuyerMovesBoughtWeights). Allowed on a deprecated model, whose
// running jobs still need its weights; refused while the model is on offer
// (notOnOffer).
func (k Keeper) UpdateUri(ctx context.Context, owner sdk.AccAddress, id uint64, uri string) error {
	m, err := k.ownedModel(ctx, id, owner)
	if err != nil {
		return err
	}
	if err := notOnOffer(m); err != nil {
		return err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "read params")
	}
	if err := params.CheckURI(uri); err != nil {
		return err
	}
	m.Uri = uri
	if err := k.Models.Set(ctx, m.Id, m); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventUriUpdated{ModelId: m.Id, Uri: m.Uri})
}

// DeprecateModel stops new jobs from using a model.
func (k Keeper) DeprecateModel(ctx context.Context, owner sdk.AccAddress, id uint64) error {
	m, err := k.ownedModel(ctx, id, owner)
	if err != nil {
		return err
	}
	if m.Status == types.MODEL_STATUS_DEPRECATED {
		return errorsmod.Wrapf(types.ErrDeprecated, "model %d is already deprecated", m.Id)
	}
	if err := notOnOffer(m); err != nil { // TestAttackSellerDeprecatesModelWhileOfferPending
		return err
	}
	m.Status = types.MODEL_STATUS_DEPRECATED
	if err := k.Models.Set(ctx, m.Id, m); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventModelDeprecated{ModelId: m.Id})
}

// TransferOwnership offers owner's model to newOwner, which may not be a
// module account: newOwner becomes its pending owner, replacing any earlier
// offer, and takes it with AcceptOwnership, naming the offer (offer_seq,
// the next number). No account becomes an owner
// without its consent: requesters choose models by their owners, so a model
// pushed onto a known creator would sell under its name and pay the shares
// its registrant set (TestAttackPushedModelSellsUnderTheVictimsName). While
// the offer is pending the seller may not change the model in a way the
// buyer could not undo (deprecate it, publish its file again, supersede it:
// ErrOfferPending); to do so it withdraws the offer, and an acceptance of
// the withdrawn offer is refused (ErrOfferChanged).
func (k Keeper) TransferOwnership(ctx context.Context, owner sdk.AccAddress, id uint64, newOwner sdk.AccAddress) error {
	m, err := k.ownedModel(ctx, id, owner)
	if err != nil {
		return err
	}
	if k.isModuleAccount(ctx, newOwner) {
		return errorsmod.Wrapf(types.ErrInvalidOwner, "%s is a module account", newOwner)
	}
	if k.isAddress(m.Owner, newOwner) {
		return errorsmod.Wrapf(types.ErrInvalidAddress, "model %d is already owned by %s", m.Id, m.Owner)
	}
	if m.PendingOwner, err = k.addressCodec.BytesToString(newOwner); err != nil {
		return errorsmod.Wrapf(types.ErrInvalidAddress, "new_owner: %v", err)
	}
	m.OfferSeq++
	if err := k.Models.Set(ctx, m.Id, m); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventOwnershipOffered{
		ModelId: m.Id, Owner: m.Owner, PendingOwner: m.PendingOwner, OfferSeq: m.OfferSeq,
	})
}

// AcceptOwnership makes newOwner the owner of the model offered to it (its
// pending owner) by offer offerSeq. Whoever owns a name's latest version may
// publish its next version.
func (k Keeper) AcceptOwnership(ctx context.Context, newOwner sdk.AccAddress, id, offerSeq uint64) error {
	m, err := k.GetModel(ctx, id)
	if err != nil {
		return err
	}
	if m.PendingOwner == "" || !k.isAddress(m.PendingOwner, newOwner) {
		return errorsmod.Wrapf(types.ErrNoTransferOffer, "model %d, %s", id, newOwner)
	}
	if offerSeq != m.OfferSeq {
		return errorsmod.Wrapf(types.ErrOfferChanged, "model %d: accepting offer %d, the pending offer is %d (the seller withdrew and offered again: read the model before accepting)",
			id, offerSeq, m.OfferSeq)
	}
	previous := m.Owner
	m.Owner, m.PendingOwner = m.PendingOwner, ""
	if err := k.Models.Set(ctx, m.Id, m); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventOwnershipTransferred{
		ModelId: m.Id, PreviousOwner: previous, NewOwner: m.Owner,
	})
}

// CancelOwnershipTransfer withdraws owner's pending offer of its model.
func (k Keeper) CancelOwnershipTransfer(ctx context.Context, owner sdk.AccAddress, id uint64) error {
	m, err := k.ownedModel(ctx, id, owner)
	if err != nil {
		return err
	}
	if m.PendingOwner == "" {
		return errorsmod.Wrapf(types.ErrNoTransferOffer, "model %d has no pending transfer", id)
	}
	pending := m.PendingOwner
	m.PendingOwner = ""
	if err := k.Models.Set(ctx, m.Id, m); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventOwnershipTransferCancelled{
		ModelId: m.Id, Owner: m.Owner, PendingOwner: pending,
	})
}

package keeper

import (
	"math"

	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// GetParams returns the params.
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) {
	return k.Params.Get(ctx)
}

// UpdateParams sets the params (the caller has checked the authority and
// validated them).
func (k Keeper) UpdateParams(ctx context.Context, params types.Params) error {
	if err := k.Params.Set(ctx, params); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventParamsUpdated{Params: params})
}

// GetDataset returns a dataset or ErrDatasetNotFound.
func (k Keeper) GetDataset(ctx context.Context, id uint64) (types.Dataset, error) {
	d, err := k.Datasets.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return d, errorsmod.Wrapf(types.ErrDatasetNotFound, "%d", id)
	}
	return d, err
}

// GetDatasetVersion returns one version of a dataset or ErrVersionNotFound.
func (k Keeper) GetDatasetVersion(ctx context.Context, id, version uint64) (types.DatasetVersion, error) {
	v, err := k.DatasetVersions.Get(ctx, collections.Join(id, version))
	if errors.Is(err, collections.ErrNotFound) {
		return v, errorsmod.Wrapf(types.ErrVersionNotFound, "dataset %d version %d", id, version)
	}
	return v, err
}

// ListDataset lists a new dataset of owner (the decoded msg.Owner) at
// version 1 and returns its id (msg has passed ValidateBasic). Its content
// must be no dataset's yet (checkContent), owner must have committed to it
// content_commit_delay_blocks before (useCommitment), and neither the owner nor a
// share may be a module account; addresses are stored in their canonical
// form.
func (k Keeper) ListDataset(ctx context.Context, owner sdk.AccAddress, msg *types.MsgListDataset) (uint64, error) {
	// A passed proposal signs as the gov module account; a dataset it owned
	// could be moved or updated only by further proposals, so a listing by
	// a module account is refused, a rule that protects users (genesis
	// imports such an owner: TestAttackGovModuleListsDatasetBreaksGenesisReimport,
	// TestAttackGovDatasetFromBeforeTheUpgradeStillBreaksReimport).
	if k.isModuleAccount(ctx, owner) {
		return 0, errorsmod.Wrapf(types.ErrInvalidOwner, "%s is a module account: a dataset's owner may not be one", owner)
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return 0, err
	}
	if err := params.CheckLimits(msg.Name, msg.Description, msg.Uri, msg.Offers); err != nil {
		return 0, err
	}
	ownerStr, err := k.addrString(owner)
	if err != nil {
		return 0, err
	}
	shares := msg.Shares
	if len(shares) == 0 {
		shares = []common.Share{{Address: ownerStr, Weight: 1}}
	}
	if shares, err = k.payout().CheckNewShares(ctx, shares); err != nil {
		return 0, err
	}
	if err := k.claimContent(ctx, params, 0, owner, content{root: msg.ContentRoot, sha: msg.Sha256, rows: msg.RowsSha256}); err != nil {
		return 0, err
	}
	id, err := modkit.NextID(ctx, k.DatasetSeq, types.ErrIDsExhausted, "dataset")
	if err != nil {
		return 0, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	d := types.Dataset{
		Id: id, Owner: ownerStr, Name: msg.Name, Description: msg.Description, Format: msg.Format,
		Rows: msg.Rows, Cols: msg.Cols, RowsPerChunk: msg.RowsPerChunk, ContentRoot: msg.ContentRoot,
		Sha256: msg.Sha256, RowsSha256: msg.RowsSha256, Uri: msg.Uri, Version: 1, Offers: msg.Offers, Shares: shares, Active: true,
		CreatedHeight: height, UpdatedHeight: height,
	}
	if err := k.Datasets.Set(ctx, id, d); err != nil {
		return 0, err
	}
	if err := k.putVersion(ctx, versionOf(d, height)); err != nil {
		return 0, err
	}
	return id, modkit.EmitTypedEvent(ctx, &types.EventDatasetListed{
		DatasetId: id, Owner: d.Owner, Name: d.Name, Sha256: d.Sha256, RowsSha256: d.RowsSha256,
	})
}

func versionOf(d types.Dataset, height int64) types.DatasetVersion {
	return types.DatasetVersion{
		DatasetId: d.Id, Version: d.Version, Rows: d.Rows, Cols: d.Cols, RowsPerChunk: d.RowsPerChunk,
		ContentRoot: d.ContentRoot, Sha256: d.Sha256, RowsSha256: d.RowsSha256, Uri: d.Uri, Height: height,
	}
}

// UpdateDataset publishes a new version of owner's listed dataset and
// returns its number (msg has passed ValidateBasic). The content must differ
// from the current version's and be no other dataset's (an earlier version of
// this one may come back). An empty uri keeps the current one, as empty
// offers keep the offers. SUBSCRIPTION licences cover it at once; other
// licences stay on their version.
func (k Keeper) UpdateDataset(ctx context.Context, owner sdk.AccAddress, msg *types.MsgUpdateDataset) (uint64, error) {
	d, err := k.ownedActiveDataset(ctx, msg.DatasetId, owner)
	if err != nil {
		return 0, err
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return 0, err
	}
	if err := params.CheckVersionLimits(msg.Uri, msg.Offers); err != nil {
		return 0, err
	}
	// The same file again is no new version, unless it declares the rows'
	// sha256 that a version listed before the rows key lacks: so the owner
	// of such a dataset claims its rows without re-framing its file.
	if msg.Sha256 == d.Sha256 && d.RowsSha256 != "" {
		return 0, errorsmod.Wrapf(types.ErrInvalidDataset, "the new version has the same sha256 as version %d", d.Version)
	}
	if err := k.claimContent(ctx, params, d.Id, owner, content{root: msg.ContentRoot, sha: msg.Sha256, rows: msg.RowsSha256}); err != nil {
		return 0, err
	}
	if d.Version == math.MaxUint64 {
		// Only an imported genesis gets here; a wrapped version 0 would
		// cover every licence and lose the paid ones
		// (TestAttackGenesisVersionWrapsToUnpaidAccess).
		return 0, errorsmod.Wrapf(types.ErrIDsExhausted, "dataset %d has no version after %d", d.Id, d.Version)
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	d.Version++
	d.Rows, d.Cols, d.RowsPerChunk = msg.Rows, msg.Cols, msg.RowsPerChunk
	d.ContentRoot, d.Sha256, d.RowsSha256 = msg.ContentRoot, msg.Sha256, msg.RowsSha256
	if msg.Uri != "" {
		d.Uri = msg.Uri
	}
	if len(msg.Offers) > 0 {
		d.Offers = msg.Offers
	}
	d.UpdatedHeight = height
	if err := k.Datasets.Set(ctx, d.Id, d); err != nil {
		return 0, err
	}
	if err := k.putVersion(ctx, versionOf(d, height)); err != nil {
		return 0, err
	}
	return d.Version, modkit.EmitTypedEvent(ctx, &types.EventDatasetUpdated{
		DatasetId: d.Id, Version: d.Version, Sha256: d.Sha256, RowsSha256: d.RowsSha256,
	})
}

// DelistDataset stops all sales of owner's dataset; existing licences stay
// valid.
func (k Keeper) DelistDataset(ctx context.Context, owner sdk.AccAddress, id uint64) error {
	d, err := k.ownedActiveDataset(ctx, id, owner)
	if err != nil {
		return err
	}
	d.Active = false
	d.UpdatedHeight = sdk.UnwrapSDKContext(ctx).BlockHeight()
	if err := k.Datasets.Set(ctx, d.Id, d); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventDatasetDelisted{DatasetId: d.Id})
}

// pay moves price from payer with modkit.Payout: market_fee_bps of it to the
// reward pool, the rest split over shares (remainder to the first share). It
// checks the shares (no module account) and the payer's spendable balance
// before moving anything, and returns the market fee.
func (k Keeper) pay(ctx context.Context, payer sdk.AccAddress, price sdk.Coins, shares []common.Share) (sdk.Coins, error) {
	if price.IsZero() {
		return sdk.NewCoins(), nil
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	paid, err := k.payout().Pay(ctx, modkit.FromAccount(payer), price, params.MarketFeeBps, shares)
	if err != nil {
		return nil, err
	}
	return paid.Fee, nil
}

package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// This file is what x/compute uses (through its own expected_keepers.go).

// DatasetTermsForJob returns what a job of requester that uses the dataset
// must know and pay: the shape and content root, the owner, and the PER_JOB
// fee with the shares it is split over. For a job that pins no version (pin
// 0), a requester with a valid licence pays nothing (Fee empty) and gets the
// newest version its licences cover (a licence works on a delisted dataset
// too); otherwise the dataset must be listed and have a PER_JOB offer, whose
// price is the fee (current version). A job that pins a version gets it for
// free when a licence of the requester covers it, else the PER_JOB terms of
// the current version (x/compute refuses the job if it pins another). A pin
// once met the newest covered version as an unpinned job does: a free trial
// of an old version given to a requester (a transfer needs no consent) had
// every job of the requester that pins the current version refused while the
// gift ran, the PER_JOB offer out of its reach
// (TestAttackGiftedOldLicenceSwapsTheJobsVersion); a requester that pins
// gets the version it pinned or a clear refusal.
func (k Keeper) DatasetTermsForJob(ctx context.Context, datasetID uint64, requester string, pin uint64) (common.DatasetTerms, error) {
	reqAddr, reqStr, err := k.canonical("requester", requester)
	if err != nil {
		return common.DatasetTerms{}, err
	}
	d, err := k.GetDataset(ctx, datasetID)
	if err != nil {
		return common.DatasetTerms{}, err
	}
	terms := func(v types.DatasetVersion, fee sdk.Coins) common.DatasetTerms {
		return common.DatasetTerms{
			Format: d.Format, Version: v.Version, Rows: v.Rows, Cols: v.Cols, RowsPerChunk: v.RowsPerChunk, ContentRoot: v.ContentRoot,
			Owner: d.Owner, Fee: fee, Shares: d.Shares,
		}
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if k.isAddress(d.Owner, reqAddr) {
		return terms(versionOf(d, d.UpdatedHeight), sdk.NewCoins()), nil
	}
	want := pin
	if want == 0 || want > d.Version {
		want = d.Version
	}
	covers, newest, err := k.licenceCoverage(ctx, d, reqStr, h, want)
	if err != nil {
		return common.DatasetTerms{}, err
	}
	free := func(v uint64) (common.DatasetTerms, error) {
		dv, err := k.GetDatasetVersion(ctx, d.Id, v)
		if err != nil {
			return common.DatasetTerms{}, err
		}
		return terms(dv, sdk.NewCoins()), nil
	}
	switch {
	case pin == 0 && newest > 0:
		return free(newest)
	case pin != 0 && covers:
		return free(want)
	}
	if d.Active {
		for _, o := range d.Offers {
			if o.Kind == types.LICENSE_KIND_PER_JOB {
				return terms(versionOf(d, d.UpdatedHeight), o.Price), nil
			}
		}
	}
	if newest > 0 {
		return free(newest)
	}
	if !d.Active {
		return common.DatasetTerms{}, errorsmod.Wrapf(types.ErrDatasetInactive, "dataset %d, and %s holds no licence", d.Id, requester)
	}
	return common.DatasetTerms{}, errorsmod.Wrapf(types.ErrNoLicense, "%s for dataset %d", requester, d.Id)
}

// licenceCoverage reports whether one of the licensee's licences valid at
// height h covers version want of d, and the newest version of d that one
// of them covers (0 when none does).
func (k Keeper) licenceCoverage(ctx context.Context, d types.Dataset, licensee string, h int64, want uint64) (covers bool, newest uint64, err error) {
	err = k.walkLicenses(ctx, d.Id, licensee, h, func(l types.License) bool {
		if !LicenseValidAt(l, h) {
			return false
		}
		covers = covers || LicenseCovers(l, want)
		v := min(l.Version, d.Version)
		if l.Kind == types.LICENSE_KIND_SUBSCRIPTION {
			v = d.Version
		}
		newest = max(newest, v)
		return false
	})
	return covers, newest, err
}

// MarketFeeBps is the market_fee_bps in force: x/compute records it on a
// job when the job is created and pays the job's dataset fee under it
// (PayDatasetFeeAt, ChargeJobDatasetFeeAt), so that a later params change
// does not change the cut of a job already running
// (TestAttackGPParamsMarketFeeRaisedUnderRunningJob).
func (k Keeper) MarketFeeBps(ctx context.Context) (uint32, error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return 0, err
	}
	return params.MarketFeeBps, nil
}

// PayDatasetFee pays a settled job's dataset fee out of fromModule's account
// with modkit.Payout: market_fee_bps of it to the reward pool, the rest split
// over shares (the snapshot taken when the job was created; no share may be a
// module account). It checks the module's balance before moving
// anything and is all or nothing. An empty fee pays nothing. It takes the
// market_fee_bps in force; x/compute pays under the job's own
// (PayDatasetFeeAt).
func (k Keeper) PayDatasetFee(ctx context.Context, datasetID uint64, fromModule string, fee sdk.Coins, shares []common.Share) error {
	bps, err := k.MarketFeeBps(ctx)
	if err != nil {
		return err
	}
	return k.payDatasetFee(ctx, datasetID, 0, fromModule, fee, bps, shares)
}

// PayDatasetFeeAt is PayDatasetFee with the market fee marketFeeBps: the
// one in force when the job was created (MarketFeeBps then).
func (k Keeper) PayDatasetFeeAt(ctx context.Context, datasetID uint64, fromModule string, fee sdk.Coins, marketFeeBps uint32, shares []common.Share) error {
	return k.payDatasetFee(ctx, datasetID, 0, fromModule, fee, marketFeeBps, shares)
}

// payDatasetFee is PayDatasetFee for job jobID (0: not named), with market
// fee bps (at most 100%).
func (k Keeper) payDatasetFee(ctx context.Context, datasetID, jobID uint64, fromModule string, fee sdk.Coins, bps uint32, shares []common.Share) error {
	if fee.IsZero() {
		return nil
	}
	if err := fee.Validate(); err != nil {
		return errorsmod.Wrapf(types.ErrInvalidFee, "%s: %v", fee, err)
	}
	// An amount past the bound would overflow the payout's products (a
	// panic, which x/compute's settlement queue would retry for ever).
	if err := common.CheckAmountBits("fee", fee...); err != nil {
		return errorsmod.Wrap(types.ErrInvalidFee, err.Error())
	}
	if bps > common.BasisPoints {
		return errorsmod.Wrapf(types.ErrInvalidFee, "market fee %d bps exceeds %d", bps, common.BasisPoints)
	}
	if err := common.ValidateShares(shares); err != nil {
		return errorsmod.Wrapf(types.ErrInvalidShares, "%v", err)
	}
	if _, err := k.GetDataset(ctx, datasetID); err != nil {
		return err
	}
	return modkit.RunCached(ctx, func(ctx context.Context) error {
		paid, err := k.payout().Pay(ctx, modkit.FromModule(fromModule), fee, bps, shares)
		if err != nil {
			return err
		}
		return modkit.EmitTypedEvent(ctx, &types.EventDatasetFeePaid{
			DatasetId: datasetID, FromModule: fromModule, Fee: fee, MarketFee: paid.Fee, JobId: jobID,
		})
	})
}

// GrantJobAccess lets the assigned provider of a live job read the dataset's
// current version until RevokeJobAccess: GrantJobAccessVersion with version
// 0, for a caller that does not know the version the job pinned. x/compute
// should call GrantJobAccessVersion with Job.dataset_version.
func (k Keeper) GrantJobAccess(ctx context.Context, datasetID, jobID uint64, provider string) error {
	return k.GrantJobAccessVersion(ctx, datasetID, jobID, 0, provider)
}

// GrantJobAccessVersion lets the assigned provider of a live job read one
// version of the dataset — the version the job pinned when it was created
// (0: the current version) — until RevokeJobAccess: HasAccess is true for
// that provider at that version only. Granting again (a new winner) replaces
// the provider and keeps a fee already charged.
func (k Keeper) GrantJobAccessVersion(ctx context.Context, datasetID, jobID, version uint64, provider string) error {
	_, providerStr, err := k.canonical("provider", provider)
	if err != nil {
		return err
	}
	d, err := k.GetDataset(ctx, datasetID)
	if err != nil {
		return err
	}
	if version == 0 {
		version = d.Version
	}
	if _, err := k.GetDatasetVersion(ctx, datasetID, version); err != nil {
		return err
	}
	key := collections.Join(datasetID, jobID)
	ja, err := k.JobAccess.Get(ctx, key)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	ja.DatasetId, ja.JobId, ja.Provider, ja.GrantedHeight, ja.Version = datasetID, jobID, providerStr, sdkCtx.BlockHeight(), version
	if err := k.JobAccess.Set(ctx, key, ja); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(sdkCtx, &types.EventJobAccessGranted{
		DatasetId: datasetID, JobId: jobID, Provider: providerStr, Version: version,
	})
}

// ChargeJobDatasetFee takes a job's dataset fee when its provider is granted
// access (after GrantJobAccessVersion; ErrJobAccessNotFound before), out of
// fromModule's account (x/compute's escrow) with modkit.Payout, like
// PayDatasetFee. It charges once per job: a later call for the same job is a
// no-op, so that the fee is never taken twice, and once taken it is the
// owner's (x/compute must not refund it). An empty fee charges nothing but
// still marks the job charged. It takes the market_fee_bps in force;
// x/compute charges under the job's own (ChargeJobDatasetFeeAt).
func (k Keeper) ChargeJobDatasetFee(ctx context.Context, datasetID, jobID uint64, fromModule string, fee sdk.Coins, shares []common.Share) error {
	bps, err := k.MarketFeeBps(ctx)
	if err != nil {
		return err
	}
	return k.ChargeJobDatasetFeeAt(ctx, datasetID, jobID, fromModule, fee, bps, shares)
}

// ChargeJobDatasetFeeAt is ChargeJobDatasetFee with the market fee
// marketFeeBps: the one in force when the job was created.
func (k Keeper) ChargeJobDatasetFeeAt(ctx context.Context, datasetID, jobID uint64, fromModule string, fee sdk.Coins, marketFeeBps uint32, shares []common.Share) error {
	key := collections.Join(datasetID, jobID)
	ja, err := k.JobAccess.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return errorsmod.Wrapf(types.ErrJobAccessNotFound, "job %d has no access to dataset %d: grant it first", jobID, datasetID)
	} else if err != nil {
		return err
	}
	if ja.FeeCharged {
		return nil
	}
	return modkit.RunCached(ctx, func(ctx context.Context) error {
		if err := k.payDatasetFee(ctx, datasetID, jobID, fromModule, fee, marketFeeBps, shares); err != nil {
			return err
		}
		ja.FeeCharged, ja.Fee = true, sdk.NewCoins(fee...)
		return k.JobAccess.Set(ctx, key, ja)
	})
}

// RevokeJobAccess ends a job's access when the job ends. Revoking an access
// that was never granted (or already revoked) is a no-op, so that every job
// end may call it.
func (k Keeper) RevokeJobAccess(ctx context.Context, datasetID, jobID uint64) error {
	key := collections.Join(datasetID, jobID)
	ja, err := k.JobAccess.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if err := k.JobAccess.Remove(ctx, key); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventJobAccessRevoked{
		DatasetId: datasetID, JobId: jobID, Provider: ja.Provider,
	})
}

package simulation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/types"
)

// simDenom is the chain's fee denom (the app package cannot be imported here).
const simDenom = "uaic"

func randHash(r *simsx.XRand) []byte {
	h := sha256.Sum256([]byte(r.StringN(32)))
	return h[:]
}

// randContent returns random, statelessly valid content fields: chunks of
// at least MinRowsPerChunk rows.
func randContent(r *simsx.XRand) (rows, cols, rpc uint64, root []byte, sha, rowsSha string) {
	rows = uint64(1 + r.Intn(10_000))
	cols = uint64(1 + r.Intn(512))
	rpc = max(uint64(1+r.Intn(int(rows))), types.MinRowsPerChunk(rows, cols))
	return rows, cols, rpc, randHash(r), hex.EncodeToString(randHash(r)), hex.EncodeToString(randHash(r))
}

// randOffers returns 1..n valid offers within the params (at most one PER_JOB).
func randOffers(r *simsx.XRand, p types.Params) []types.LicenseOffer {
	n := 1 + r.Intn(int(min(p.MaxOffers, 4)))
	offers := make([]types.LicenseOffer, 0, n)
	perJob := false
	for i := 0; i < n; i++ {
		o := types.LicenseOffer{Price: sdk.NewCoins(sdk.NewInt64Coin(simDenom, int64(r.Intn(100_000))))}
		term := uint64(1 + r.Intn(int(min(p.MaxTermBlocks, 1000))))
		switch r.Intn(4) {
		case 0:
			o.Kind, o.Transferable = types.LICENSE_KIND_PERPETUAL, r.Bool()
		case 1:
			o.Kind, o.DurationBlocks, o.Transferable = types.LICENSE_KIND_RENTAL, term, r.Bool()
		case 2:
			o.Kind, o.PeriodBlocks, o.Transferable = types.LICENSE_KIND_SUBSCRIPTION, term, r.Bool()
		default:
			if perJob {
				o.Kind, o.DurationBlocks = types.LICENSE_KIND_RENTAL, term
			} else {
				o.Kind, perJob = types.LICENSE_KIND_PER_JOB, true
			}
		}
		offers = append(offers, o)
	}
	return offers
}

// randomDataset picks an existing dataset; the reporter skips when there is none.
func randomDataset(ctx context.Context, k keeper.Keeper, r *simsx.XRand, reporter simsx.SimulationReporter) (types.Dataset, bool) {
	next, err := k.DatasetSeq.Peek(ctx)
	if err != nil || next <= 1 {
		reporter.Skip("no datasets")
		return types.Dataset{}, false
	}
	d, err := k.GetDataset(ctx, uint64(1+r.Intn(int(next-1))))
	if err != nil {
		reporter.Skip(err.Error())
		return d, false
	}
	return d, true
}

// ownedActiveDataset picks a listed dataset owned by a simulation account.
func ownedActiveDataset(ctx context.Context, k keeper.Keeper, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) (types.Dataset, simsx.SimAccount, bool) {
	d, ok := randomDataset(ctx, k, testData.Rand(), reporter)
	if !ok {
		return d, simsx.SimAccount{}, false
	}
	if !d.Active {
		reporter.Skip("dataset delisted")
		return d, simsx.SimAccount{}, false
	}
	if d.PendingOwner != "" {
		reporter.Skip("dataset on offer to a new owner")
		return d, simsx.SimAccount{}, false
	}
	owner := testData.GetAccount(reporter, d.Owner)
	return d, owner, !reporter.IsSkipped()
}

// randomLicense picks an existing licence.
func randomLicense(ctx context.Context, k keeper.Keeper, r *simsx.XRand, reporter simsx.SimulationReporter) (types.License, bool) {
	next, err := k.LicenseSeq.Peek(ctx)
	if err != nil || next <= 1 {
		reporter.Skip("no licences")
		return types.License{}, false
	}
	l, err := k.GetLicense(ctx, uint64(1+r.Intn(int(next-1))))
	if err != nil {
		reporter.Skip(err.Error())
		return l, false
	}
	return l, true
}

// MsgListDatasetFactory lists a random dataset.
func MsgListDatasetFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgListDataset] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgListDataset) {
		r := testData.Rand()
		p, err := k.GetParams(ctx)
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		owner := testData.AnyAccount(reporter, simsx.WithSpendableBalance())
		rows, cols, rpc, root, sha, rowsSha := randContent(r)
		msg := &types.MsgListDataset{
			Owner: owner.AddressBech32, Name: "ds-" + r.StringN(8), Format: types.FormatNpyF32,
			Rows: rows, Cols: cols, RowsPerChunk: rpc, ContentRoot: root, Sha256: sha, RowsSha256: rowsSha,
			Uri: "https://data.example/" + sha[:8], Offers: randOffers(r, p),
		}
		if r.Bool() {
			other := testData.AnyAccount(reporter, simsx.ExcludeAccounts(owner))
			msg.Shares = []common.Share{{Address: owner.AddressBech32, Weight: uint32(1 + r.Intn(100))}}
			if !reporter.IsSkipped() {
				msg.Shares = append(msg.Shares, common.Share{Address: other.AddressBech32, Weight: uint32(1 + r.Intn(100))})
			}
		}
		return []simsx.SimAccount{owner}, msg
	}
}

// MsgUpdateDatasetFactory publishes a new version of a listed dataset.
func MsgUpdateDatasetFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUpdateDataset] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateDataset) {
		d, owner, ok := ownedActiveDataset(ctx, k, testData, reporter)
		if !ok {
			return nil, nil
		}
		r := testData.Rand()
		rows, cols, rpc, root, sha, rowsSha := randContent(r)
		return []simsx.SimAccount{owner}, &types.MsgUpdateDataset{
			Owner: owner.AddressBech32, DatasetId: d.Id, Rows: rows, Cols: cols, RowsPerChunk: rpc,
			ContentRoot: root, Sha256: sha, RowsSha256: rowsSha, Uri: d.Uri,
		}
	}
}

// MsgCommitContentFactory commits a random account to a random file.
func MsgCommitContentFactory() simsx.SimMsgFactoryFn[*types.MsgCommitContent] {
	return func(_ context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCommitContent) {
		sender := testData.AnyAccount(reporter, simsx.WithSpendableBalance())
		root := make([]byte, 32)
		testData.Rand().Read(root)
		return []simsx.SimAccount{sender}, types.NewMsgCommitContent(sender.Address, root, hex.EncodeToString(root), hex.EncodeToString(root))
	}
}

// MsgDelistDatasetFactory delists a listed dataset.
func MsgDelistDatasetFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgDelistDataset] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgDelistDataset) {
		d, owner, ok := ownedActiveDataset(ctx, k, testData, reporter)
		if !ok {
			return nil, nil
		}
		return []simsx.SimAccount{owner}, &types.MsgDelistDataset{Owner: owner.AddressBech32, DatasetId: d.Id}
	}
}

// MsgPurchaseLicenseFactory buys a licence under a random sellable offer.
func MsgPurchaseLicenseFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgPurchaseLicense] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgPurchaseLicense) {
		r := testData.Rand()
		d, ok := randomDataset(ctx, k, r, reporter)
		if !ok {
			return nil, nil
		}
		if !d.Active {
			reporter.Skip("dataset delisted")
			return nil, nil
		}
		idx := r.Intn(len(d.Offers))
		offer := d.Offers[idx]
		if offer.Kind == types.LICENSE_KIND_PER_JOB {
			reporter.Skip("PER_JOB offers are not sold")
			return nil, nil
		}
		if p, err := k.GetParams(ctx); err != nil || offer.Term() > p.MaxTermBlocks {
			reporter.Skip("the offer's term exceeds max_term_blocks")
			return nil, nil
		}
		buyer := testData.AnyAccount(reporter, simsx.ExcludeAddresses(d.Owner), simsx.WithLiquidBalanceGTE(offer.Price...))
		if reporter.IsSkipped() {
			return nil, nil
		}
		for _, c := range offer.Price {
			if !buyer.LiquidBalance().BlockAmount(c) {
				reporter.Skip("cannot reserve the price")
				return nil, nil
			}
		}
		held, err := k.HoldsBlockingLicense(ctx, d, buyer.AddressBech32, uint32(idx))
		if err != nil || held {
			reporter.Skip("already licensed")
			return nil, nil
		}
		return []simsx.SimAccount{buyer}, &types.MsgPurchaseLicense{
			Buyer: buyer.AddressBech32, DatasetId: d.Id, OfferIndex: uint32(idx), MaxPrice: priceCap(offer.Price),
		}
	}
}

// priceCap is the max_price the CLI fills in for a price: the price itself
// (the factories' offers have one denom), 0uaic when free.
func priceCap(price sdk.Coins) sdk.Coin {
	if len(price) == 0 {
		return sdk.NewInt64Coin(simDenom, 0)
	}
	return price[0]
}

// MsgRenewLicenseFactory renews a RENTAL or SUBSCRIPTION licence of a listed
// dataset under its current offer of the kind, when that fits max_term_blocks.
func MsgRenewLicenseFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgRenewLicense] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRenewLicense) {
		l, ok := randomLicense(ctx, k, testData.Rand(), reporter)
		if !ok {
			return nil, nil
		}
		if l.Kind != types.LICENSE_KIND_RENTAL && l.Kind != types.LICENSE_KIND_SUBSCRIPTION {
			reporter.Skip("not renewable")
			return nil, nil
		}
		d, err := k.GetDataset(ctx, l.DatasetId)
		if err != nil || !d.Active {
			reporter.Skip("dataset delisted")
			return nil, nil
		}
		_, offer, err := types.RenewalOffer(d, l)
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		if _, err := k.RenewedExpiry(ctx, l, offer); err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		licensee := testData.GetAccount(reporter, l.Licensee)
		if reporter.IsSkipped() {
			return nil, nil
		}
		for _, c := range offer.Price {
			if !licensee.LiquidBalance().BlockAmount(c) {
				reporter.Skip("cannot pay the renewal")
				return nil, nil
			}
		}
		return []simsx.SimAccount{licensee}, &types.MsgRenewLicense{Licensee: l.Licensee, LicenseId: l.Id, MaxPrice: priceCap(offer.Price)}
	}
}

// MsgTransferLicenseFactory transfers a transferable, unexpired licence to
// an account below the cap of running licences of the dataset
// (AcceptsTransfer).
func MsgTransferLicenseFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgTransferLicense] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgTransferLicense) {
		l, ok := randomLicense(ctx, k, testData.Rand(), reporter)
		if !ok {
			return nil, nil
		}
		if !l.Transferable || !keeper.LicenseValidAt(l, sdk.UnwrapSDKContext(ctx).BlockHeight()) {
			reporter.Skip("not transferable now")
			return nil, nil
		}
		from := testData.GetAccount(reporter, l.Licensee)
		to := testData.AnyAccount(reporter, simsx.ExcludeAccounts(from))
		if reporter.IsSkipped() {
			return nil, nil
		}
		// A recipient at the cap of running licences refuses another.
		if err := k.AcceptsTransfer(ctx, l.DatasetId, to.AddressBech32); err != nil {
			reporter.Skip("the recipient holds the most running licences of the dataset others may give it")
			return nil, nil
		}
		return []simsx.SimAccount{from}, &types.MsgTransferLicense{Licensee: l.Licensee, LicenseId: l.Id, Recipient: to.AddressBech32}
	}
}

// MsgUpdateDatasetSharesFactory gives a dataset not on offer new shares:
// its owner and another account.
func MsgUpdateDatasetSharesFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUpdateDatasetShares] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateDatasetShares) {
		d, ok := randomDataset(ctx, k, testData.Rand(), reporter)
		if !ok {
			return nil, nil
		}
		if d.PendingOwner != "" {
			reporter.Skip("dataset on offer to a new owner")
			return nil, nil
		}
		owner := testData.GetAccount(reporter, d.Owner)
		other := testData.AnyAccount(reporter, simsx.ExcludeAccounts(owner))
		if reporter.IsSkipped() {
			return nil, nil
		}
		r := testData.Rand()
		return []simsx.SimAccount{owner}, &types.MsgUpdateDatasetShares{Owner: owner.AddressBech32, DatasetId: d.Id, Shares: []common.Share{
			{Address: owner.AddressBech32, Weight: uint32(1 + r.Intn(100))}, {Address: other.AddressBech32, Weight: uint32(1 + r.Intn(100))},
		}}
	}
}

// MsgTransferDatasetFactory offers a dataset to another account.
func MsgTransferDatasetFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgTransferDataset] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgTransferDataset) {
		d, ok := randomDataset(ctx, k, testData.Rand(), reporter)
		if !ok {
			return nil, nil
		}
		owner := testData.GetAccount(reporter, d.Owner)
		to := testData.AnyAccount(reporter, simsx.ExcludeAccounts(owner))
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{owner}, &types.MsgTransferDataset{Owner: owner.AddressBech32, DatasetId: d.Id, NewOwner: to.AddressBech32}
	}
}

// offeredDataset picks a dataset whose owner offered it to another account.
func offeredDataset(ctx context.Context, k keeper.Keeper, r *simsx.XRand, reporter simsx.SimulationReporter) (types.Dataset, bool) {
	d, ok := randomDataset(ctx, k, r, reporter)
	if ok && d.PendingOwner == "" {
		reporter.Skip("no transfer offered")
		return d, false
	}
	return d, ok
}

// MsgAcceptDatasetFactory takes a dataset offered to a simulation account.
func MsgAcceptDatasetFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgAcceptDataset] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgAcceptDataset) {
		d, ok := offeredDataset(ctx, k, testData.Rand(), reporter)
		if !ok {
			return nil, nil
		}
		to := testData.GetAccount(reporter, d.PendingOwner)
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{to}, &types.MsgAcceptDataset{NewOwner: to.AddressBech32, DatasetId: d.Id, OfferSeq: d.OfferSeq}
	}
}

// MsgCancelDatasetTransferFactory withdraws a pending offer of a dataset.
func MsgCancelDatasetTransferFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgCancelDatasetTransfer] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCancelDatasetTransfer) {
		d, ok := offeredDataset(ctx, k, testData.Rand(), reporter)
		if !ok {
			return nil, nil
		}
		owner := testData.GetAccount(reporter, d.Owner)
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{owner}, &types.MsgCancelDatasetTransfer{Owner: owner.AddressBech32, DatasetId: d.Id}
	}
}

// MsgUpdateParamsFactory proposes random valid params (a governance message).
func MsgUpdateParamsFactory() simsx.SimMsgFactoryFn[*types.MsgUpdateParams] {
	return func(_ context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateParams) {
		p := GenParams(testData.Rand().Rand)
		return nil, &types.MsgUpdateParams{Authority: testData.ModuleAccountAddress(reporter, "gov"), Params: p}
	}
}

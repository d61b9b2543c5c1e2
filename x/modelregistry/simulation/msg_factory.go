package simulation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/keeper"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// simDenom is the chain's fee denom (app.BondDenom; the app package cannot be
// imported from here).
const simDenom = "uaic"

func randFees(r *simsx.XRand, denom string) sdk.Coins {
	if r.Intn(4) == 0 {
		return sdk.NewCoins() // a free model
	}
	return sdk.NewCoins(sdk.NewInt64Coin(denom, int64(1+r.Intn(10_000))))
}

func randShares(testData *simsx.ChainDataSource, reporter simsx.SimulationReporter, owner simsx.SimAccount) []common.Share {
	r := testData.Rand()
	shares := []common.Share{{Address: owner.AddressBech32, Weight: uint32(1 + r.Intn(100))}}
	if r.Bool() {
		other := testData.AnyAccount(reporter, simsx.ExcludeAccounts(owner))
		if !reporter.IsSkipped() {
			shares = append(shares, common.Share{Address: other.AddressBech32, Weight: uint32(1 + r.Intn(100))})
		}
	}
	return shares
}

func randIdent(r *simsx.XRand, prefix string) string {
	return prefix + strings.ToLower(r.StringN(10))
}

func randSha(r *simsx.XRand) string {
	h := sha256.Sum256([]byte(r.StringN(32)))
	return hex.EncodeToString(h[:])
}

// randomModel picks an existing model; the reporter skips when there is none.
func randomModel(ctx context.Context, k keeper.Keeper, r *simsx.XRand, reporter simsx.SimulationReporter) (types.Model, bool) {
	next, err := k.ModelSeq.Peek(ctx)
	if err != nil || next <= 1 {
		reporter.Skip("no models")
		return types.Model{}, false
	}
	m, err := k.GetModel(ctx, r.Uint64InRange(1, next))
	if err != nil {
		reporter.Skip(err.Error())
		return types.Model{}, false
	}
	return m, true
}

// changeableModel picks an active model owned by a simulation account and
// not on offer to a new owner: one whose fees, shares and status its owner
// may change.
func changeableModel(ctx context.Context, k keeper.Keeper, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) (types.Model, simsx.SimAccount, bool) {
	m, ok := randomModel(ctx, k, testData.Rand(), reporter)
	if !ok {
		return m, simsx.SimAccount{}, false
	}
	if m.Status != types.MODEL_STATUS_ACTIVE {
		reporter.Skip("model deprecated")
		return m, simsx.SimAccount{}, false
	}
	if m.PendingOwner != "" {
		reporter.Skip("the model is on offer")
		return m, simsx.SimAccount{}, false
	}
	owner := testData.GetAccount(reporter, m.Owner)
	return m, owner, !reporter.IsSkipped()
}

// MsgCommitWeightsFactory commits a random account to a random name and
// weights.
func MsgCommitWeightsFactory() simsx.SimMsgFactoryFn[*types.MsgCommitWeights] {
	return func(_ context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCommitWeights) {
		sender := testData.AnyAccount(reporter, simsx.WithSpendableBalance())
		sum := sha256.Sum256([]byte(testData.Rand().StringN(16)))
		return []simsx.SimAccount{sender}, types.NewMsgCommitWeights(sender.Address, "m-"+testData.Rand().StringN(8), hex.EncodeToString(sum[:]))
	}
}

// MsgRegisterModelFactory registers a model under a fresh random name.
func MsgRegisterModelFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgRegisterModel] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRegisterModel) {
		r := testData.Rand()
		owner := testData.AnyAccount(reporter, simsx.WithSpendableBalance())
		name := randIdent(r, "m")
		// Every registered name's skeleton is filed: this refuses the name
		// itself and its look-alikes.
		if taken, err := k.Skeletons.Has(ctx, types.NameSkeleton(name)); err != nil || taken {
			reporter.Skip("name taken")
		}
		return []simsx.SimAccount{owner}, &types.MsgRegisterModel{
			Owner: owner.AddressBech32, Name: name, Version: "1.0.0", Architecture: types.ArchitectureMLPF32,
			Sha256: randSha(r), Uri: "https://models.example/" + name, InputDim: uint64(1 + r.Intn(64)),
			OutputDim: uint64(1 + r.Intn(16)), License: "Apache-2.0",
			FeePerJob: randFees(r, simDenom), FeePer1kRows: randFees(r, simDenom), Shares: randShares(testData, reporter, owner),
		}
	}
}

// MsgPublishVersionFactory publishes a new version of a name whose latest
// version a simulation account owns.
func MsgPublishVersionFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgPublishVersion] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgPublishVersion) {
		r := testData.Rand()
		m, ok := randomModel(ctx, k, r, reporter)
		if !ok {
			return nil, nil
		}
		latest, err := k.LatestVersion(ctx, m.Name)
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		if latest.PendingOwner != "" {
			reporter.Skip("the latest version is on offer")
			return nil, nil
		}
		owner := testData.GetAccount(reporter, latest.Owner)
		if reporter.IsSkipped() {
			return nil, nil
		}
		version := fmt.Sprintf("%d.%d", latest.Id, r.Intn(1_000_000))
		if _, err := k.Models.Indexes.NameVersion.MatchExact(ctx, collections.Join(m.Name, version)); err == nil {
			reporter.Skip("version exists")
		}
		return []simsx.SimAccount{owner}, &types.MsgPublishVersion{
			Owner: owner.AddressBech32, Name: m.Name, Version: version, Architecture: types.ArchitectureMLPF32,
			Sha256: randSha(r), Uri: "https://models.example/" + m.Name + "/" + version, InputDim: latest.InputDim, OutputDim: latest.OutputDim,
			License: latest.License, FeePerJob: randFees(r, simDenom), FeePer1kRows: randFees(r, simDenom),
			Shares: randShares(testData, reporter, owner),
		}
	}
}

// MsgUpdateFeesFactory changes the fees of an active model not on offer.
func MsgUpdateFeesFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUpdateFees] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateFees) {
		m, owner, ok := changeableModel(ctx, k, testData, reporter)
		if !ok {
			return nil, nil
		}
		r := testData.Rand()
		return []simsx.SimAccount{owner}, &types.MsgUpdateFees{
			Owner: owner.AddressBech32, ModelId: m.Id, FeePerJob: randFees(r, simDenom), FeePer1kRows: randFees(r, simDenom),
		}
	}
}

// MsgUpdateSharesFactory replaces the shares of an active model not on offer.
func MsgUpdateSharesFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUpdateShares] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateShares) {
		m, owner, ok := changeableModel(ctx, k, testData, reporter)
		if !ok {
			return nil, nil
		}
		return []simsx.SimAccount{owner}, &types.MsgUpdateShares{
			Owner: owner.AddressBech32, ModelId: m.Id, Shares: randShares(testData, reporter, owner),
		}
	}
}

// MsgUpdateUriFactory moves the weights of an active model not on offer to
// another uri.
func MsgUpdateUriFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUpdateUri] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateUri) {
		m, owner, ok := changeableModel(ctx, k, testData, reporter)
		if !ok {
			return nil, nil
		}
		return []simsx.SimAccount{owner}, &types.MsgUpdateUri{
			Owner: owner.AddressBech32, ModelId: m.Id, Uri: fmt.Sprintf("https://mirror%d.example/%s", testData.Rand().Intn(1000), m.Sha256),
		}
	}
}

// MsgDeprecateModelFactory deprecates an active model not on offer.
func MsgDeprecateModelFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgDeprecateModel] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgDeprecateModel) {
		m, owner, ok := changeableModel(ctx, k, testData, reporter)
		if !ok {
			return nil, nil
		}
		return []simsx.SimAccount{owner}, &types.MsgDeprecateModel{Owner: owner.AddressBech32, ModelId: m.Id}
	}
}

// MsgTransferOwnershipFactory offers a model to another simulation account.
func MsgTransferOwnershipFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgTransferOwnership] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgTransferOwnership) {
		m, ok := randomModel(ctx, k, testData.Rand(), reporter)
		if !ok {
			return nil, nil
		}
		owner := testData.GetAccount(reporter, m.Owner)
		to := testData.AnyAccount(reporter, simsx.ExcludeAccounts(owner))
		return []simsx.SimAccount{owner}, &types.MsgTransferOwnership{Owner: owner.AddressBech32, ModelId: m.Id, NewOwner: to.AddressBech32}
	}
}

// offeredModel picks a model whose owner offered it to another account.
func offeredModel(ctx context.Context, k keeper.Keeper, r *simsx.XRand, reporter simsx.SimulationReporter) (types.Model, bool) {
	m, ok := randomModel(ctx, k, r, reporter)
	if ok && m.PendingOwner == "" {
		reporter.Skip("no transfer offered")
		return m, false
	}
	return m, ok
}

// MsgAcceptOwnershipFactory takes a model offered to a simulation account.
func MsgAcceptOwnershipFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgAcceptOwnership] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgAcceptOwnership) {
		m, ok := offeredModel(ctx, k, testData.Rand(), reporter)
		if !ok {
			return nil, nil
		}
		to := testData.GetAccount(reporter, m.PendingOwner)
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{to}, &types.MsgAcceptOwnership{NewOwner: to.AddressBech32, ModelId: m.Id, OfferSeq: m.OfferSeq}
	}
}

// MsgCancelOwnershipTransferFactory withdraws a pending offer of a model.
func MsgCancelOwnershipTransferFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgCancelOwnershipTransfer] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCancelOwnershipTransfer) {
		m, ok := offeredModel(ctx, k, testData.Rand(), reporter)
		if !ok {
			return nil, nil
		}
		owner := testData.GetAccount(reporter, m.Owner)
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{owner}, &types.MsgCancelOwnershipTransfer{Owner: owner.AddressBech32, ModelId: m.Id}
	}
}

// MsgUpdateParamsFactory proposes random valid params through governance.
func MsgUpdateParamsFactory() simsx.SimMsgFactoryFn[*types.MsgUpdateParams] {
	return func(_ context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateParams) {
		r := testData.Rand()
		return nil, &types.MsgUpdateParams{
			Authority: testData.ModuleAccountAddress(reporter, "gov"),
			Params: types.Params{
				PlatformFeeBps:   uint32(r.Intn(2001)),
				MaxNameLength:    types.DefaultMaxNameLength,
				MaxVersionLength: types.DefaultMaxVersionLength,
				MaxUriLength:     types.DefaultMaxURILength,
				MaxLicenseLength: types.DefaultMaxLicenseLength,
				// The registration factories register without a commitment.
				WeightsCommitDelayBlocks: 0,
				WeightsCommitTtlBlocks:   uint64(1 + r.Intn(1_000)),
			},
		}
	}
}

package app

import (
	"context"
	"slices"

	errorsmod "cosmossdk.io/errors"
	gogogrpc "github.com/cosmos/gogoproto/grpc"
	"google.golang.org/grpc"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/module"
	distr "github.com/cosmos/cosmos-sdk/x/distribution"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	"github.com/cosmos/cosmos-sdk/x/mint"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	"github.com/cosmos/cosmos-sdk/x/staking"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	stakingrewardskeeper "github.com/aichain/aichain/x/staking-rewards/keeper"
	stakingrewardstypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// Denom guards. x/distribution keeps its community pool, each validator's
// outstanding and current rewards as multi-denom decimal balances that it
// reads and rewrites every block (AllocateTokens, in BeginBlock), whatever
// denoms they hold. Anyone can make denoms cheaply (IBC vouchers of a chain
// they run), so without a guard one transaction paying its fee in 3,000 junk
// denoms, or one MsgFundCommunityPool of them, made every later block rewrite
// hundreds of kilobytes of distribution state, for ever (the distribution
// BeginBlocker's gas: 11,277 clean, 931,977 after 300 junk denoms were given
// to the community pool, 9,218,277 after 3,000). Two guards keep junk out:
//
//   - feeDenomDecorator: a transaction's fee is in the bond denom only, in
//     CheckTx and in a block (a hostile proposer's transaction too);
//   - distrGuard: MsgFundCommunityPool and MsgDepositValidatorRewardsPool
//     take only rewarded denoms (x/staking-rewards Params.RewardedDenoms, the
//     governance list of denoms lockers are paid in; it includes the bond
//     denom), however the message arrives: a transaction, authz MsgExec,
//     an interchain account or a proposal.

// feeDenomDecorator refuses a transaction whose fee holds a coin of any
// denom but the bond denom (sdkerrors.ErrInvalidCoins).
type feeDenomDecorator struct{}

// AnteHandle implements sdk.AnteDecorator.
func (feeDenomDecorator) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	if feeTx, ok := tx.(sdk.FeeTx); ok {
		for _, c := range feeTx.GetFee() {
			if c.Denom != BondDenom {
				return ctx, errorsmod.Wrapf(sdkerrors.ErrInvalidCoins, "fee %s: fees are paid in %s only", feeTx.GetFee(), BondDenom)
			}
		}
	}
	return next(ctx, tx, simulate)
}

// distrGuard is x/distribution's Msg service with the funding messages
// restricted to rewarded denoms; every other message goes straight through.
type distrGuard struct {
	distrtypes.MsgServer
	rewards stakingrewardskeeper.Keeper
}

// FundCommunityPool implements distrtypes.MsgServer.
func (g distrGuard) FundCommunityPool(ctx context.Context, msg *distrtypes.MsgFundCommunityPool) (*distrtypes.MsgFundCommunityPoolResponse, error) {
	if err := g.check(ctx, msg.Amount); err != nil {
		return nil, err
	}
	return g.MsgServer.FundCommunityPool(ctx, msg)
}

// DepositValidatorRewardsPool implements distrtypes.MsgServer.
func (g distrGuard) DepositValidatorRewardsPool(ctx context.Context, msg *distrtypes.MsgDepositValidatorRewardsPool) (*distrtypes.MsgDepositValidatorRewardsPoolResponse, error) {
	if err := g.check(ctx, msg.Amount); err != nil {
		return nil, err
	}
	return g.MsgServer.DepositValidatorRewardsPool(ctx, msg)
}

func (g distrGuard) check(ctx context.Context, amount sdk.Coins) error {
	denoms, err := g.rewards.RewardedDenoms(ctx)
	if err != nil {
		return err
	}
	for _, c := range amount {
		if _, found := slices.BinarySearch(denoms, c.Denom); !found {
			return errorsmod.Wrapf(stakingrewardstypes.ErrDenomNotRewarded,
				"%s: x/distribution takes only rewarded denoms %v (x/staking-rewards reward_denoms, set by governance)", c.Denom, denoms)
		}
	}
	return nil
}

// guardedDistr is x/distribution's module with its Msg service behind
// distrGuard: its RegisterServices (queries, migrations) runs unchanged but
// for the Msg service's implementation.
type guardedDistr struct {
	distr.AppModule
	rewards stakingrewardskeeper.Keeper
}

// RegisterServices implements module.HasServices.
func (m guardedDistr) RegisterServices(cfg module.Configurator) {
	m.AppModule.RegisterServices(guardedConfigurator{Configurator: cfg, wrap: func(sd *grpc.ServiceDesc, impl any) any {
		if srv, ok := impl.(distrtypes.MsgServer); ok && sd.ServiceName == distrtypes.Msg_serviceDesc.ServiceName {
			return distrGuard{MsgServer: srv, rewards: m.rewards}
		}
		return impl
	}})
}

// ErrDenomFixed is a parameter change refused because it would move a
// denom the chain's balances are held in.
var ErrDenomFixed = errorsmod.Register("aichain", 2, "this denom cannot change")

// The bond denom and the mint denom are fixed: every delegation sits in the
// bonded pool in the bond denom, and x/compute, x/staking-rewards and the
// fee decorator assume BondDenom. x/staking's and x/mint's UpdateParams
// check only that the denom is valid, so a passed proposal could move
// bond_denom to another denom, after which no delegator could undelegate
// (TestAttackGovMovesStakingBondDenomStrandsDelegations), or set mint_denom
// to an IBC voucher, which x/mint would then mint every block, unbacked by
// the counterparty's escrow (TestAttackGovMintsCounterfeitIBCVouchers).
// stakingGuard and mintGuard refuse both (ErrDenomFixed), however the
// message arrives.

// stakingGuard is x/staking's Msg service with UpdateParams refusing a
// bond_denom change.
type stakingGuard struct {
	stakingtypes.MsgServer
	keeper *stakingkeeper.Keeper
}

// UpdateParams implements stakingtypes.MsgServer.
func (g stakingGuard) UpdateParams(ctx context.Context, msg *stakingtypes.MsgUpdateParams) (*stakingtypes.MsgUpdateParamsResponse, error) {
	cur, err := g.keeper.BondDenom(ctx)
	if err != nil {
		return nil, err
	}
	if msg.Params.BondDenom != cur {
		return nil, errorsmod.Wrapf(ErrDenomFixed, "bond_denom %q: it is %q, which every delegation is held in", msg.Params.BondDenom, cur)
	}
	return g.MsgServer.UpdateParams(ctx, msg)
}

// guardedStaking is x/staking's module with its Msg service behind
// stakingGuard.
type guardedStaking struct {
	staking.AppModule
	keeper *stakingkeeper.Keeper
}

// RegisterServices implements module.HasServices.
func (m guardedStaking) RegisterServices(cfg module.Configurator) {
	m.AppModule.RegisterServices(guardedConfigurator{Configurator: cfg, wrap: func(sd *grpc.ServiceDesc, impl any) any {
		if srv, ok := impl.(stakingtypes.MsgServer); ok && sd.ServiceName == stakingtypes.Msg_serviceDesc.ServiceName {
			return stakingGuard{MsgServer: srv, keeper: m.keeper}
		}
		return impl
	}})
}

// mintGuard is x/mint's Msg service with UpdateParams refusing a
// mint_denom other than the bond denom.
type mintGuard struct {
	minttypes.MsgServer
}

// UpdateParams implements minttypes.MsgServer.
func (g mintGuard) UpdateParams(ctx context.Context, msg *minttypes.MsgUpdateParams) (*minttypes.MsgUpdateParamsResponse, error) {
	if msg.Params.MintDenom != BondDenom {
		return nil, errorsmod.Wrapf(ErrDenomFixed, "mint_denom %q: x/mint mints %s only", msg.Params.MintDenom, BondDenom)
	}
	return g.MsgServer.UpdateParams(ctx, msg)
}

// guardedMint is x/mint's module with its Msg service behind mintGuard.
type guardedMint struct {
	mint.AppModule
}

// RegisterServices implements module.HasServices.
func (m guardedMint) RegisterServices(cfg module.Configurator) {
	m.AppModule.RegisterServices(guardedConfigurator{Configurator: cfg, wrap: func(sd *grpc.ServiceDesc, impl any) any {
		if srv, ok := impl.(minttypes.MsgServer); ok && sd.ServiceName == minttypes.Msg_serviceDesc.ServiceName {
			return mintGuard{MsgServer: srv}
		}
		return impl
	}})
}

// guardedConfigurator hands a module a Msg server that registers wrap's
// implementation of each service in place of the module's.
type guardedConfigurator struct {
	module.Configurator
	wrap func(sd *grpc.ServiceDesc, impl any) any
}

func (c guardedConfigurator) MsgServer() gogogrpc.Server {
	return guardedRegistrar{Server: c.Configurator.MsgServer(), wrap: c.wrap}
}

type guardedRegistrar struct {
	gogogrpc.Server
	wrap func(sd *grpc.ServiceDesc, impl any) any
}

func (r guardedRegistrar) RegisterService(sd *grpc.ServiceDesc, impl any) {
	r.Server.RegisterService(sd, r.wrap(sd, impl))
}

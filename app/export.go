package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	storetypes "cosmossdk.io/store/types"

	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	"github.com/cosmos/cosmos-sdk/x/staking"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// ExportAppStateAndValidators exports the state of the application for a
// genesis file. With forZeroHeight the state is prepared for a chain that
// restarts at height zero: rewards withdrawn, validator records reset.
func (app *App) ExportAppStateAndValidators(
	forZeroHeight bool, jailAllowedAddrs, modulesToExport []string,
) (servertypes.ExportedApp, error) {
	// Export as if at the next height, on the last committed state.
	ctx := app.NewContextLegacy(true, cmtproto.Header{Height: app.LastBlockHeight()})
	height := app.LastBlockHeight() + 1
	if forZeroHeight {
		height = 0
		if err := app.prepForZeroHeightGenesis(ctx, jailAllowedAddrs); err != nil {
			return servertypes.ExportedApp{}, err
		}
	}

	genState, err := app.ModuleManager.ExportGenesisForModules(ctx, app.appCodec, modulesToExport)
	if err != nil {
		return servertypes.ExportedApp{}, err
	}
	appState, err := json.MarshalIndent(genState, "", "  ")
	if err != nil {
		return servertypes.ExportedApp{}, err
	}
	validators, err := staking.WriteValidators(ctx, app.StakingKeeper)
	return servertypes.ExportedApp{
		AppState:        appState,
		Validators:      validators,
		Height:          height,
		ConsensusParams: app.GetConsensusParams(ctx),
	}, err
}

// prepForZeroHeightGenesis withdraws every reward and commission, resets the
// distribution and staking records to height zero, jails validators outside
// jailAllowedAddrs if that list is given, and rebases aichain's own heights.
func (app *App) prepForZeroHeightGenesis(ctx sdk.Context, jailAllowedAddrs []string) error {
	allowed, err := jailAllowlist(jailAllowedAddrs)
	if err != nil {
		return err
	}
	dels, err := app.withdrawAllRewards(ctx)
	if err != nil {
		return err
	}
	app.DistrKeeper.DeleteAllValidatorSlashEvents(ctx)
	app.DistrKeeper.DeleteAllValidatorHistoricalRewards(ctx)
	// The reinitialised distribution records start at height zero.
	if err := app.reinitDistribution(ctx.WithBlockHeight(0), dels); err != nil {
		return err
	}
	if err := app.resetUnbondingHeights(ctx); err != nil {
		return err
	}
	if err := app.resetValidators(ctx, allowed); err != nil {
		return err
	}
	if err := app.resetSigningInfos(ctx); err != nil {
		return err
	}
	return app.rebaseAichainHeights(ctx)
}

// jailAllowlist parses the validators that stay unjailed; nil means all do.
func jailAllowlist(addrs []string) (map[string]bool, error) {
	if len(addrs) == 0 {
		return nil, nil
	}
	allowed := make(map[string]bool, len(addrs))
	for _, addr := range addrs {
		if _, err := sdk.ValAddressFromBech32(addr); err != nil {
			return nil, fmt.Errorf("jail allowed address %q: %w", addr, err)
		}
		allowed[addr] = true
	}
	return allowed, nil
}

// forEachValidator calls fn for every validator, stopping at the first error.
func (app *App) forEachValidator(ctx sdk.Context, fn func(valBz []byte) error) error {
	valCodec := app.StakingKeeper.ValidatorAddressCodec()
	var ferr error
	err := app.StakingKeeper.IterateValidators(ctx, func(_ int64, val stakingtypes.ValidatorI) (stop bool) {
		valBz, err := valCodec.StringToBytes(val.GetOperator())
		if err == nil {
			err = fn(valBz)
		}
		ferr = err
		return err != nil
	})
	return errors.Join(err, ferr)
}

// withdrawAllRewards withdraws every validator's commission and every
// delegator's rewards, and returns the delegations.
func (app *App) withdrawAllRewards(ctx sdk.Context) ([]stakingtypes.Delegation, error) {
	err := app.forEachValidator(ctx, func(valBz []byte) error {
		_, _ = app.DistrKeeper.WithdrawValidatorCommission(ctx, valBz) // nothing to withdraw is fine
		return nil
	})
	if err != nil {
		return nil, err
	}
	dels, err := app.StakingKeeper.GetAllDelegations(ctx)
	if err != nil {
		return nil, err
	}
	for _, delegation := range dels {
		valAddr, err := sdk.ValAddressFromBech32(delegation.ValidatorAddress)
		if err != nil {
			return nil, err
		}
		delAddr, err := sdk.AccAddressFromBech32(delegation.DelegatorAddress)
		if err != nil {
			return nil, err
		}
		if _, err := app.DistrKeeper.WithdrawDelegationRewards(ctx, delAddr, valAddr); err != nil {
			return nil, fmt.Errorf("withdraw rewards of %s: %w", delegation.DelegatorAddress, err)
		}
	}
	return dels, nil
}

// reinitDistribution moves each validator's outstanding scraps to the
// community pool and re-creates the distribution records of every validator
// and delegation (ctx at height zero).
func (app *App) reinitDistribution(ctx sdk.Context, dels []stakingtypes.Delegation) error {
	err := app.forEachValidator(ctx, func(valBz []byte) error {
		scraps, err := app.DistrKeeper.GetValidatorOutstandingRewardsCoins(ctx, valBz)
		if err != nil {
			return err
		}
		feePool, err := app.DistrKeeper.FeePool.Get(ctx)
		if err != nil {
			return err
		}
		feePool.CommunityPool = feePool.CommunityPool.Add(scraps...)
		if err := app.DistrKeeper.FeePool.Set(ctx, feePool); err != nil {
			return err
		}
		return app.DistrKeeper.Hooks().AfterValidatorCreated(ctx, valBz)
	})
	if err != nil {
		return err
	}
	for _, del := range dels {
		valAddr, err := sdk.ValAddressFromBech32(del.ValidatorAddress)
		if err != nil {
			return err
		}
		delAddr, err := sdk.AccAddressFromBech32(del.DelegatorAddress)
		if err != nil {
			return err
		}
		if err := app.DistrKeeper.Hooks().BeforeDelegationCreated(ctx, delAddr, valAddr); err != nil {
			return err
		}
		if err := app.DistrKeeper.Hooks().AfterDelegationModified(ctx, delAddr, valAddr); err != nil {
			return err
		}
	}
	return nil
}

// resetUnbondingHeights sets every redelegation and unbonding entry's
// creation height to zero.
func (app *App) resetUnbondingHeights(ctx sdk.Context) error {
	var ferr error
	err := app.StakingKeeper.IterateRedelegations(ctx, func(_ int64, red stakingtypes.Redelegation) (stop bool) {
		for i := range red.Entries {
			red.Entries[i].CreationHeight = 0
		}
		ferr = app.StakingKeeper.SetRedelegation(ctx, red)
		return ferr != nil
	})
	if err = errors.Join(err, ferr); err != nil {
		return err
	}
	err = app.StakingKeeper.IterateUnbondingDelegations(ctx, func(_ int64, ubd stakingtypes.UnbondingDelegation) (stop bool) {
		for i := range ubd.Entries {
			ubd.Entries[i].CreationHeight = 0
		}
		ferr = app.StakingKeeper.SetUnbondingDelegation(ctx, ubd)
		return ferr != nil
	})
	return errors.Join(err, ferr)
}

// resetValidators zeroes every validator's unbonding height and jails the
// ones not in allowed (when allowed is not nil), then applies the set.
func (app *App) resetValidators(ctx sdk.Context, allowed map[string]bool) error {
	store := ctx.KVStore(app.keys[stakingtypes.StoreKey])
	iter := storetypes.KVStoreReversePrefixIterator(store, stakingtypes.ValidatorsKey)
	for ; iter.Valid(); iter.Next() {
		addr := sdk.ValAddress(stakingtypes.AddressFromValidatorsKey(iter.Key()))
		validator, err := app.StakingKeeper.GetValidator(ctx, addr)
		if err != nil {
			_ = iter.Close()
			return fmt.Errorf("validator %s in the index but not in the store: %w", addr, err)
		}
		validator.UnbondingHeight = 0
		if allowed != nil && !allowed[addr.String()] {
			validator.Jailed = true
		}
		if err := app.StakingKeeper.SetValidator(ctx, validator); err != nil {
			_ = iter.Close()
			return err
		}
	}
	if err := iter.Close(); err != nil {
		return err
	}
	_, err := app.StakingKeeper.ApplyAndReturnValidatorSetUpdates(ctx)
	return err
}

// resetSigningInfos sets the start height of every validator's signing info to zero.
func (app *App) resetSigningInfos(ctx sdk.Context) error {
	var ferr error
	err := app.SlashingKeeper.IterateValidatorSigningInfos(ctx,
		func(addr sdk.ConsAddress, info slashingtypes.ValidatorSigningInfo) (stop bool) {
			info.StartHeight = 0
			if err := app.SlashingKeeper.SetValidatorSigningInfo(ctx, addr, info); err != nil {
				ferr = fmt.Errorf("reset signing info of %s: %w", addr, err)
			}
			return ferr != nil
		})
	return errors.Join(err, ferr)
}

// rebaseAichainHeights: aichain's modules store absolute heights (job
// windows, jail and unbonding ends, licence expiries, their height-keyed
// queues); rebase them so that the new chain, which starts at height 1, sees
// every deadline after the blocks it had left (ctx is at the export height).
func (app *App) rebaseAichainHeights(ctx sdk.Context) error {
	for _, m := range []struct {
		name string
		prep func(context.Context) error
	}{
		{computetypes.ModuleName, app.ComputeKeeper.PrepareForZeroHeight},
		{datamarkettypes.ModuleName, app.DataMarketKeeper.PrepareForZeroHeight},
		{modelregistrytypes.ModuleName, app.ModelRegistryKeeper.PrepareForZeroHeight},
	} {
		if err := m.prep(ctx); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
	}
	return nil
}

package app

import (
	"context"
	"fmt"
	"sort"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	icatypes "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/types"
	ibctransfertypes "github.com/cosmos/ibc-go/v10/modules/apps/transfer/types"

	"github.com/aichain/aichain/types/common"
	// aichain module imports (each module adds its own lines below).

	computetypes "github.com/aichain/aichain/x/compute/types"
	stakingrewardstypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// maccPerms lists every module account and what it may do with coins.
var maccPerms = map[string][]string{
	authtypes.FeeCollectorName:     nil,
	distrtypes.ModuleName:          nil,
	minttypes.ModuleName:           {authtypes.Minter},
	stakingtypes.BondedPoolName:    {authtypes.Burner, authtypes.Staking},
	stakingtypes.NotBondedPoolName: {authtypes.Burner, authtypes.Staking},
	govtypes.ModuleName:            {authtypes.Burner},
	// IBC: transfer mints and burns vouchers, interchain accounts hold none.
	ibctransfertypes.ModuleName: {authtypes.Minter, authtypes.Burner},
	icatypes.ModuleName:         nil,

	// aichain: the reward pool receives protocol, market and platform fees.
	common.RewardPoolName: nil,
	// aichain module accounts (each module adds its own line below).
	// compute holds provider bonds, job escrows and dispute deposits, and burns slashes.
	computetypes.ModuleName:        {authtypes.Burner},
	stakingrewardstypes.ModuleName: nil, // holds locked tokens
}

// blockedModuleAccounts may not receive coins through bank sends: a send to
// them would change a module's books behind its back.
var blockedModuleAccounts = map[string]bool{
	authtypes.FeeCollectorName:     true,
	distrtypes.ModuleName:          true,
	minttypes.ModuleName:           true,
	stakingtypes.BondedPoolName:    true,
	stakingtypes.NotBondedPoolName: true,
	// gov is left unblocked, as in the SDK's apps: x/gov moves only the deposits it
	// tracks, so coins sent to it another way stay there for good (the sender's loss,
	// no one else's; nothing reads its balance per block).
	// IBC: transfer mints and burns vouchers (native coins sent out wait in
	// per-channel escrow addresses, not here) and interchain accounts holds
	// nothing: a send to either would be lost.
	ibctransfertypes.ModuleName: true,
	icatypes.ModuleName:         true,
	// aichain: escrow and lock accounts must hold exactly what their modules
	// account for. The reward pool stays open: a gift to it is a fee like any other.
	computetypes.ModuleName:        true,
	stakingrewardstypes.ModuleName: true,
}

// ModuleAccountAddrs returns every module account address.
func ModuleAccountAddrs() map[string]bool {
	addrs := make(map[string]bool, len(maccPerms))
	for acc := range maccPerms {
		addrs[authtypes.NewModuleAddress(acc).String()] = true
	}
	return addrs
}

// BlockedAddresses returns the module accounts that may not receive bank sends.
func BlockedAddresses() map[string]bool {
	addrs := make(map[string]bool, len(blockedModuleAccounts))
	for acc := range blockedModuleAccounts {
		addrs[authtypes.NewModuleAddress(acc).String()] = true
	}
	return addrs
}

// GetMaccPerms returns a copy of the module account permissions.
func GetMaccPerms() map[string][]string {
	out := make(map[string][]string, len(maccPerms))
	for k, v := range maccPerms {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// ensureModuleAccounts stores every module account of maccPerms that state
// does not hold yet, in name order (so that every node gives them the same
// account numbers), and turns back into its module account any other
// account found at a module account's address, keeping its number and
// sequence (its balance lives in x/bank and stays). It returns the names of
// the accounts it turned back.
//
// x/auth stores a module account only when something first asks for it.
// Until then its address (a hash of its name: no key can sign for it) is
// open: a bank send to one that x/bank does not block creates an ordinary
// account there, and so does MsgCreatePermanentLockedAccount, and x/bank's
// GetModuleAccount panics on that name ever after. For the ICS-20 transfer
// account that stops every voucher from being minted or burnt, for 1 uaic
// (TestAttackSquatModuleAccountAddress). InitChainer runs this after the
// modules' genesis, and the v3-verification upgrade on a running chain.
func (app *App) ensureModuleAccounts(ctx context.Context) ([]string, error) {
	names := make([]string, 0, len(maccPerms))
	for name := range maccPerms {
		names = append(names, name)
	}
	sort.Strings(names)
	var restored []string
	for _, name := range names {
		addr := authtypes.NewModuleAddress(name)
		acc := app.AccountKeeper.GetAccount(ctx, addr)
		switch acc.(type) {
		case nil:
			app.AccountKeeper.GetModuleAccount(ctx, name) // stores it
		case sdk.ModuleAccountI:
		default:
			base := authtypes.NewBaseAccount(addr, nil, acc.GetAccountNumber(), acc.GetSequence())
			app.AccountKeeper.SetAccount(ctx, authtypes.NewModuleAccount(base, name, maccPerms[name]...))
			restored = append(restored, name)
		}
		if _, ok := app.AccountKeeper.GetAccount(ctx, addr).(sdk.ModuleAccountI); !ok {
			return restored, fmt.Errorf("module account %s was not stored", name)
		}
	}
	return restored, nil
}

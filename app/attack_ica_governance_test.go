package app_test

import (
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	icahosttypes "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/host/types"
	ibcerrors "github.com/cosmos/ibc-go/v10/modules/core/errors"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	vetypes "github.com/aichain/aichain/app/ve/types"
)

// TestAttackICAHostGovernanceListRunsTheInjectionApp: ica_host.go says
// icaNeverAllowed (ve's MsgInjectVerdicts, which has no signer, and authz
// MsgExec) are "the messages no interchain account hosted here runs,
// whatever list governance sets". That is enforced only once, by the
// v3-verification upgrade handler (restrictICAHost). On a chain past it (or
// started from today's genesis), a governance MsgUpdateParams of the ICA
// host, passed after the upgrade (say "*", to let accounts use a new
// module), is stored as voted, and every counterparty chain's interchain
// account then runs MsgInjectVerdicts (and MsgExec) here again.
func TestAttackICAHostGovernanceListRunsTheInjectionApp(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	ica := newICAFixture(t, ta)
	inject := &vetypes.MsgInjectVerdicts{Height: ta.Ctx.BlockHeight() - 1}
	if err := ica.execute(t, inject); !errors.Is(err, ibcerrors.ErrUnauthorized) {
		t.Fatalf("before: the injection from an interchain account: %v, want ErrUnauthorized", err)
	}
	runVerificationUpgrade(t, ta)

	// A governance proposal passes, after the upgrade, that sets the host's list.
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	update := &icahosttypes.MsgUpdateParams{Signer: gov, Params: icahosttypes.NewParams(true, []string{icahosttypes.AllowAllHostMsgs})}
	if _, err := ta.MsgServiceRouter().Handler(update)(ta.Ctx, update); err != nil {
		t.Fatalf("governance's MsgUpdateParams: %v", err)
	}
	allowed := ta.ICAHostKeeper.GetParams(ta.Ctx).AllowMessages
	if err := ica.execute(t, inject); !errors.Is(err, ibcerrors.ErrUnauthorized) {
		t.Fatalf("after governance set the host's list, an interchain account ran MsgInjectVerdicts: %v (want ErrUnauthorized; allowed %v, %d names in %s's own list)",
			err, allowed, len(app.ICAHostAllowMessages()), app.UpgradeVerification)
	}
}

// TestAttackSimulateUnmeteredGasApp: a simulation is free (no fee, no
// signature checked) and the SDK runs it with an infinite gas meter
// whatever gas limit the transaction names: a 2.7 MB transaction of 20,000
// sends with a gas limit of 1 used 400,849,191 gas (661 ms) per call. Under
// max_tx_bytes, 6,500 sends with a gas limit of 1 now stop out of gas at
// app.MaxSimulateGas.
func TestAttackSimulateUnmeteredGasApp(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	from := ta.Accounts[0]
	msgs := make([]sdk.Msg, 6_500)
	for i := range msgs {
		msgs[i] = banktypes.NewMsgSend(from.Address, from.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	}
	bz := ta.SignTx(from, ta.AccountKeeper.GetAccount(ta.Ctx, from.Address).GetSequence(), 1, msgs...)
	if len(bz) > 1<<20 {
		t.Fatalf("the simulated tx is %d bytes, over max_tx_bytes", len(bz))
	}
	gas, _, err := ta.Simulate(bz)
	if !errors.Is(err, sdkerrors.ErrOutOfGas) {
		t.Fatalf("a simulation of %d sends with a gas limit of 1: %v, used %d gas; want ErrOutOfGas past %d", len(msgs), err, gas.GasUsed, app.MaxSimulateGas)
	}
	if gas.GasUsed > app.MaxSimulateGas+1_000_000 {
		t.Fatalf("the simulation used %d gas, cap %d", gas.GasUsed, app.MaxSimulateGas)
	}
}

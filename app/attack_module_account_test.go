package app_test

import (
	"fmt"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	vestingtypes "github.com/cosmos/cosmos-sdk/x/auth/vesting/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	ibctransfertypes "github.com/cosmos/ibc-go/v10/modules/apps/transfer/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/types/common"
)

// TestAttackSquatModuleAccountAddress: a module account's address is known
// to all (a hash of its name), but x/auth stores the account only when
// something first asks for it. Before that, anyone may put an ordinary
// account there: a bank send to an address that x/bank does not block (the
// reward pool, which takes gifts, and gov; ICS-20 transfer and interchain
// accounts too, until x/bank blocked them: TestSendToModuleAccountsRefused)
// creates a base account, and MsgCreatePermanentLockedAccount a vesting one.
// From then on x/bank's GetModuleAccount panics on that name: every job's
// creation fee, every reward claim, every inbound IBC transfer fails, for
// the price of one uaic. Mallory tries both on every unblocked module
// account of a fresh chain: each stays a module account, a send is only a
// gift (mallory pays it, the account gets it, to the coin), the vesting
// account is refused, and the reward pool then takes a job's creation fee
// and x/transfer mints a voucher.
func TestAttackSquatModuleAccountAddress(t *testing.T) {
	one := sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1))
	squats := []struct {
		name string
		msg  func(from, to sdk.AccAddress) sdk.Msg
		ok   bool // whether the message succeeds on a module account (as a gift)
	}{
		{"bank send", func(from, to sdk.AccAddress) sdk.Msg { return banktypes.NewMsgSend(from, to, one) }, true},
		{"permanent locked account", func(from, to sdk.AccAddress) sdk.Msg {
			return vestingtypes.NewMsgCreatePermanentLockedAccount(from, to, one)
		}, false}, // "account already exists": ErrInvalidRequest
	}
	for _, squat := range squats {
		t.Run(squat.name, func(t *testing.T) {
			ta := apptesting.Setup(t, 2)
			alice, mallory := ta.Accounts[0], ta.Accounts[1]
			for _, name := range unblockedModuleAccounts() {
				addr := authtypes.NewModuleAddress(name)
				malloryBefore, accBefore := ta.Balance(mallory.Address, app.BondDenom), ta.Balance(addr, app.BondDenom)
				r := ta.DeliverTx(mallory, squat.msg(mallory.Address, addr))
				refused := r.Codespace == sdkerrors.ErrInvalidRequest.Codespace() && r.Code == sdkerrors.ErrInvalidRequest.ABCICode()
				if (squat.ok && r.Code != 0) || (!squat.ok && !refused) {
					t.Fatalf("%s to the %s module account: code %d (%s)", squat.name, name, r.Code, r.Log)
				}
				if _, ok := ta.AccountKeeper.GetAccount(ta.Ctx, addr).(sdk.ModuleAccountI); !ok {
					t.Fatalf("after a %s, the %s address holds a %T, not a module account",
						squat.name, name, ta.AccountKeeper.GetAccount(ta.Ctx, addr))
				}
				moved := math.ZeroInt()
				if squat.ok {
					moved = math.OneInt()
				}
				if got := ta.Balance(mallory.Address, app.BondDenom); !got.Equal(malloryBefore.Sub(moved)) {
					t.Fatalf("mallory's balance %s → %s, want −%s", malloryBefore, got, moved)
				}
				if got := ta.Balance(addr, app.BondDenom); !got.Equal(accBefore.Add(moved)) {
					t.Fatalf("the %s account's balance %s → %s, want +%s", name, accBefore, got, moved)
				}
			}
			assertJobPaysCreationFee(t, ta, alice)
			voucher := sdk.NewCoins(sdk.NewInt64Coin("ibc/"+fmt.Sprintf("%064X", 1), 7))
			if err := mintAsTransfer(ta, voucher); err != nil {
				t.Fatalf("x/transfer cannot mint a voucher: %v", err)
			}
		})
	}
}

// assertJobPaysCreationFee has alice create a job in a transaction and checks
// that the reward pool got the creation fee and alice paid it and the
// escrow, to the coin.
func assertJobPaysCreationFee(t *testing.T, ta *apptesting.TestApp, alice apptesting.Account) {
	t.Helper()
	params, err := ta.ComputeKeeper.Params.Get(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	poolBefore, aliceBefore := ta.Balance(pool, app.BondDenom), ta.Balance(alice.Address, app.BondDenom)
	if r := ta.DeliverTx(alice, createMsg(alice.Address.String(), 1)); r.Code != 0 {
		t.Fatalf("alice's job: code %d (%s)", r.Code, r.Log)
	}
	fee := params.JobCreationFee.Amount
	if got := ta.Balance(pool, app.BondDenom); !got.Equal(poolBefore.Add(fee)) {
		t.Fatalf("reward pool %s → %s, want +%s", poolBefore, got, fee)
	}
	if got, want := ta.Balance(alice.Address, app.BondDenom), aliceBefore.Sub(fee).SubRaw(jobMaxPrice); !got.Equal(want) {
		t.Fatalf("alice %s → %s, want %s (creation fee %s, escrow %d)", aliceBefore, got, want, fee, jobMaxPrice)
	}
}

// mintAsTransfer mints coins as x/transfer does for an inbound ICS-20 packet,
// returning a panic as an error.
func mintAsTransfer(ta *apptesting.TestApp, coins sdk.Coins) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return ta.BankKeeper.MintCoins(ta.Ctx, ibctransfertypes.ModuleName, coins)
}

// unblockedModuleAccounts are the module accounts x/bank lets anyone send to.
func unblockedModuleAccounts() []string {
	blocked := app.BlockedAddresses()
	var out []string
	for _, name := range []string{common.RewardPoolName, ibctransfertypes.ModuleName, "interchainaccounts", "gov", minttypes.ModuleName} {
		if !blocked[authtypes.NewModuleAddress(name).String()] {
			out = append(out, name)
		}
	}
	return out
}

// TestUpgradeRestoresSquattedModuleAccounts: on a chain that ran before
// InitChainer stored every module account, an ordinary account may already
// sit at a module account's address. The v3-verification upgrade turns a
// base account (at ICS-20 transfer's address) and a permanent locked account
// (at interchain accounts') back into their module accounts, keeping their
// account numbers and balances to the coin, and x/transfer mints again.
func TestUpgradeRestoresSquattedModuleAccounts(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	squat := map[string]sdk.AccountI{}
	for i, name := range []string{ibctransfertypes.ModuleName, "interchainaccounts"} {
		addr := authtypes.NewModuleAddress(name)
		num := ta.AccountKeeper.GetAccount(ta.Ctx, addr).GetAccountNumber()
		base := authtypes.NewBaseAccount(addr, nil, num, 0)
		var acc sdk.AccountI = base
		if i == 1 {
			locked, err := vestingtypes.NewPermanentLockedAccount(base, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
			if err != nil {
				t.Fatal(err)
			}
			acc = locked
		}
		ta.AccountKeeper.SetAccount(ta.Ctx, acc)
		// What the squatter's send left there (keeper-level: x/bank now blocks a send to transfer).
		if err := ta.BankKeeper.SendCoins(ta.Ctx, ta.Accounts[0].Address, addr, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1))); err != nil {
			t.Fatal(err)
		}
		squat[name] = acc
	}
	if err := mintAsTransfer(ta, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1))); err == nil {
		t.Fatal("the squatted transfer account still mints: the test does not set up the attack")
	}
	runVerificationUpgrade(t, ta)
	for name, before := range squat {
		addr := authtypes.NewModuleAddress(name)
		macc, ok := ta.AccountKeeper.GetAccount(ta.Ctx, addr).(sdk.ModuleAccountI)
		if !ok || macc.GetName() != name || macc.GetAccountNumber() != before.GetAccountNumber() {
			t.Fatalf("%s after the upgrade: %v", name, ta.AccountKeeper.GetAccount(ta.Ctx, addr))
		}
		if got := ta.Balance(addr, app.BondDenom); !got.Equal(math.OneInt()) {
			t.Fatalf("%s's balance after the upgrade: %s, want 1", name, got)
		}
	}
	if err := mintAsTransfer(ta, sdk.NewCoins(sdk.NewInt64Coin("ibc/"+fmt.Sprintf("%064X", 2), 3))); err != nil {
		t.Fatalf("x/transfer cannot mint after the upgrade: %v", err)
	}
}

// TestSendToModuleAccountsRefused: every module account but the reward pool
// (gifts are fees) and gov (funds for the community) refuses a bank send,
// with x/bank's ErrUnauthorized, and no coin moves: an escrow or lock
// account must hold exactly what its module accounts for, and ICS-20
// transfer and interchain accounts hold nothing, so a send to them would be
// lost.
func TestSendToModuleAccountsRefused(t *testing.T) {
	ta := apptesting.Setup(t, 2)
	mallory := ta.Accounts[1]
	open := map[string]bool{common.RewardPoolName: true, "gov": true}
	for name := range app.GetMaccPerms() {
		if open[name] {
			continue
		}
		addr := authtypes.NewModuleAddress(name)
		malloryBefore := ta.Balance(mallory.Address, app.BondDenom)
		r := ta.DeliverTx(mallory, banktypes.NewMsgSend(mallory.Address, addr, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1))))
		if r.Codespace != sdkerrors.ErrUnauthorized.Codespace() || r.Code != sdkerrors.ErrUnauthorized.ABCICode() {
			t.Fatalf("a send to the %s module account: code %s/%d (%s), want ErrUnauthorized", name, r.Codespace, r.Code, r.Log)
		}
		if got := ta.Balance(mallory.Address, app.BondDenom); !got.Equal(malloryBefore) {
			t.Fatalf("mallory's balance %s → %s after a refused send to %s", malloryBefore, got, name)
		}
		for _, e := range r.Events { // its balance moves by itself (fees, inflation): read the result instead
			for _, a := range e.Attributes {
				if e.Type == banktypes.EventTypeCoinReceived && a.Key == banktypes.AttributeKeyReceiver && a.Value == addr.String() {
					t.Fatalf("the refused send to %s still paid it: %v", name, e)
				}
			}
		}
	}
}

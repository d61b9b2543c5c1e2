package modkit_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/internal/modkit"
)

// storeBank is a bank over a collections map, so that cache contexts apply
// to it as they do to x/bank.
type storeBank struct {
	balances collections.Map[collections.Pair[[]byte, string], math.Int]
	blocked  map[string]bool
	failTo   string // a recipient whose send fails
}

func (b storeBank) move(ctx context.Context, from, to sdk.AccAddress, amt sdk.Coins) error {
	if to.String() == b.failTo {
		return errors.New("send refused")
	}
	for _, c := range amt {
		have, err := b.balances.Get(ctx, collections.Join([]byte(from), c.Denom))
		if err != nil && !errors.Is(err, collections.ErrNotFound) {
			return err
		}
		if have.IsNil() || have.LT(c.Amount) {
			return errors.New("insufficient funds")
		}
		if err := b.balances.Set(ctx, collections.Join([]byte(from), c.Denom), have.Sub(c.Amount)); err != nil {
			return err
		}
		got, err := b.balances.Get(ctx, collections.Join([]byte(to), c.Denom))
		if errors.Is(err, collections.ErrNotFound) {
			got = math.ZeroInt()
		} else if err != nil {
			return err
		}
		if err := b.balances.Set(ctx, collections.Join([]byte(to), c.Denom), got.Add(c.Amount)); err != nil {
			return err
		}
	}
	return nil
}

func (b storeBank) balance(ctx context.Context, addr sdk.AccAddress, denom string) int64 {
	v, err := b.balances.Get(ctx, collections.Join([]byte(addr), denom))
	if err != nil {
		return 0
	}
	return v.Int64()
}

func (b storeBank) GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin {
	return sdk.NewInt64Coin(denom, b.balance(ctx, addr, denom))
}

func (b storeBank) LockedCoins(context.Context, sdk.AccAddress) sdk.Coins { return sdk.NewCoins() }

func (b storeBank) SendCoins(ctx context.Context, from, to sdk.AccAddress, amt sdk.Coins) error {
	return b.move(ctx, from, to, amt)
}

// InputOutputCoins checks every recipient before it moves anything, as
// x/bank does (its send restrictions run first), then moves output by output.
func (b storeBank) InputOutputCoins(ctx context.Context, in banktypes.Input, outs []banktypes.Output) error {
	if err := banktypes.ValidateInputOutputs(in, outs); err != nil {
		return err
	}
	from, err := sdk.AccAddressFromBech32(in.Address)
	if err != nil {
		return err
	}
	for _, o := range outs {
		if o.Address == b.failTo {
			return errors.New("send refused")
		}
	}
	for _, o := range outs {
		to, err := sdk.AccAddressFromBech32(o.Address)
		if err != nil {
			return err
		}
		if err := b.move(ctx, from, to, o.Coins); err != nil {
			return err
		}
	}
	return nil
}

func (b storeBank) BlockedAddr(addr sdk.AccAddress) bool { return b.blocked[addr.String()] }

func newBank(t *testing.T, e env) storeBank {
	t.Helper()
	b := storeBank{
		balances: collections.NewMap(e.sb, collections.NewPrefix(9), "balances",
			collections.PairKeyCodec(collections.BytesKey, collections.StringKey), sdk.IntValue),
		blocked: map[string]bool{authtypes.NewModuleAddress("compute").String(): true},
	}
	if _, err := e.sb.Build(); err != nil {
		t.Fatal(err)
	}
	return b
}

func acc(n byte) sdk.AccAddress { return sdk.AccAddress(append(make([]byte, 19), n)) }

// TestPayShares pays 1000 with a 2.5% fee over shares 2:1: 25 to the pool,
// 650 and 325 to the shares (the remainder to the first), from an account and
// from a module account.
func TestPayShares(t *testing.T) {
	e := newEnv(t)
	bank := newBank(t, e)
	p := modkit.Payout{Bank: bank, Accounts: modules(), Addresses: addresscodec.NewBech32Codec("cosmos"), ErrShares: errShares, ErrFunds: errFunds}
	buyer, a, b := acc(1), acc(2), acc(3)
	if err := bank.balances.Set(e.ctx, collections.Join([]byte(buyer), "uaic"), math.NewInt(5000)); err != nil {
		t.Fatal(err)
	}
	shares := []common.Share{{Address: a.String(), Weight: 2}, {Address: b.String(), Weight: 1}}
	paid, err := p.Pay(e.ctx, modkit.FromAccount(buyer), sdk.NewCoins(sdk.NewInt64Coin("uaic", 1000)), 250, shares)
	if err != nil {
		t.Fatal(err)
	}
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	for addr, want := range map[string]int64{buyer.String(): 4000, pool.String(): 25, a.String(): 650, b.String(): 325} {
		acct, _ := sdk.AccAddressFromBech32(addr)
		if got := bank.balance(e.ctx, acct, "uaic"); got != want {
			t.Errorf("%s has %d, want %d", addr, got, want)
		}
	}
	if !paid.Fee.Equal(sdk.NewCoins(sdk.NewInt64Coin("uaic", 25))) || len(paid.Parts) != 2 {
		t.Fatalf("paid %+v", paid)
	}
	// From a module account (escrow): the same rule.
	if err := bank.SendCoins(e.ctx, buyer, authtypes.NewModuleAddress("escrow"), sdk.NewCoins(sdk.NewInt64Coin("uaic", 100))); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Pay(e.ctx, modkit.FromModule("escrow"), sdk.NewCoins(sdk.NewInt64Coin("uaic", 100)), 1000, shares); err != nil {
		t.Fatal(err)
	}
	if got := bank.balance(e.ctx, a, "uaic"); got != 650+60 {
		t.Fatalf("first share has %d, want 710 (60 of 90)", got)
	}
}

// TestPayRevenueToModuleAccountRefused: a share naming a blocked module
// account is refused with the module's shares error, and nothing moves.
func TestPayRevenueToModuleAccountRefused(t *testing.T) {
	e := newEnv(t)
	bank := newBank(t, e)
	p := modkit.Payout{Bank: bank, Accounts: modules(), Addresses: addresscodec.NewBech32Codec("cosmos"), ErrShares: errShares, ErrFunds: errFunds}
	buyer := acc(1)
	if err := bank.balances.Set(e.ctx, collections.Join([]byte(buyer), "uaic"), math.NewInt(5000)); err != nil {
		t.Fatal(err)
	}
	shares := []common.Share{{Address: acc(2).String(), Weight: 1}, {Address: authtypes.NewModuleAddress("compute").String(), Weight: 1}}
	_, err := p.Pay(e.ctx, modkit.FromAccount(buyer), sdk.NewCoins(sdk.NewInt64Coin("uaic", 1000)), 250, shares)
	if !errShares.Is(err) {
		t.Fatalf("got %v, want the shares error", err)
	}
	if got := bank.balance(e.ctx, buyer, "uaic"); got != 5000 {
		t.Fatalf("buyer has %d after a refused payout, want 5000", got)
	}
	if _, err := p.CheckShares(e.ctx, shares); !errShares.Is(err) {
		t.Fatalf("CheckShares: %v", err)
	}
	// Not blocked by the bank, still a module account: the reward pool, and
	// one that only exists in state.
	for _, mod := range []sdk.AccAddress{authtypes.NewModuleAddress(common.RewardPoolName), acc(9)} {
		shares := []common.Share{{Address: acc(2).String(), Weight: 1}, {Address: mod.String(), Weight: 1}}
		if _, err := p.Pay(e.ctx, modkit.FromAccount(buyer), sdk.NewCoins(sdk.NewInt64Coin("uaic", 1000)), 250, shares); !errShares.Is(err) {
			t.Fatalf("share to module account %s: %v, want the shares error", mod, err)
		}
	}
	if got := bank.balance(e.ctx, buyer, "uaic"); got != 5000 {
		t.Fatalf("buyer has %d after refused payouts, want 5000", got)
	}
}

// TestCheckSharesCanonical: shares come back in the codec's spelling, and
// two spellings of one account are one account.
func TestCheckSharesCanonical(t *testing.T) {
	e := newEnv(t)
	p := modkit.Payout{Bank: newBank(t, e), Accounts: modules(), Addresses: addresscodec.NewBech32Codec("cosmos"), ErrShares: errShares, ErrFunds: errFunds}
	lower := acc(2).String()
	upper := strings.ToUpper(lower)
	got, err := p.CheckShares(e.ctx, []common.Share{{Address: upper, Weight: 3}, {Address: acc(3).String(), Weight: 1}})
	if err != nil || got[0].Address != lower || got[0].Weight != 3 || got[1].Address != acc(3).String() {
		t.Fatalf("canonical shares: %+v, %v", got, err)
	}
	if _, err := p.CheckShares(e.ctx, []common.Share{{Address: upper, Weight: 1}, {Address: lower, Weight: 1}}); !errShares.Is(err) {
		t.Fatalf("one account in two spellings: %v, want the shares error", err)
	}
	p.Accounts = nil
	if _, err := p.CheckShares(e.ctx, []common.Share{{Address: lower, Weight: 1}}); !errShares.Is(err) {
		t.Fatalf("no module-account test: %v, want the shares error", err)
	}
}

// fakeModules is a ModuleAccounts: the app's module names, and acc(9), an
// account stored as a module account.
type fakeModules map[string]bool

func (f fakeModules) IsModuleAccount(_ context.Context, addr sdk.AccAddress) bool {
	return f[string(addr)]
}

func modules() fakeModules {
	f := fakeModules{string(acc(9)): true}
	for _, name := range []string{"compute", "escrow", common.RewardPoolName, "bonded_tokens_pool"} {
		f[string(authtypes.NewModuleAddress(name))] = true
	}
	return f
}

// TestPayAllOrNothing: when a later share's recipient refuses, nothing moves
// (the bank checks every recipient first, as x/bank does:
// TestPayAllOrNothingRealBank); when the payer cannot cover the amount, the
// funds error is returned.
func TestPayAllOrNothing(t *testing.T) {
	e := newEnv(t)
	bank := newBank(t, e)
	buyer, a, b := acc(1), acc(2), acc(3)
	bank.failTo = b.String()
	p := modkit.Payout{Bank: bank, Accounts: modules(), Addresses: addresscodec.NewBech32Codec("cosmos"), ErrShares: errShares, ErrFunds: errFunds}
	if err := bank.balances.Set(e.ctx, collections.Join([]byte(buyer), "uaic"), math.NewInt(5000)); err != nil {
		t.Fatal(err)
	}
	shares := []common.Share{{Address: a.String(), Weight: 1}, {Address: b.String(), Weight: 1}}
	if _, err := p.Pay(e.ctx, modkit.FromAccount(buyer), sdk.NewCoins(sdk.NewInt64Coin("uaic", 1000)), 250, shares); err == nil {
		t.Fatal("a failed share transfer was not reported")
	}
	for addr, want := range map[string]int64{buyer.String(): 5000, a.String(): 0} {
		acct, _ := sdk.AccAddressFromBech32(addr)
		if got := bank.balance(e.ctx, acct, "uaic"); got != want {
			t.Errorf("%s has %d after a failed payout, want %d", addr, got, want)
		}
	}
	bank.failTo = ""
	p.Bank = bank
	if _, err := p.Pay(e.ctx, modkit.FromAccount(buyer), sdk.NewCoins(sdk.NewInt64Coin("uaic", 6000)), 250, shares); !errFunds.Is(err) {
		t.Fatalf("overdraft: %v, want the funds error", err)
	}
}

package modkit

import (
	"context"

	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/types/common"
)

// PayoutBank is what a payout needs from x/bank.
type PayoutBank interface {
	BalanceReader
	MultiSender
	// BlockedAddr is true for the module accounts that may not receive
	// coins through a plain send (x/bank's blocked list).
	BlockedAddr(addr sdk.AccAddress) bool
}

// Payer is where a payment comes from: a module account (Module) or an
// account (Account). Exactly one is set.
type Payer struct {
	Module  string
	Account sdk.AccAddress
}

// FromModule is the payer of a module account's coins (escrow).
func FromModule(name string) Payer { return Payer{Module: name} }

// FromAccount is the payer of an account's coins (a buyer).
func FromAccount(addr sdk.AccAddress) Payer { return Payer{Account: addr} }

// ModuleAccounts tells module accounts apart from the accounts of people:
// revenue shares may name none of them (a module's balance must equal its
// books), whether x/bank blocks sends to it or not.
type ModuleAccounts interface {
	IsModuleAccount(ctx context.Context, addr sdk.AccAddress) bool
}

// AuthKeeper is what NewModuleAccounts needs from x/auth.
type AuthKeeper interface {
	GetAccount(ctx context.Context, addr sdk.AccAddress) sdk.AccountI
	GetModulePermissions() map[string]authtypes.PermissionsForAddress
}

type moduleAccounts struct {
	ak    AuthKeeper
	perms map[string]bool // module addresses of the app's maccPerms, as raw bytes
}

// NewModuleAccounts returns x/auth's test of a module account: an address
// of the app's module account permissions (maccPerms: every module account
// the app declares, created in state yet or not), or an account stored as a
// sdk.ModuleAccountI.
func NewModuleAccounts(ak AuthKeeper) ModuleAccounts {
	perms := make(map[string]bool)
	for _, p := range ak.GetModulePermissions() {
		perms[string(p.GetAddress())] = true
	}
	return moduleAccounts{ak: ak, perms: perms}
}

// IsModuleAccount implements ModuleAccounts.
func (m moduleAccounts) IsModuleAccount(ctx context.Context, addr sdk.AccAddress) bool {
	if m.perms[string(addr)] {
		return true
	}
	_, ok := m.ak.GetAccount(ctx, addr).(sdk.ModuleAccountI)
	return ok
}

// Payout pays amounts over revenue shares for one module. Its errors wrap the
// module's own registered errors, so that users see that module's codes.
type Payout struct {
	Bank PayoutBank
	// Accounts tells module accounts apart (NewModuleAccounts); required.
	Accounts  ModuleAccounts
	Addresses address.Codec
	// ErrShares is returned for invalid shares and for a share whose
	// address is a module account; ErrFunds when the payer cannot cover
	// the amount.
	ErrShares, ErrFunds *errorsmod.Error
}

// Paid is what a payout moved: the fee part to the reward pool, and each
// share's part, in share order (possibly empty).
type Paid struct {
	Fee   sdk.Coins
	Parts []sdk.Coins
}

// Plan computes a payout without moving anything: fee = floor(amount ×
// feeBps / 10000) per denom (common.FeePart) to the reward pool, and the rest
// split over shares by weight with the remainder to the first share
// (common.SplitCoins). The shares must pass CheckShares: revenue can never be
// pushed into a module account. The recipients are the shares' addresses in
// the codec's canonical form, in share order.
func (p Payout) Plan(ctx context.Context, amount sdk.Coins, feeBps uint32, shares []common.Share) (Paid, []string, error) {
	if err := amount.Validate(); err != nil {
		return Paid{}, nil, errorsmod.Wrapf(p.ErrFunds, "amount %s: %v", amount, err)
	}
	canonical, err := p.CheckShares(ctx, shares)
	if err != nil {
		return Paid{}, nil, err
	}
	recipients := make([]string, len(canonical))
	for i, s := range canonical {
		recipients[i] = s.Address
	}
	fee := common.FeePart(amount, feeBps)
	parts, err := common.SplitCoins(amount.Sub(fee...), shares)
	if err != nil {
		return Paid{}, nil, errorsmod.Wrapf(p.ErrShares, "%v", err)
	}
	return Paid{Fee: fee, Parts: parts}, recipients, nil
}

// CheckNewShares is CheckShares for a list a message sets: its addresses at
// most common.MaxShareAddressBytes (common.ValidateNewShares).
func (p Payout) CheckNewShares(ctx context.Context, shares []common.Share) ([]common.Share, error) {
	if err := common.ValidateNewShares(shares); err != nil {
		return nil, errorsmod.Wrapf(p.ErrShares, "%v", err)
	}
	return p.CheckShares(ctx, shares)
}

// CheckShares checks a share list against state as well as statelessly, and
// returns it with every address in the codec's canonical form (the form to
// store: bech32 also accepts upper case). No two shares may name the same
// account (in any spelling), and no share may name a module account: neither
// one x/bank blocks nor any other (the reward pool, gov, a module account
// created in state). Call it wherever shares are set (listing, registration,
// share updates, genesis) as well as before paying.
func (p Payout) CheckShares(ctx context.Context, shares []common.Share) ([]common.Share, error) {
	if err := common.ValidateShares(shares); err != nil {
		return nil, errorsmod.Wrapf(p.ErrShares, "%v", err)
	}
	if p.Accounts == nil {
		return nil, errorsmod.Wrap(p.ErrShares, "no module-account test configured")
	}
	out := make([]common.Share, len(shares))
	seen := make(map[string]bool, len(shares))
	for i, s := range shares {
		addr, err := p.Addresses.StringToBytes(s.Address)
		if err != nil {
			return nil, errorsmod.Wrapf(p.ErrShares, "share %d address %q: %v", i, s.Address, err)
		}
		if seen[string(addr)] {
			return nil, errorsmod.Wrapf(p.ErrShares, "share %d (%s) names an account that an earlier share names", i, s.Address)
		}
		seen[string(addr)] = true
		if p.Bank.BlockedAddr(addr) || p.Accounts.IsModuleAccount(ctx, addr) {
			return nil, errorsmod.Wrapf(p.ErrShares, "share %d (%s) is a module account that may not receive revenue", i, s.Address)
		}
		canonical, err := p.Addresses.BytesToString(addr)
		if err != nil {
			return nil, errorsmod.Wrapf(p.ErrShares, "share %d address %q: %v", i, s.Address, err)
		}
		out[i] = common.Share{Address: canonical, Weight: s.Weight}
	}
	return out, nil
}

// Pay moves amount from payer: the fee part to the reward pool, the rest over
// shares (see Plan), in one x/bank transfer (SendMany). It moves all or
// nothing: the payer's spendable balance is checked first, and x/bank's
// InputOutputCoins checks every recipient (send restrictions) before it
// writes a balance, then takes the total from the payer and adds each part
// (TestPayAllOrNothingRealBank). It opens no cache context of its own: a
// failure may leave a new recipient's empty account behind, so a caller
// that goes on after a failed Pay runs it in one (every caller in x/ does,
// or fails its transaction). A zero amount pays nothing and checks nothing.
func (p Payout) Pay(ctx context.Context, from Payer, amount sdk.Coins, feeBps uint32, shares []common.Share) (Paid, error) {
	if amount.IsZero() {
		return Paid{Fee: sdk.NewCoins(), Parts: make([]sdk.Coins, len(shares))}, nil
	}
	paid, recipients, err := p.Plan(ctx, amount, feeBps, shares)
	if err != nil {
		return Paid{}, err
	}
	if ok, short, has := SpendableAll(ctx, p.Bank, from.address(), amount); !ok {
		return Paid{}, errorsmod.Wrapf(p.ErrFunds, "%s has %s spendable, needs %s (of %s)", from, has, short, amount)
	}
	payer, outs, err := p.outputs(from, paid, recipients)
	if err != nil {
		return Paid{}, err
	}
	if err := SendMany(ctx, p.Bank, payer, outs); err != nil {
		return Paid{}, errorsmod.Wrapf(err, "pay %s from %s (fee %s to %s, the rest over %d shares)", amount, from, paid.Fee, common.RewardPoolName, len(shares))
	}
	return paid, nil
}

// outputs is the payer's address and the transfer's outputs of a planned
// payout, in bech32: the fee to the reward pool, then each share's part.
func (p Payout) outputs(from Payer, paid Paid, recipients []string) (string, []Output, error) {
	payer, err := p.Addresses.BytesToString(from.address())
	if err != nil {
		return "", nil, errorsmod.Wrapf(p.ErrFunds, "payer %s: %v", from, err)
	}
	pool, err := ModuleBech32(p.Addresses, common.RewardPoolName)
	if err != nil {
		return "", nil, errorsmod.Wrapf(p.ErrShares, "reward pool address: %v", err)
	}
	outs := append(make([]Output, 0, len(recipients)+1), Output{Address: pool, Coins: paid.Fee})
	for i, to := range recipients {
		outs = append(outs, Output{Address: to, Coins: paid.Parts[i]})
	}
	return payer, outs, nil
}

func (f Payer) address() sdk.AccAddress {
	if f.Module != "" {
		return moduleAddress(f.Module)
	}
	return f.Account
}

func (f Payer) String() string {
	if f.Module != "" {
		return "module " + f.Module
	}
	return f.Account.String()
}

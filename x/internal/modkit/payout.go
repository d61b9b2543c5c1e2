package modkit

import (
	"context"

	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

// PayoutBank is what a payout needs from x/bank.
type PayoutBank interface {
	SpendableCoins(ctx context.Context, addr sdk.AccAddress) sdk.Coins
	SendCoins(ctx context.Context, fromAddr, toAddr sdk.AccAddress, amt sdk.Coins) error
	SendCoinsFromAccountToModule(ctx context.Context, senderAddr sdk.AccAddress, recipientModule string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipientAddr sdk.AccAddress, amt sdk.Coins) error
	SendCoinsFromModuleToModule(ctx context.Context, senderModule, recipientModule string, amt sdk.Coins) error
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

// Payout pays amounts over revenue shares for one module. Its errors wrap the
// module's own registered errors, so that users see that module's codes.
type Payout struct {
	Bank      PayoutBank
	Addresses address.Codec
	// ErrShares is returned for invalid shares and for a share whose
	// address is blocked (a module account); ErrFunds when the payer cannot
	// cover the amount.
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
// (common.SplitCoins). Every share address must decode and must not be a
// blocked address: revenue can never be pushed into a module account.
func (p Payout) Plan(amount sdk.Coins, feeBps uint32, shares []common.Share) (Paid, []sdk.AccAddress, error) {
	if err := amount.Validate(); err != nil {
		return Paid{}, nil, errorsmod.Wrapf(p.ErrFunds, "amount %s: %v", amount, err)
	}
	if err := p.CheckShares(shares); err != nil {
		return Paid{}, nil, err
	}
	recipients := make([]sdk.AccAddress, len(shares))
	for i, s := range shares {
		addr, err := p.Addresses.StringToBytes(s.Address)
		if err != nil {
			return Paid{}, nil, errorsmod.Wrapf(p.ErrShares, "share %d address %q: %v", i, s.Address, err)
		}
		recipients[i] = addr
	}
	fee := common.FeePart(amount, feeBps)
	parts, err := common.SplitCoins(amount.Sub(fee...), shares)
	if err != nil {
		return Paid{}, nil, errorsmod.Wrapf(p.ErrShares, "%v", err)
	}
	return Paid{Fee: fee, Parts: parts}, recipients, nil
}

// CheckShares checks a share list against state as well as statelessly: no
// share may name a blocked address. Call it where shares are set (listing,
// registration, share updates) as well as before paying.
func (p Payout) CheckShares(shares []common.Share) error {
	if err := common.ValidateShares(shares); err != nil {
		return errorsmod.Wrapf(p.ErrShares, "%v", err)
	}
	for i, s := range shares {
		addr, err := p.Addresses.StringToBytes(s.Address)
		if err != nil {
			return errorsmod.Wrapf(p.ErrShares, "share %d address %q: %v", i, s.Address, err)
		}
		if p.Bank.BlockedAddr(addr) {
			return errorsmod.Wrapf(p.ErrShares, "share %d (%s) is a module account that may not receive revenue", i, s.Address)
		}
	}
	return nil
}

// Pay moves amount from payer: the fee part to the reward pool, the rest over
// shares (see Plan). It is all or nothing: the payer's spendable balance is
// checked first, and the transfers run in a cache context written only when
// every one succeeds. A zero amount pays nothing and checks nothing.
func (p Payout) Pay(ctx context.Context, from Payer, amount sdk.Coins, feeBps uint32, shares []common.Share) (Paid, error) {
	if amount.IsZero() {
		return Paid{Fee: sdk.NewCoins(), Parts: make([]sdk.Coins, len(shares))}, nil
	}
	paid, recipients, err := p.Plan(amount, feeBps, shares)
	if err != nil {
		return Paid{}, err
	}
	if spendable := p.Bank.SpendableCoins(ctx, from.address()); !spendable.IsAllGTE(amount) {
		return Paid{}, errorsmod.Wrapf(p.ErrFunds, "%s has %s spendable, needs %s", from, spendable, amount)
	}
	err = RunCached(ctx, func(ctx context.Context) error {
		if !paid.Fee.IsZero() {
			if err := p.toModule(ctx, from, common.RewardPoolName, paid.Fee); err != nil {
				return errorsmod.Wrapf(err, "fee %s from %s to %s", paid.Fee, from, common.RewardPoolName)
			}
		}
		for i, part := range paid.Parts {
			if part.IsZero() {
				continue
			}
			if err := p.toAccount(ctx, from, recipients[i], part); err != nil {
				return errorsmod.Wrapf(err, "share %d (%s) %s from %s", i, shares[i].Address, part, from)
			}
		}
		return nil
	})
	if err != nil {
		return Paid{}, err
	}
	return paid, nil
}

func (p Payout) toModule(ctx context.Context, from Payer, module string, amt sdk.Coins) error {
	if from.Module != "" {
		return p.Bank.SendCoinsFromModuleToModule(ctx, from.Module, module, amt)
	}
	return p.Bank.SendCoinsFromAccountToModule(ctx, from.Account, module, amt)
}

func (p Payout) toAccount(ctx context.Context, from Payer, to sdk.AccAddress, amt sdk.Coins) error {
	if from.Module != "" {
		return p.Bank.SendCoinsFromModuleToAccount(ctx, from.Module, to, amt)
	}
	return p.Bank.SendCoins(ctx, from.Account, to, amt)
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

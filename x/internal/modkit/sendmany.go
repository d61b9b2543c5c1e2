package modkit

import (
	"context"

	"cosmossdk.io/core/address"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// MultiSender is x/bank's transfer from one address to several.
type MultiSender interface {
	InputOutputCoins(ctx context.Context, input banktypes.Input, outputs []banktypes.Output) error
}

// Output is one recipient of SendMany: an address in the chain's bech32 form
// (a module account's with ModuleAddress) and what it gets.
type Output = banktypes.Output

// ModuleBech32 is a module account's address in codec's form.
func ModuleBech32(codec address.Codec, name string) (string, error) {
	return codec.BytesToString(moduleAddress(name))
}

// SendMany moves every output's coins from `from` in one x/bank
// InputOutputCoins, leaving out outputs of no coins. Against one send per
// recipient, the payer's account and balance are read and written once, not
// once per recipient, no module account is read to learn its address, and
// one coin_spent and one message event say what the payer paid (each
// recipient still gets its coin_received and transfer events): a job's
// creation fee and escrow cost 11,300 gas less this way (BenchmarkTxPath).
//
// x/bank makes an ordinary account of a recipient it does not know, so a
// module account must be stored before it receives this way: the app
// stores every module account at genesis (app.ensureModuleAccounts). Like a
// send, it checks no blocked address: the caller chooses the recipients.
// It may leave a new recipient's account behind when it fails; callers that
// go on after a failure run it in a cache context.
func SendMany(ctx context.Context, bank MultiSender, from string, outputs []Output) error {
	total := sdk.NewCoins()
	outs := make([]Output, 0, len(outputs))
	for _, o := range outputs {
		if o.Coins.IsZero() {
			continue
		}
		total = total.Add(o.Coins...)
		outs = append(outs, o)
	}
	if len(outs) == 0 {
		return nil
	}
	return bank.InputOutputCoins(ctx, banktypes.Input{Address: from, Coins: total}, outs)
}

// ToModule moves amt from an account to a module account in one x/bank
// InputOutputCoins (SendMany). x/bank's SendCoinsFromAccountToModule first
// reads and decodes the module account to learn its address, which the
// module's name already gives; the rest (the payer's checks, balances,
// coin_received and transfer events) is the same. The module account must
// be stored, as SendMany says.
func ToModule(ctx context.Context, bank MultiSender, codec address.Codec, from sdk.AccAddress, module string, amt sdk.Coins) error {
	payer, err := codec.BytesToString(from)
	if err != nil {
		return err
	}
	to, err := ModuleBech32(codec, module)
	if err != nil {
		return err
	}
	return SendMany(ctx, bank, payer, []Output{{Address: to, Coins: amt}})
}

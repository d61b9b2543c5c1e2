package chainclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
)

// What the client signs is bounded by its operator, not by the node. An
// agent without --gas-prices takes its price from the node's Config
// (NodeGasPrices) and its gas from the node's simulation, and signed
// fee = price × gas whatever the two said: a node answering a minimum gas
// price of 10^7 uaic had a 1-uaic self-send signed with a fee of 3·10^12
// uaic, which it may then broadcast, the account's balance to the fee
// collector (TestAttackNodeSetsTheFee). Now:
//   - a gas price over MaxGasPrices (per denom; a denom not listed there is
//     over it) is refused with ErrFeeOverLimit, before any tx is signed;
//   - a tx's gas is capped at what its messages can use (MsgsGasLimit),
//     at MaxTxGas, and at the block's max_gas where the node says it;
//   - a fee over MaxFee (per denom) is refused with ErrFeeOverLimit.
//
// Limits on the price and the fee alone still let the node choose both
// within them at every tx: a simulation of 13,333,333 gas at the max price
// had a 1-uaic send signed with the max fee, 6,667× what it costs at an
// honest node, and an agent sends a tx every few blocks
// (TestAttackNodeSetsEveryTxFeeJustUnderTheMax). The per-message gas bound
// leaves a lying node at most a few times the honest fee, and the defaults
// below keep the price within 10× what a node run as the docs say asks.

// DefaultMaxGasPrice is the highest gas price the client signs unless told:
// 10 × DefaultGasPrice (what `aichaind init` writes). An operator whose
// node asks more sets --max-gas-price; a node whose minimum is over it
// stops the agent at start.
const DefaultMaxGasPrice = "0.025uaic"

// DefaultMaxFee is the largest fee of one tx the client signs unless told:
// 1 AIC, 40,000,000 gas at DefaultMaxGasPrice (a provider's batch of 100
// messages uses under 10,000,000), 1,333 times an honest 1-message tx
// (300,000 gas at DefaultGasPrice: 750 uaic).
const DefaultMaxFee = "1000000uaic"

// MaxTxGas is the most gas the client puts in a tx: the app's cap on a
// simulation's gas meter (app/ante.go maxSimulateGas), so no honest node
// reports more.
const MaxTxGas = 100_000_000

const (
	// txBaseGas and msgGas bound the gas of a tx by its messages
	// (MsgsGasLimit). The agents' messages use under 100,000 gas each
	// (README, the bench's "gas used / tx": 44,105 to 81,402, the tx's
	// signature and fee included), 150,000 with the default gas
	// adjustment; the bound leaves each more than six times that.
	txBaseGas = 200_000
	msgGas    = 1_000_000
)

// ChargedMsg is a message the chain charges, in gas, for work it causes
// later besides its own handling (x/compute's MsgSubmitResult and
// MsgAbortJob pay for the verdicts of the check they start: on a set of
// 100 validators an abort uses some 1,400,000 gas); GasChargeBound is the
// most that charge can be.
type ChargedMsg interface {
	GasChargeBound() uint64
}

// MsgsGasLimit is the most gas the client puts in a tx of msgs, whatever
// the node's simulation says: txBaseGas, msgGas a message and the bound of
// a ChargedMsg's charge, at most MaxTxGas.
func MsgsGasLimit(msgs ...sdk.Msg) uint64 {
	g := uint64(txBaseGas)
	for _, m := range msgs {
		g += msgGas
		if c, ok := m.(ChargedMsg); ok {
			g += min(c.GasChargeBound(), MaxTxGas)
		}
		if g >= MaxTxGas {
			return MaxTxGas
		}
	}
	return g
}

// ErrFeeOverLimit is a gas price or fee over the client's limits
// (Config.MaxGasPrices, Config.MaxFee): nothing is signed.
var ErrFeeOverLimit = errors.New("fee over the client's limit")

// feeLimits are a client's parsed MaxGasPrices and MaxFee.
type feeLimits struct {
	maxPrice sdk.DecCoins
	maxFee   sdk.Coins
}

// parseFeeLimits reads cfg's limits, DefaultMaxGasPrice and DefaultMaxFee
// when empty.
func parseFeeLimits(cfg Config) (feeLimits, error) {
	price, fee := cfg.MaxGasPrices, cfg.MaxFee
	if price == "" {
		price = DefaultMaxGasPrice
	}
	if fee == "" {
		fee = DefaultMaxFee
	}
	var l feeLimits
	var err error
	if l.maxPrice, err = sdk.ParseDecCoins(price); err != nil {
		return l, fmt.Errorf("max gas prices %q: %w", price, err)
	}
	if l.maxFee, err = sdk.ParseCoinsNormalized(fee); err != nil {
		return l, fmt.Errorf("max fee %q: %w", fee, err)
	}
	return l, nil
}

// CheckGasPrices returns ErrFeeOverLimit if the client would refuse to pay
// p (a node's minimum, say): a price over MaxGasPrices in any denom.
func (c *Client) CheckGasPrices(p sdk.DecCoins) error {
	for _, coin := range p {
		if max := c.limits.maxPrice.AmountOf(coin.Denom); coin.Amount.GT(max) {
			return fmt.Errorf("%w: gas price %s%s over the max gas price %s%s", ErrFeeOverLimit,
				coin.Amount, coin.Denom, max, coin.Denom)
		}
	}
	return nil
}

// fees returns the fee of a tx of gas at the client's gas price, or
// ErrFeeOverLimit when the price or the fee is over the client's limits.
// c.mu is held.
func (c *Client) fees(gas uint64) (sdk.Coins, error) {
	if err := c.CheckGasPrices(c.gasPrice); err != nil {
		return nil, err
	}
	fees := sdk.NewCoins()
	for _, p := range c.gasPrice {
		fee := p.Amount.MulInt(sdkmath.NewIntFromUint64(gas)).Ceil().TruncateInt()
		if max := c.limits.maxFee.AmountOf(p.Denom); fee.GT(max) {
			return nil, fmt.Errorf("%w: fee %s%s for %d gas over the max fee %s%s", ErrFeeOverLimit,
				fee, p.Denom, gas, max, p.Denom)
		}
		fees = fees.Add(sdk.NewCoin(p.Denom, fee))
	}
	return fees, nil
}

// capGas lowers the gas of a tx of msgs messages to what they can use
// (MsgsGasLimit) and to the block's max_gas where the node says it. c.mu is
// held.
func (c *Client) capGas(ctx context.Context, gas uint64, msgs []sdk.Msg) uint64 {
	gas = min(gas, MsgsGasLimit(msgs...))
	if max := c.blockMaxGas(ctx); max > 0 {
		gas = min(gas, max)
	}
	return gas
}

// blockMaxGas is the chain's block max_gas (0: not known, or no limit),
// asked of the node at the first tx and kept: a node without the consensus
// query, or whose answer says no limit, leaves MaxTxGas and MaxFee as the
// bounds. A query that fails otherwise is asked again at the next tx.
// c.mu is held.
func (c *Client) blockMaxGas(ctx context.Context) uint64 {
	if c.blockGasKnown {
		return c.blockGas
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := consensustypes.NewQueryClient(c.Conn).Params(qctx, &consensustypes.QueryParamsRequest{})
	switch {
	case err == nil:
		c.blockGasKnown = true
		if res.Params != nil && res.Params.Block != nil && res.Params.Block.MaxGas > 0 {
			c.blockGas = uint64(res.Params.Block.MaxGas)
		}
	case status.Code(err) == codes.Unimplemented:
		c.blockGasKnown = true
	}
	return c.blockGas
}

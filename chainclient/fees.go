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
//   - a tx's gas is capped at MaxTxGas, and at the block's max_gas where the
//     node says it (a tx above either is never in a block);
//   - a fee over MaxFee (per denom) is refused with ErrFeeOverLimit.

// DefaultMaxGasPrice is the highest gas price the client signs unless told:
// 100 × DefaultGasPrice, above the minimum of any aichain node run as the
// docs say (`aichaind init` writes DefaultGasPrice).
const DefaultMaxGasPrice = "0.25uaic"

// DefaultMaxFee is the largest fee of one tx the client signs unless told:
// 5 AIC, 20,000,000 gas at DefaultMaxGasPrice (a provider's batch of 100
// messages uses a few million gas), 2,000 times a 1,000,000-gas tx at
// DefaultGasPrice.
const DefaultMaxFee = "5000000uaic"

// MaxTxGas is the most gas the client puts in a tx: the app's cap on a
// simulation's gas meter (app/ante.go maxSimulateGas), so no honest node
// reports more.
const MaxTxGas = 100_000_000

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

// capGas lowers gas to MaxTxGas and the block's max_gas where the node says
// it. c.mu is held.
func (c *Client) capGas(ctx context.Context, gas uint64) uint64 {
	gas = min(gas, MaxTxGas)
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

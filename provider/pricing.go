package provider

import (
	"fmt"
	"math"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/jobexec"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Pricing is the bid policy, in the job's denom: the highest of that
// denom's floor, ceil(PerGFLOP × GFLOP) and ceil(PerKRows × rows / 1000),
// with the job's work as its kind's row in the jobexec table estimates it
// (GFLOP for a gemm job; rows for an mlp job: the dataset's rows, as the job
// records them), and no bid above a job's max_price. A nil rate prices by the
// floor alone. The agent bids only on jobs priced in a denom it has a floor
// for (Floors, plus Floor when set): one coin per denom, e.g. 1000uaic and
// 500 of an IBC voucher; the rates count in units of the job's denom.
type Pricing struct {
	PerGFLOP sdkmath.LegacyDec
	PerKRows sdkmath.LegacyDec
	Floor    sdk.Coin
	Floors   sdk.Coins
}

// floor returns the lowest bid in denom, or false when the agent does not
// accept the denom.
func (p Pricing) floor(denom string) (sdk.Coin, bool) {
	if p.Floor.Denom == denom && !p.Floor.Amount.IsNil() {
		return p.Floor, true
	}
	for _, c := range p.Floors {
		if c.Denom == denom {
			return c, true
		}
	}
	return sdk.Coin{}, false
}

// Accepts reports whether the agent bids on jobs priced in denom.
func (p Pricing) Accepts(denom string) bool {
	_, ok := p.floor(denom)
	return ok
}

// Price returns the bid for a job, or false to skip it (a denom without a
// floor, or a price above max_price), from the work the job records on
// chain.
func (p Pricing) Price(job computetypes.Job) (sdk.Coin, bool) { return p.Sized(job, 0) }

// Sized is Price once the job is sized: gflop is its work as its shape
// counts it (BidShape.GFLOP), priced at PerGFLOP when above what the job
// records. An mlp job records only its rows, and its work per row is the
// model's, which the requester chooses: priced per row alone, a wide model
// bought many times the work it paid for
// (TestAttackHeavyModelMLPJobPricedPerRow).
func (p Pricing) Sized(job computetypes.Job, gflop float64) (sdk.Coin, bool) {
	floor, ok := p.floor(job.MaxPrice.Denom)
	if !ok {
		return sdk.Coin{}, false
	}
	amount := floor.Amount
	raise := func(rate sdkmath.LegacyDec, work sdkmath.LegacyDec) {
		if rate.IsNil() || !work.IsPositive() {
			return
		}
		if by := rate.Mul(work).Ceil().TruncateInt(); by.GT(amount) {
			amount = by
		}
	}
	work := jobexec.WorkOf(job)
	if g := max(work.GFLOP, gflop); g > 0 && !math.IsInf(g, 0) && !math.IsNaN(g) {
		raise(p.PerGFLOP, sdkmath.LegacyMustNewDecFromStr(fmt.Sprintf("%.9f", g)))
	}
	if work.Rows > 0 {
		raise(p.PerKRows, sdkmath.LegacyNewDec(int64(min(work.Rows, 1<<62))).QuoInt64(1000))
	}
	price := sdk.NewCoin(floor.Denom, amount)
	if price.Amount.GT(job.MaxPrice.Amount) {
		return price, false
	}
	return price, true
}

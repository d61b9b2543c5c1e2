package provider

import (
	"fmt"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/jobexec"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Pricing is the bid policy, in Floor's denom: the highest of Floor,
// ceil(PerGFLOP × GFLOP) and ceil(PerKRows × rows / 1000), with the job's
// work as its kind's row in the jobexec table estimates it (GFLOP for a gemm
// job; rows for an mlp job: the dataset's rows, as the job records them),
// and no bid above a job's max_price. A nil rate prices by the floor alone.
type Pricing struct {
	PerGFLOP sdkmath.LegacyDec
	PerKRows sdkmath.LegacyDec
	Floor    sdk.Coin
}

// Price returns the bid for a job, or false to skip it.
func (p Pricing) Price(job computetypes.Job) (sdk.Coin, bool) {
	amount := p.Floor.Amount
	raise := func(rate sdkmath.LegacyDec, work sdkmath.LegacyDec) {
		if rate.IsNil() || !work.IsPositive() {
			return
		}
		if by := rate.Mul(work).Ceil().TruncateInt(); by.GT(amount) {
			amount = by
		}
	}
	work := jobexec.WorkOf(job)
	if work.GFLOP > 0 {
		raise(p.PerGFLOP, sdkmath.LegacyMustNewDecFromStr(fmt.Sprintf("%.9f", work.GFLOP)))
	}
	if work.Rows > 0 {
		raise(p.PerKRows, sdkmath.LegacyNewDec(int64(min(work.Rows, 1<<62))).QuoInt64(1000))
	}
	price := sdk.NewCoin(p.Floor.Denom, amount)
	if job.MaxPrice.Denom != price.Denom || price.Amount.GT(job.MaxPrice.Amount) {
		return price, false
	}
	return price, true
}

package keeper

import (
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
)

// A provider's record drives how often its results are sampled. It is
// weighted by value, not by job count, so that many cheap self-dealt jobs
// cannot wash out a failure on a large one: completed_value adds each
// settled job's clearing price; failed_value adds the max_price of each job
// it timed out on and three times the max_price of each job it was slashed
// on for fraud (the weights of the old count rule, bad = failed + 2 ×
// slashed). To halve the excess rate after failing on a job of value V, a
// provider must complete jobs worth as much as the failure weighs, paying
// the protocol fee on each.
//
// Values are bond-denom amounts; with no price oracle a job priced in
// another denom cannot be valued in it, so it adds nothing to
// completed_value (no reputation bought with a cheap denom) and its failures
// weigh by the collateral locked from the bond for it (bid_deposit): see
// bondValue.

// fraudWeight is how many times its max_price a fraud adds to failed_value.
const fraudWeight = 3

// valueOf is a record field, zero when unset (a record from before the field).
func valueOf(i math.Int) math.Int {
	if i.IsNil() {
		return math.ZeroInt()
	}
	return i
}

// inBondDenom reports whether a won job is priced in the bond denom (that of
// the collateral its winner locked from the bond).
func inBondDenom(job types.Job) bool { return job.MaxPrice.Denom == job.WinnerCollateral.Denom }

// bondValue is what a won job weighs in a record, in the bond denom: its
// max_price, or for a job priced in another denom the collateral its winner
// locked from the bond.
func bondValue(job types.Job) math.Int {
	if inBondDenom(job) {
		return job.MaxPrice.Amount
	}
	return job.WinnerCollateral.Amount
}

// recordCompleted counts a settled job: one more completed job, its payment
// earned, its clearing price in completed_value; a run of timeouts ends.
func recordCompleted(p *types.Provider, job types.Job, pay sdk.Coins) {
	p.Stats.Completed++
	p.Stats.Earned = common.SatAddCoins(p.Stats.Earned, pay) // a record: saturates, never panics
	if inBondDenom(job) {
		p.Stats.CompletedValue = valueOf(p.Stats.CompletedValue).Add(job.ClearingPrice.Amount)
	}
	p.Stats.ConsecutiveTimeouts = 0
}

// recordTimeout counts a timeout (one more failed job, its max_price in
// failed_value, one more consecutive timeout) and returns the run's length.
func recordTimeout(p *types.Provider, job types.Job) uint32 {
	p.Stats.Failed++
	p.Stats.FailedValue = valueOf(p.Stats.FailedValue).Add(bondValue(job))
	p.Stats.ConsecutiveTimeouts++
	return p.Stats.ConsecutiveTimeouts
}

// recordFraud counts a fraud slash at height h: one more failed and slashed
// job, three times its max_price in failed_value, and the slash height that
// opens the recent-slash window.
func recordFraud(p *types.Provider, job types.Job, h int64) {
	p.Stats.Failed++
	p.Stats.Slashed++
	p.Stats.LastSlashHeight = h
	p.Stats.FailedValue = valueOf(p.Stats.FailedValue).Add(bondValue(job).MulRaw(fraudWeight))
}

// SampleRateBps is the provider's sampling rate in basis points: 10000
// within jail_blocks × recent_slash_window_multiplier blocks of a fraud
// slash; otherwise floor + (10000 − floor) × bad / (bad + good + 1), where
// bad = failed_value, good = completed_value (bond-denom amounts) and
// floor = sample_rate_floor_bps. A clean record gets exactly the floor.
func SampleRateBps(p types.Provider, params types.Params, height int64) uint32 {
	const full = common.BasisPoints
	floor := uint64(params.SampleRateFloorBps)
	if p.Stats.LastSlashHeight > 0 {
		window := params.JailBlocks * params.RecentSlashWindowMultiplier
		if height-p.Stats.LastSlashHeight < int64(window) {
			return full
		}
	}
	bad, good := valueOf(p.Stats.FailedValue), valueOf(p.Stats.CompletedValue)
	if !bad.IsPositive() {
		return uint32(floor)
	}
	excess := math.NewIntFromUint64(full - floor).Mul(bad).Quo(bad.Add(good).AddRaw(1))
	rate := floor + excess.Uint64()
	if rate > full {
		rate = full
	}
	return uint32(rate)
}

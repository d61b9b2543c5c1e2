package types

import (
	"fmt"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

// DefaultBondDenom is the denom of bonds, prices and collateral in the default params.
const DefaultBondDenom = "uaic"

// Bounds that no params value may exceed.
const (
	MaxCloseBatchSize    = 1_000
	MaxSamplesPerJob     = 64
	MaxChunkCountLimit   = 1 << 20
	MaxCollateralRatio   = 1_000_000 // 100×
	MaxQueueItemsLimit   = 10_000
	MaxWindowBlocksLimit = 10_000_000
	// MaxChunkBytesLimit bounds max_chunk_bytes: the sidecar's own
	// per-response limit (64 MiB).
	MaxChunkBytesLimit = 64 << 20
	// MinChunkBytesLimit: a chunk must be able to hold at least one row of
	// 256 float32 columns.
	MinChunkBytesLimit   = 1 << 10
	MaxTimeoutJailLimit  = 1_000
	MaxRecentSlashWindow = 1_000
	// MaxDisputeChunksLimit bounds max_dispute_chunks: with the sampled
	// chunks, what one sidecar fetches for one job stays small.
	MaxDisputeChunksLimit = 256
	// DefaultBeaconWindowBlocks and MaxBeaconWindowBlocks bound
	// beacon_window_blocks (a vote extension carries that many shares).
	DefaultBeaconWindowBlocks = 3
	MaxBeaconWindowBlocks     = MaxBeaconSharesPerExtension
	// DefaultVerdictGraceBlocks is verdict_grace_blocks' default: as long
	// as a beacon share may wait for a proposer that includes it, so that
	// a validator left out of one block is counted in one of the next three
	// unless their proposers all leave it out too.
	DefaultVerdictGraceBlocks = 3
)

// DefaultParams returns the production defaults. With a 20% sample floor and
// a fraud slash of at least 5× the job's max_price (collateral_ratio_bps =
// 50000), cheating does not pay; a timeout costs the winner the job's
// collateral and pays the requester at most its creation fee, so griefing
// does not pay either: see the module README, whose tables are generated
// from these values (TestReadmeEconomics).
func DefaultParams() Params {
	return Params{
		MinProviderBond:             sdk.NewCoin(DefaultBondDenom, math.NewInt(1_000_000_000)), // 1,000 AIC
		BidDeposit:                  sdk.NewCoin(DefaultBondDenom, math.NewInt(1_000_000)),     // 1 AIC
		CollateralRatioBps:          50_000,
		CloseBatchSize:              20,
		MinCommitBlocks:             5,
		MaxCommitBlocks:             1_000,
		MinRevealBlocks:             5,
		MaxRevealBlocks:             1_000,
		MaxExecBlocks:               10_000,
		ProtocolFeeBps:              500,
		SampleRateFloorBps:          2_000,
		SamplesPerJob:               4,
		ChallengeBlocks:             100,
		VerificationBlocks:          50,
		SlashFractionFraud:          5_000,
		SlashFractionTimeout:        10_000, // of the job's collateral
		RequesterCompensationBps:    5_000,
		JailBlocks:                  1_000,
		DisputeFee:                  sdk.NewCoin(DefaultBondDenom, math.NewInt(10_000_000)), // 10 AIC
		MaxChunkCount:               65_536,
		UnbondingBlocks:             1_000,
		MaxQueueItemsPerBlock:       200,
		RecentSlashWindowMultiplier: 10,
		MinExecBlocks:               20,
		MaxChunkBytes:               4 << 20,                                             // 4 MiB
		JobCreationFee:              sdk.NewCoin(DefaultBondDenom, math.NewInt(100_000)), // 0.1 AIC
		VerificationFeePerSample:    sdk.NewCoin(DefaultBondDenom, math.NewInt(10_000)),  // 0.01 AIC per sampled chunk
		MaxWorkPerExecBlock:         1_000_000_000,
		TimeoutJailThreshold:        3,
		RetentionBlocks:             100_000,
		UnavailableSpanBlocks:       20,
		MaxDisputeChunks:            16,
		BeaconWindowBlocks:          DefaultBeaconWindowBlocks,
		VerdictGraceBlocks:          DefaultVerdictGraceBlocks,
		AllowedDenoms:               []string{DefaultBondDenom},
	}
}

// UnavailableSpan is the span of blocks across which a sidecar must fail to
// fetch a sampled chunk before it votes UNAVAILABLE: unavailable_span_blocks,
// at most the verification window (so a provider that withholds for the
// whole window, which is extended once without a quorum, is always found).
func (p Params) UnavailableSpan() uint64 {
	return min(p.UnavailableSpanBlocks, p.VerificationBlocks)
}

// MaxAllowedDenoms bounds allowed_denoms.
const MaxAllowedDenoms = 32

// validateAllowedDenoms checks allowed_denoms: non-empty, at most
// MaxAllowedDenoms valid denoms without duplicates, the bond denom among them.
func (p Params) validateAllowedDenoms() error {
	if len(p.AllowedDenoms) == 0 || len(p.AllowedDenoms) > MaxAllowedDenoms {
		return fmt.Errorf("allowed_denoms: need 1 to %d denoms, have %d", MaxAllowedDenoms, len(p.AllowedDenoms))
	}
	seen := make(map[string]bool, len(p.AllowedDenoms))
	for _, d := range p.AllowedDenoms {
		if err := sdk.ValidateDenom(d); err != nil {
			return fmt.Errorf("allowed_denoms: %w", err)
		}
		if seen[d] {
			return fmt.Errorf("allowed_denoms: %s appears twice", d)
		}
		seen[d] = true
	}
	if !seen[p.MinProviderBond.Denom] {
		return fmt.Errorf("allowed_denoms %v must include the bond denom %s", p.AllowedDenoms, p.MinProviderBond.Denom)
	}
	return nil
}

// IsAllowedDenom reports whether a job may be priced and escrowed in denom.
func (p Params) IsAllowedDenom(denom string) bool {
	for _, d := range p.AllowedDenoms {
		if d == denom {
			return true
		}
	}
	return false
}

// CheckAllowed returns ErrDenomNotAllowed unless every coin of what (a job's
// price or fee) is in an allowed denom.
func (p Params) CheckAllowed(what string, coins sdk.Coins) error {
	for _, c := range coins {
		if !p.IsAllowedDenom(c.Denom) {
			return ErrDenomNotAllowed.Wrapf("%s %s: allowed denoms are %v", what, c, p.AllowedDenoms)
		}
	}
	return nil
}

func validCoin(name string, c sdk.Coin, positive bool) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if positive && !c.IsPositive() {
		return fmt.Errorf("%s must be positive", name)
	}
	return nil
}

func validBps(name string, v uint32) error {
	if v > common.BasisPoints {
		return fmt.Errorf("%s %d exceeds %d basis points", name, v, common.BasisPoints)
	}
	return nil
}

func validRange(name string, minV, maxV, limit uint64) error {
	if minV < 1 || minV > maxV || maxV > limit {
		return fmt.Errorf("%s: need 1 <= min (%d) <= max (%d) <= %d", name, minV, maxV, limit)
	}
	return nil
}

// Validate checks every field.
func (p Params) Validate() error {
	if err := p.validate(); err != nil {
		return ErrInvalidParams.Wrap(err.Error())
	}
	return nil
}

func (p Params) validate() error {
	if p.BeaconWindowBlocks > MaxBeaconWindowBlocks {
		return fmt.Errorf("beacon_window_blocks %d exceeds %d", p.BeaconWindowBlocks, MaxBeaconWindowBlocks)
	}
	if p.VerdictGraceBlocks > p.VerificationBlocks {
		return fmt.Errorf("verdict_grace_blocks %d exceeds verification_blocks %d", p.VerdictGraceBlocks, p.VerificationBlocks)
	}
	if err := validCoin("min_provider_bond", p.MinProviderBond, true); err != nil {
		return err
	}
	if err := validCoin("bid_deposit", p.BidDeposit, true); err != nil {
		return err
	}
	if p.BidDeposit.Denom != p.MinProviderBond.Denom {
		return fmt.Errorf("bid_deposit denom %s differs from the bond denom %s", p.BidDeposit.Denom, p.MinProviderBond.Denom)
	}
	if err := validCoin("dispute_fee", p.DisputeFee, false); err != nil {
		return err
	}
	if err := validCoin("job_creation_fee", p.JobCreationFee, false); err != nil {
		return err
	}
	if p.JobCreationFee.Denom != p.MinProviderBond.Denom {
		return fmt.Errorf("job_creation_fee denom %s differs from the bond denom %s", p.JobCreationFee.Denom, p.MinProviderBond.Denom)
	}
	if err := validCoin("verification_fee_per_sample", p.VerificationFeePerSample, false); err != nil {
		return err
	}
	if p.VerificationFeePerSample.Denom != p.MinProviderBond.Denom {
		return fmt.Errorf("verification_fee_per_sample denom %s differs from the bond denom %s", p.VerificationFeePerSample.Denom, p.MinProviderBond.Denom)
	}
	if p.CollateralRatioBps > MaxCollateralRatio {
		return fmt.Errorf("collateral_ratio_bps %d exceeds %d", p.CollateralRatioBps, MaxCollateralRatio)
	}
	if p.CloseBatchSize < 1 || p.CloseBatchSize > MaxCloseBatchSize {
		return fmt.Errorf("close_batch_size %d must be in [1, %d]", p.CloseBatchSize, MaxCloseBatchSize)
	}
	if err := validRange("commit blocks", p.MinCommitBlocks, p.MaxCommitBlocks, MaxWindowBlocksLimit); err != nil {
		return err
	}
	if err := validRange("reveal blocks", p.MinRevealBlocks, p.MaxRevealBlocks, MaxWindowBlocksLimit); err != nil {
		return err
	}
	if err := validRange("exec blocks", p.MinExecBlocks, p.MaxExecBlocks, MaxWindowBlocksLimit); err != nil {
		return err
	}
	for name, v := range map[string]uint32{
		"protocol_fee_bps": p.ProtocolFeeBps, "sample_rate_floor_bps": p.SampleRateFloorBps,
		"slash_fraction_fraud": p.SlashFractionFraud, "slash_fraction_timeout": p.SlashFractionTimeout,
		"requester_compensation_bps": p.RequesterCompensationBps,
	} {
		if err := validBps(name, v); err != nil {
			return err
		}
	}
	if p.SamplesPerJob < 1 || p.SamplesPerJob > MaxSamplesPerJob {
		return fmt.Errorf("samples_per_job %d must be in [1, %d]", p.SamplesPerJob, MaxSamplesPerJob)
	}
	for name, v := range map[string]uint64{
		"challenge_blocks": p.ChallengeBlocks, "verification_blocks": p.VerificationBlocks,
		"jail_blocks": p.JailBlocks, "unbonding_blocks": p.UnbondingBlocks, "retention_blocks": p.RetentionBlocks,
	} {
		if v < 1 || v > MaxWindowBlocksLimit {
			return fmt.Errorf("%s %d must be in [1, %d]", name, v, MaxWindowBlocksLimit)
		}
	}
	if p.MaxChunkCount < 1 || p.MaxChunkCount > MaxChunkCountLimit {
		return fmt.Errorf("max_chunk_count %d must be in [1, %d]", p.MaxChunkCount, MaxChunkCountLimit)
	}
	if p.MaxQueueItemsPerBlock < 1 || p.MaxQueueItemsPerBlock > MaxQueueItemsLimit {
		return fmt.Errorf("max_queue_items_per_block %d must be in [1, %d]", p.MaxQueueItemsPerBlock, MaxQueueItemsLimit)
	}
	if p.RecentSlashWindowMultiplier > MaxRecentSlashWindow {
		return fmt.Errorf("recent_slash_window_multiplier %d exceeds %d", p.RecentSlashWindowMultiplier, MaxRecentSlashWindow)
	}
	return p.validateAdmission()
}

// validateAdmission checks the limits a new job is admitted under.
func (p Params) validateAdmission() error {
	if p.MaxChunkBytes < MinChunkBytesLimit || p.MaxChunkBytes > MaxChunkBytesLimit {
		return fmt.Errorf("max_chunk_bytes %d must be in [%d, %d]", p.MaxChunkBytes, MinChunkBytesLimit, MaxChunkBytesLimit)
	}
	if p.MaxWorkPerExecBlock < 1 {
		return fmt.Errorf("max_work_per_exec_block must be positive")
	}
	if p.TimeoutJailThreshold < 1 || p.TimeoutJailThreshold > MaxTimeoutJailLimit {
		return fmt.Errorf("timeout_jail_threshold %d must be in [1, %d]", p.TimeoutJailThreshold, MaxTimeoutJailLimit)
	}
	return p.validateVerification()
}

// validateVerification checks the params of withholding and disputes.
func (p Params) validateVerification() error {
	if p.UnavailableSpanBlocks < 1 || p.UnavailableSpanBlocks > MaxWindowBlocksLimit {
		return fmt.Errorf("unavailable_span_blocks %d must be in [1, %d]", p.UnavailableSpanBlocks, MaxWindowBlocksLimit)
	}
	if p.MaxDisputeChunks < 1 || p.MaxDisputeChunks > MaxDisputeChunksLimit {
		return fmt.Errorf("max_dispute_chunks %d must be in [1, %d]", p.MaxDisputeChunks, MaxDisputeChunksLimit)
	}
	return p.validateAllowedDenoms()
}

// BidCollateral returns what a commitment on job puts up:
//   - a job priced in the bond denom: lock = Collateral(max_price) from the
//     bond, no price collateral;
//   - a job priced in another denom (no price oracle converts it to the bond
//     denom): lock = bid_deposit from the bond (what the bond-denominated
//     penalties — a missed reveal, the fraud slash floor — are sized on), and
//     price collateral = collateral_ratio_bps × max_price in the job's denom,
//     deposited from the provider's account and held in the module;
//
// and in either case a lock of at least CoverLock(job), so that the
// winner's failure compensates what the requester loses in the bond denom.
func (p Params) BidCollateral(job Job) (lock, price sdk.Coin) {
	lock, price = p.baseCollateral(job.MaxPrice)
	if cover := p.CoverLock(job); cover.GT(lock.Amount) {
		lock = sdk.NewCoin(lock.Denom, cover)
	}
	return lock, price
}

// baseCollateral is BidCollateral of a job with maxPrice and no fees.
func (p Params) baseCollateral(maxPrice sdk.Coin) (lock, price sdk.Coin) {
	if maxPrice.Denom == p.BidDeposit.Denom {
		return p.Collateral(maxPrice), sdk.NewCoin(maxPrice.Denom, math.ZeroInt())
	}
	ratio := maxPrice.Amount.MulRaw(int64(p.CollateralRatioBps)).QuoRaw(common.BasisPoints)
	return p.BidDeposit, sdk.NewCoin(maxPrice.Denom, ratio)
}

// CoverLock is the smallest lock (in the bond denom) whose forfeit
// compensates the requester, at requester_compensation_bps, for what the
// winner's failure costs it in the bond denom, rounded as the keeper rounds
// (forfeitCollateral): a withheld (or fraudulent) result costs the creation
// fee, the dataset fee and the verification fee the validators are paid for
// finding it, of a lock forfeited whole; a timeout costs the creation and
// dataset fees, of slash_fraction_timeout of the lock. A cheap job that
// bought a large assurance (0.01 AIC a sample, up to 2,048 samples) would
// otherwise lose its requester up to 20 AIC against a 1 AIC deposit
// (TestAttackWithheldCheapJobLeavesRequesterShort). Zero when the params
// compensate nothing.
func (p Params) CoverLock(job Job) math.Int {
	denom := p.BidDeposit.Denom
	fees := job.DatasetFee.AmountOf(denom)
	if !job.CreationFee.Amount.IsNil() && job.CreationFee.Denom == denom {
		fees = fees.Add(job.CreationFee.Amount)
	}
	withheld := fees.Add(job.VerificationFee.AmountOf(denom))
	if p.RequesterCompensationBps == 0 {
		return math.ZeroInt()
	}
	need := ceilBps(withheld, p.RequesterCompensationBps)
	if p.SlashFractionTimeout > 0 {
		need = math.MaxInt(need, ceilBps(ceilBps(fees, p.RequesterCompensationBps), p.SlashFractionTimeout))
	}
	return need
}

// ceilBps is the least x with floor(x × bps / 10000) ≥ a (bps > 0).
func ceilBps(a math.Int, bps uint32) math.Int {
	n := a.MulRaw(common.BasisPoints)
	q := n.QuoRaw(int64(bps))
	if !q.MulRaw(int64(bps)).Equal(n) {
		q = q.AddRaw(1)
	}
	return q
}

// Collateral returns what a commitment on a job with maxPrice locks:
// max(bid_deposit, collateral_ratio_bps × max_price / 10000), in the bond denom.
func (p Params) Collateral(maxPrice sdk.Coin) sdk.Coin {
	ratio := maxPrice.Amount.MulRaw(int64(p.CollateralRatioBps)).QuoRaw(common.BasisPoints)
	if ratio.GT(p.BidDeposit.Amount) {
		return sdk.NewCoin(p.BidDeposit.Denom, ratio)
	}
	return p.BidDeposit
}

// TimeoutCompensation is the most a job of maxPrice compensates its
// requester when its winner times out (x/compute's forfeitCollateral):
// requester_compensation_bps of slash_fraction_timeout of each part of the
// collateral a commitment puts up (BidCollateral), per denom, rounded down
// as the keeper rounds. Withholding (the whole collateral) and fraud (at
// least the whole collateral) compensate at least as much.
func (p Params) TimeoutCompensation(maxPrice sdk.Coin) sdk.Coins {
	lock, price := p.baseCollateral(maxPrice)
	penalty := sdk.NewCoins()
	for _, c := range []sdk.Coin{lock, price} {
		if cut := c.Amount.MulRaw(int64(p.SlashFractionTimeout)).QuoRaw(common.BasisPoints); cut.IsPositive() {
			penalty = penalty.Add(sdk.NewCoin(c.Denom, cut))
		}
	}
	return common.FeePart(penalty, p.RequesterCompensationBps)
}

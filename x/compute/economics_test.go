package compute_test

import (
	"flag"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

var update = flag.Bool("update", false, "rewrite the generated part of README.md from the default params")

const (
	beginMark = "<!-- BEGIN GENERATED: go test ./x/compute -run TestReadmeEconomics -update -->"
	endMark   = "<!-- END GENERATED -->"
)

// TestReadmeEconomics checks that the numbers of the README's economics
// section are those of types.DefaultParams: the part between the markers is
// generated from them (run with -update to rewrite it after a default changes).
func TestReadmeEconomics(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i, j := strings.Index(text, beginMark), strings.Index(text, endMark)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the generated economics section (%q … %q)", beginMark, endMark)
	}
	want := beginMark + "\n" + economics(types.DefaultParams()) + endMark
	got := text[i : j+len(endMark)]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile("README.md", []byte(text[:i]+want+text[j+len(endMark):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md's generated economics differ from the default params; run go test ./x/compute -run TestReadmeEconomics -update\n--- want\n%s\n--- got\n%s", want, got)
}

// refPrice is the max_price of the reference job the tables use: 100 AIC.
const refPrice = 100_000_000

// aic formats an amount of uaic in AIC.
func aic(uaic int64) string {
	s := fmt.Sprintf("%.6f", float64(uaic)/1e6)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + " AIC"
}

func bps(v uint32) string { return fmt.Sprintf("%g%%", float64(v)/100) }

// economics renders the generated section from params p.
func economics(p types.Params) string {
	var b strings.Builder
	b.WriteString(paramsTable(p))
	b.WriteString(attackTable(p))
	b.WriteString(detectionTable(p))
	return b.String()
}

// paramsTable lists every param with its default, in proto field order.
func paramsTable(p types.Params) string {
	var b strings.Builder
	b.WriteString("\n#### Params (defaults)\n\n| param | default |\n|---|---|\n")
	v, t := reflect.ValueOf(p), reflect.TypeOf(p)
	for i := 0; i < t.NumField(); i++ {
		name := ""
		for _, part := range strings.Split(t.Field(i).Tag.Get("protobuf"), ",") {
			if n, ok := strings.CutPrefix(part, "name="); ok {
				name = n
			}
		}
		if name == "" {
			continue
		}
		val := fmt.Sprint(v.Field(i).Interface())
		if c, ok := v.Field(i).Interface().(sdk.Coin); ok {
			val = fmt.Sprintf("%s (%s)", c, aic(c.Amount.Int64()))
		}
		fmt.Fprintf(&b, "| `%s` | %s |\n", name, val)
	}
	return b.String()
}

// attackTable gives, for each attack of issue 14, what it costs the attacker
// and what it gains at the default params, on a job of max_price refPrice.
func attackTable(p types.Params) string {
	fee := p.JobCreationFee.Amount.Int64()
	collateral := p.Collateral(sdk.NewInt64Coin(types.DefaultBondDenom, refPrice)).Amount.Int64()
	penalty := collateral * int64(p.SlashFractionTimeout) / common.BasisPoints
	comp := min(penalty*int64(p.RequesterCompensationBps)/common.BasisPoints, fee)
	spamJobs := int64(p.MaxQueueItemsPerBlock) * int64(p.MinRevealBlocks+1)
	oldTimeout := p.MinProviderBond.Amount.Int64() / 10 / 2
	var b strings.Builder
	fmt.Fprintf(&b, "\n#### Attacks at the defaults (job of max_price %s, collateral %s)\n\n", aic(refPrice), aic(collateral))
	b.WriteString("| # | attack | attacker's cost | attacker's gain | honest party | test |\n|---|---|---|---|---|---|\n")
	rows := [][]string{
		{"1", "timeout griefing (requester)", fmt.Sprintf("%s creation fee + gas per job", aic(fee)),
			fmt.Sprintf("compensation ≤ its creation fee: %s, so 0 net (was %s: half of 10%% of a minimum bond)", aic(comp), aic(oldTimeout)),
			fmt.Sprintf("exec window ≥ %d blocks, ≤ %d multiply-adds per block, chunks ≤ %d bytes: a provider that can deliver does; one that does not forfeits its %s collateral, never more (%s to the pool)",
				p.MinExecBlocks, p.MaxWorkPerExecBlock, p.MaxChunkBytes, aic(penalty), aic(penalty-comp)), "`TestAttackTimeoutGriefing`"},
		{"2", "oversized chunks (requester)", "gas: refused at creation", "0",
			fmt.Sprintf("every sampled chunk's response (output + covering input rows) ≤ %d bytes", p.MaxChunkBytes), "`TestAttackOversizedChunks`"},
		{"3", "inputs that vanish after award (requester or owner withholds)", aic(fee) + " creation fee", "0",
			"the winner aborts: > 1/3 of the power finds the inputs unavailable: collateral released, no penalty; no quorum: as an inconclusive end, the dataset fee paid to its owner and the winner, which aborted, forfeits as much to the requester (a requester running the winner with its own model pays the fee for the rows it read)",
			"`TestAttackInputsVanishAfterAward`, `TestAttackRequesterModelOwnerVoidsAbortCheckToReadDatasetFree`"},
		{"3'", "false abort (provider)", fmt.Sprintf("its %s collateral (≥ 2/3 find the inputs: a timeout)", aic(penalty)), "0", "requester refunded, compensated its fee", "`TestAttackInputsVanishAfterAward`"},
		{"4", "reveal-window wipeout (anyone)", fmt.Sprintf("%s per spam job: %s for the %d jobs that used to wipe a %d-block reveal window", aic(fee), aic(fee*spamJobs), spamJobs, p.MinRevealBlocks),
			"0: reveals are valid by height, each queue has its own budget", "bidders reveal in their window; nothing forfeited", "`TestAttackRevealWindowWipeout`"},
		{"5", "forfeit out of proportion (requester baits bidders)", "—", "0", fmt.Sprintf("an unrevealed bid forfeits bid_deposit %s (was the whole %s collateral)", aic(p.BidDeposit.Amount.Int64()), aic(collateral)), "`TestAttackForfeitOutOfProportion`"},
		{"6", "cancel after prices are public (requester)", "refused after commit_end; a cancel in the commit phase keeps the " + aic(fee) + " fee", "0", "bidders released whole", "`TestAttackCancelAfterPricesPublic`"},
		{"7", "grinding a weak commitment (competitor)", fmt.Sprintf("2^%d salts per price: salts are %d..%d bytes", 8*types.MinSaltLen, types.MinSaltLen, types.MaxSaltLen), "0", "make-commitment draws 32 random bytes", "`TestAttackWeakCommitment`"},
		{"8", "washing a record (provider + accomplice)", fmt.Sprintf("a fraud on a job of max_price V weighs 3V: washing half of it needs 3V of settled jobs, paying %s protocol fee and %s per job", bps(p.ProtocolFeeBps), aic(fee)), "0 with cheap jobs (the rate does not move)", "—", "`TestAttackWashingARecord`"},
		{"9", "frozen escrow (a payee whose payout fails)", "its own payout (sent to the reward pool)", "0", "the job settles, the winner is paid and can unbond", "`TestAttackFrozenEscrow`"},
		{"10", "unbounded unbonding work (anyone opening jobs)", aic(fee) + " per job", "0: unbonding reads one counter", "the provider unbonds at the same gas whatever the jobs", "`TestAttackUnboundedUnbond`"},
		{"11", "fee changed after creation (governance)", "—", "0", "the job's protocol_fee_bps is the one at creation", "`TestAttackProtocolFeeChangedAfterCreation`"},
		{"11'", "params changed under a running job (governance, or a careless vote): compensation or timeout slash cut to 0, max_chunk_bytes lowered under a job being verified, market or platform fee raised to 100%, max_work_per_exec_block lowered under a job in its challenge window, the sample floor cut before the draw",
			"a params proposal",
			"0: the job runs to its end under the terms of its creation (was: the requester lost its " + aic(fee) + " creation fee, the winner kept its collateral, every sidecar voted an honest winner UNAVAILABLE, the owners lost their fees, the dispute was refused, the result went unchecked)",
			"the requester compensated, the winner forfeits what it committed under, honest chunks VALID, the owners paid under the cut they priced under, the dispute admitted, the result sampled",
			"`TestAttackParamsCompensationCutUnderRunningJob`, `TestAttackParamsTimeoutSlashZeroedUnderRunningJob`, `TestAttackParamsChunkLimitShrunkUnderVerifyingJob`, `TestAttackParamsMarketFeeRaisedUnderRunningJob`, `TestAttackParamsPlatformFeeRaisedUnderRunningJob`, `TestAttackParamsWorkLimitShrunkBarsDispute`, `TestAttackParamsSampleFloorCutBeforeDraw`, `TestMigrate9to10`"},
		{"12", "state that grows forever (spammer)", fmt.Sprintf("%s per job, kept %d blocks after it ends", aic(fee), p.RetentionBlocks), "0", "terminal jobs, commitments and bids pruned; Stats keep counting", "`TestAttackStateGrowsForever`"},
		{"13", "an unreachable endpoint (provider)", "gas: refused at registration", "0", "a provider without one cannot bid", "`TestAttackProviderEndpointUnchecked`"},
		{"14", "an outage counted as fraud (requester floods the endpoint; validator with a broken network)",
			fmt.Sprintf("the %s dispute fee, and a flood longer than %d blocks", aic(p.DisputeFee.Amount.Int64()), p.UnavailableSpan()),
			"0: UNAVAILABLE needs failures across the span with the sidecar's own network up",
			fmt.Sprintf("a brief outage decides nothing; withholding by > 1/3 costs the %s collateral (%s to the pool), never the fraud slash (%s of the bond), no jail",
				aic(collateral), aic(collateral-min(collateral*int64(p.RequesterCompensationBps)/common.BasisPoints, fee)), bps(p.SlashFractionFraud)),
			"`TestAttackOutageCountedAsFraud`, sidecar `TestAttackDisputeAndFloodEndpoint`, `TestAttackBrokenValidatorNetwork`, e2e `TestOutageIsNotFraud`"},
		{"15", "clogging verification (provider)", "its work: nothing is paid", "0: no quorum after the window and one extension refunds the requester",
			fmt.Sprintf("escrow back after 2 × %d blocks (the %s creation fee is gone); the collateral released less a dataset fee owed, forfeited to the requester", p.VerificationBlocks, aic(fee)),
			"`TestAttackClogVerificationPays`, sidecar `TestAttackClogTheQueue`, `TestAttackOnlyLowestIDsFit`"},
		{"16", "withholding unsampled chunks from the requester (provider)", fmt.Sprintf("its %s collateral once a dispute names them", aic(collateral)), "0",
			fmt.Sprintf("a dispute names up to %d chunks; escrow and dispute fee back when they are withheld from the validators", p.MaxDisputeChunks),
			"`TestAttackWithholdFromRequester`"},
		{"17", "a requester that buys FULL and wants the fee back (requester)", fmt.Sprintf("%s per chunk bought, escrowed at creation", aic(p.VerificationFeePerSample.Amount.Int64())),
			"0: the fee goes to the validators whose verdict decided; it comes back only when no verdict decided anything", "every result of the job verified on the chunks bought", "`TestAttackFullAssuranceFeeBack`, e2e `TestFullAssuranceEndToEnd`"},
		{"18", "free-riding on the verification fee (validator)", "—", "0 without a counted verdict that is the outcome: not voting, voting against it, or after the quorum's grace",
			"each deciding verdict paid the fee × its power / the set's power; the rest burned", "`TestAttackNonVoterGetsNoFee`"},
		{"19", "clogging or withholding a FULL job (provider)", fmt.Sprintf("its work (inconclusive), its %s collateral (withheld)", aic(collateral)), "0",
			"inconclusive: escrow and fee back; withheld: fee to the validators, the requester compensated its creation fee plus the fee (the lock is at least twice them, CoverLock)", "`TestAttackClogFullAssurance`, `TestAttackWithholdFullAssurance`, `TestAttackWithheldCheapJobLeavesRequesterShort`, `TestAttackWithheldIBCJobLeavesRequesterShort`"},
		{"20", "verification work bomb (requester buys FULL on a huge job)", "gas: refused at creation", "0",
			fmt.Sprintf("at most %d chunks, samples × chunk bytes ≤ max_chunk_bytes × verification_blocks, sampled work ≤ max_work_per_exec_block × verification_blocks", types.MaxAssuranceSamples),
			"`TestAttackAssuranceWorkBomb`"},
		{"21", "timing out a job over one's own dataset (dataset owner running the winner)",
			fmt.Sprintf("its timeout penalty, at least the dataset fee: a job whose timeout compensation (%.4g × max_price here) could not cover its dataset fee is refused at creation (`ErrDatasetFeeUncovered`)",
				float64(p.CollateralRatioBps)*float64(p.SlashFractionTimeout)*float64(p.RequesterCompensationBps)/1e12),
			"< 0 (was the fee less the market's cut, for a penalty sized to max_price alone)",
			"compensated the dataset fee and the creation fee: the lock covers both (CoverLock)", "`TestAttackDatasetOwnerWinsAndTimesOut`"},
		{"22", "filling the auction with sybil commitments (provider)",
			fmt.Sprintf("per sybil a %s bond and %s collateral per commitment, locked for the windows, and gas", aic(p.MinProviderBond.Amount.Int64()), aic(collateral)),
			"0: a job takes any number of commitments, so honest bids get in (was max_price less the competitive price: 20 sybils kept every other bid out, at no loss)",
			fmt.Sprintf("the lowest bid wins at the second price; the close handles %d commitments per block, the cancel of a job as many in its transaction", p.CloseBatchSize),
			"`TestAttackSybilsFillTheAuction`, `TestCloseRanksAcrossBlocks`, `TestAttackManyCommitmentsMakeCancelExpensive`"},
		{"23", "leaving other validators' votes out of the deciding block for a larger fee share (proposer)", "—",
			"0: a validator's share is fixed by its own power over the set's (was the left-out share, split among the counted: 7 of 30 took 7/21 of the fee)",
			fmt.Sprintf("paid in full: the job is decided %d blocks after its quorum and a verdict left out is counted in any of them (was burned: an honest validator lost its share to a proposer that gained nothing); burned only if every proposer of the grace leaves it out; the block's votes all count, whatever their order", p.VerdictGraceBlocks),
			"`TestAttackProposerLeavesVotesOutForALargerFeeShare`, `TestFeeSharesNeverExceedTheFee`, `TestAttackProposerLeavesAValidatorOutOfTheQuorumBlock`"},
		{"24", "taking one's model down during the verification, to keep the result and the escrow (requester owning the model)", aic(fee) + " creation fee",
			"0: the sidecars fetch the weights from the job's provider when the uri fails (was the job's price: every sidecar abstained, the verification ended inconclusive and the escrow came back)",
			"verified and paid; a provider that cannot serve the weights it ran with is UNAVAILABLE", "sidecar `TestAttackModelTakenDownDuringVerification`, provider `TestWeightsGoToValidatorsOnly`"},
		{"25", "bonding stake after a job's quorum, then voting in its grace, for a larger fee share (validator)", "the stake's lock-up",
			"0: a verdict of the grace is paid at most its power in the quorum's commit, a validator not in it nothing, and no counted power is raised (was the fee less the others' diluted shares: 7 of 30 bonding to 100 took 325 of a 400 fee, a newcomer with 100 took 307)",
			"each paid its share of the quorum's set; the powers paid add up to at most that set's",
			"`TestAttackPowerBoughtAfterTheQuorumDilutesHonestValidators`"},
		{"26", "taking an honest requester's dataset fee by running the winner over one's own dataset and clogging its verification or its abort's input check (dataset owner)",
			"its work (inconclusive) and, from its collateral, the dataset fee", "< 0: the market's cut (the fee it is paid, against the fee forfeited; was the fee less the market's cut, at no cost)",
			"out only its creation fee: on an inconclusive end or an abort without a quorum the winner, which serves the chunks or aborted, forfeits the dataset fee to it",
			"`TestAttackProviderDatasetOwnerClogsVerificationForTheFee`, `TestAttackProviderDatasetOwnerAbortsWithoutQuorumForTheFee`, `TestAttackRequesterDatasetFeeTakenByOwnerWinnerInconclusive`, `TestAttackRequesterDatasetFeeTakenByOwnerWinnerAbortWithoutQuorum`"},
		{"27", "voiding an auction it leads by getting jailed while the close runs over several blocks (provider)",
			fmt.Sprintf("the timeout penalty on its commitment's collateral (%s here), as if it had won and walked away", aic(penalty)), "0 (was the auction voided for the price of being jailed)",
			"compensated its creation fee; the job expires (no valid reveal) and the escrow is refunded", "`TestAttackProviderJailsItselfMidCloseToVoidTheAuction`"},
		{"28", "freeing collateral its live jobs hold by being slashed for fraud on another job, then bidding with bond it adds (provider)",
			"the whole fraud slash: what its live jobs' locks leave free at once, the rest owed and burned as they are released, and from bond added, before it backs a bid",
			"0: its lock stays the exact sum its live jobs hold (was the lock capped at the bond left, so added bond backed bids twice and a later timeout's penalty was short)",
			"each live job's penalty backed: a timeout compensates as the lock it was won with promised", "`TestAttackRequesterUndercompensatedAfterWinnerSlashedElsewhere`, `TestAttackProviderSlashCapFreesCollateralForUnbackedBids`"},
	}
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

// detectionTable gives, for a provider that skips a fraction f of the chunks
// of a job, the chance it is caught at the floor rate, the slash and payment
// it then loses, and what it saves (both in units of max_price P).
func detectionTable(p types.Params) string {
	floor := float64(p.SampleRateFloorBps) / common.BasisPoints
	s := float64(p.SamplesPerJob)
	slash := float64(p.CollateralRatioBps) / common.BasisPoints // S ≥ collateral = ratio × P
	var b strings.Builder
	fmt.Fprintf(&b, "\n#### Cheating at the defaults\n\nDetection: `p = rate × (1 − (1 − f)^samples)` with rate ≥ %s and samples = %d; caught, the provider loses "+
		"S ≥ its collateral %g × P (the fraud slash max(%s of its bond, the collateral) if it serves the bad chunk, the collateral if it withholds it) "+
		"and the payment P; it saves at most f × P. The table uses the lower bound S = %g × P.\n\n",
		bps(p.SampleRateFloorBps), p.SamplesPerJob, slash, bps(p.SlashFractionFraud), slash)
	b.WriteString("| f (chunks skipped) | p at the floor | expected loss p × (S + P) | saving f × P | loss / saving |\n|---|---|---|---|---|\n")
	for _, f := range []float64{0.01, 0.1, 0.25, 0.5, 1} {
		pc := floor * (1 - math.Pow(1-f, s))
		loss := pc * (slash + 1)
		fmt.Fprintf(&b, "| %g | %.4f | %.4f P | %g P | %.2f |\n", f, pc, loss, f, loss/f)
	}
	clean := keeper.SampleRateBps(types.Provider{}, p, 1)
	fmt.Fprintf(&b, "\nA clean record is sampled at %s; after a fraud slash, at 100%% for jail_blocks × recent_slash_window_multiplier = %d blocks, "+
		"then at `floor + (1 − floor) × bad / (bad + good + 1)` (values in uaic).\n", bps(clean), p.JailBlocks*p.RecentSlashWindowMultiplier)
	return b.String()
}

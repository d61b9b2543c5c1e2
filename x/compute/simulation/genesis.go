// Package simulation holds x/compute's simulation: random genesis params and
// simsx message factories for the Msgs that need no off-chain agent.
package simulation

import (
	"math/rand"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/aichain/aichain/x/compute/types"
)

// ParamsKey is the app-params key of the module's simulated params.
const ParamsKey = "compute_params"

// simDenom is the chain's bond denom (app.BondDenom; the app package cannot be imported here).
const simDenom = types.DefaultBondDenom

// SimIBCDenom is the extra denom simulated jobs may be priced in: the IBC
// voucher of "transfer/channel-0/ustake", as ibc-go names it (sha256 of the
// trace; TestSimIBCDenomIsTheVoucher checks it against ibc-go).
const SimIBCDenom = "ibc/9B5FB81FDBC0A3A2F707A4B3C217B4E7FF7CB24830F4502D9410D5EA475097D4"

func coin(n int64) sdk.Coin { return sdk.NewCoin(simDenom, math.NewInt(n)) }

// GenParams returns random valid params with small bonds and short windows,
// so that jobs run through their whole life within a short simulation.
func GenParams(r *rand.Rand) types.Params {
	p := types.DefaultParams()
	p.MinProviderBond = coin(int64(1_000 + r.Intn(1_000_000)))
	p.BidDeposit = coin(int64(1 + r.Intn(10_000)))
	p.CollateralRatioBps = uint32(r.Intn(50_001))
	p.CloseBatchSize = uint32(1 + r.Intn(10))
	p.MinCommitBlocks = uint64(1 + r.Intn(3))
	p.MaxCommitBlocks = p.MinCommitBlocks + uint64(r.Intn(10))
	p.MinRevealBlocks = uint64(1 + r.Intn(3))
	p.MaxRevealBlocks = p.MinRevealBlocks + uint64(r.Intn(10))
	p.MinExecBlocks = uint64(1 + r.Intn(3))
	p.MaxExecBlocks = p.MinExecBlocks + uint64(r.Intn(20))
	p.ProtocolFeeBps = uint32(r.Intn(2_001))
	p.SampleRateFloorBps = uint32(r.Intn(10_001))
	p.SamplesPerJob = uint32(1 + r.Intn(8))
	p.ChallengeBlocks = uint64(1 + r.Intn(10))
	p.VerificationBlocks = uint64(1 + r.Intn(10))
	p.VerdictGraceBlocks = uint64(r.Intn(int(p.VerificationBlocks) + 1))
	p.SlashFractionFraud = uint32(r.Intn(10_001))
	p.SlashFractionTimeout = uint32(r.Intn(10_001))
	p.RequesterCompensationBps = uint32(r.Intn(10_001))
	p.JailBlocks = uint64(1 + r.Intn(20))
	p.DisputeFee = coin(int64(r.Intn(10_000)))
	p.MaxChunkCount = uint64(1 + r.Intn(1_000))
	p.UnbondingBlocks = uint64(1 + r.Intn(20))
	p.MaxQueueItemsPerBlock = uint32(1 + r.Intn(200))
	p.RecentSlashWindowMultiplier = uint64(r.Intn(20))
	p.MaxChunkBytes = uint64(64<<10 + r.Intn(64<<20-64<<10+1))
	p.JobCreationFee = coin(int64(r.Intn(1_000)))
	p.VerificationFeePerSample = coin(int64(r.Intn(100)))
	p.MaxWorkPerExecBlock = uint64(100_000 + r.Intn(10_000_000))
	p.TimeoutJailThreshold = uint32(1 + r.Intn(5))
	p.RetentionBlocks = uint64(1 + r.Intn(50))
	p.UnavailableSpanBlocks = uint64(1 + r.Intn(10))
	p.MaxDisputeChunks = uint32(1 + r.Intn(8))
	p.AllowedDenoms = []string{simDenom, SimIBCDenom}
	return p
}

// RandomizedGenState sets a genesis with random params and no providers or jobs.
func RandomizedGenState(simState *module.SimulationState) {
	var params types.Params
	simState.AppParams.GetOrGenerate(ParamsKey, &params, simState.Rand, func(r *rand.Rand) { params = GenParams(r) })
	gs := types.DefaultGenesis()
	gs.Params = params
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/types/common"
	computetypes "github.com/aichain/aichain/x/compute/types"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
	srtypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// The kinds of transaction the chain benchmark measures, in the order it
// runs them: each kind after the ones whose state it needs (a bid needs a
// job, a reveal its commitment, a result an awarded job, a claim the
// creation fees the jobs paid into the reward pool, which reach the
// claimers' locks made in the setup).
const (
	kindSend     = "bank send"
	kindModel    = "register model"
	kindLock     = "lock"
	kindLicence  = "purchase licence"
	kindCreate   = "create job"
	kindCommit   = "commit bid"
	kindReveal   = "reveal bid"
	kindSubmit   = "submit result"
	kindClaim    = "claim rewards"
	kindProvider = "setup: register provider"
	kindDataset  = "setup: list dataset"
	// kindContentCommit and kindWeightsCommit commit to the datasets and
	// the models before their listing and registration.
	kindContentCommit = "setup: commit content"
	kindWeightsCommit = "setup: commit weights"
	kindClaimers      = "setup: claimers lock"
)

// isSetup reports whether kind is a setup phase (not measured, and not in
// the block interval percentiles).
func isSetup(kind string) bool {
	return kind == kindProvider || kind == kindDataset || kind == kindContentCommit || kind == kindWeightsCommit ||
		kind == kindClaimers
}

// allKinds are the measured kinds in run order.
var allKinds = []string{kindSend, kindModel, kindLock, kindLicence, kindCreate, kindCommit, kindReveal, kindSubmit, kindClaim}

// Amounts the transactions move (uaic): small against the accounts' funds.
const (
	denom        = "uaic"
	jobMaxPrice  = 5_000
	bidPrice     = 4_000
	licencePrice = 100
	lockAmount   = 1_000_000 // the default min_lock_amount
	providerBond = 10_000_000
	gemmSize     = 16 // m = n = k; one chunk of 16 rows
)

// gasLimit is the gas limit each kind is signed with: above what it uses
// (the table reports gas used), so that no transaction runs out.
func gasLimit(kind string) uint64 {
	switch kind {
	case kindSend, kindClaimerSend:
		return 150_000
	case kindCreate, kindDataset, kindModel:
		return 400_000
	default:
		return 300_000
	}
}

func coin(n int64) sdk.Coin { return sdk.NewCoin(denom, math.NewInt(n)) }

// sendMsg is bank send number j of from to to.
func sendMsg(from, to string) sdk.Msg {
	return &banktypes.MsgSend{FromAddress: from, ToAddress: to, Amount: sdk.NewCoins(coin(1))}
}

// providerMsg registers owner as a compute provider with the localnet's
// minimum bond (enough collateral for every bid the benchmark commits).
func providerMsg(owner string) sdk.Msg {
	return &computetypes.MsgRegisterProvider{
		Operator: owner, Moniker: "bench", Endpoint: "http://127.0.0.1:9",
		Hardware: computetypes.Hardware{Workloads: []string{"gemm-f32"}}, Bond: coin(providerBond),
	}
}

// modelMsg registers model j of account i (a unique name).
func modelMsg(owner string, i, j int) sdk.Msg {
	name, sum := modelFile(i, j)
	return &mrtypes.MsgRegisterModel{
		Owner: owner, Name: name, Version: "1.0.0", Architecture: mrtypes.ArchitectureMLPF32,
		Sha256: hex.EncodeToString(sum[:]), Uri: "https://models.example/" + name,
		InputDim: 4, OutputDim: 2, License: "MIT",
		Shares: []common.Share{{Address: owner, Weight: 1}},
	}
}

// modelFile is account i's model j's name and weights sha256.
func modelFile(i, j int) (string, [32]byte) {
	name := fmt.Sprintf("bench-%d-%d", i, j)
	return name, sha256.Sum256([]byte(name))
}

// weightsCommitMsg commits owner (account i) to its model j (modelMsg).
func weightsCommitMsg(owner *account, i, j int) sdk.Msg {
	name, sum := modelFile(i, j)
	return mrtypes.NewMsgCommitWeights(owner.addr, name, hex.EncodeToString(sum[:]))
}

// lockMsg locks the minimum amount for the shortest localnet tier.
func lockMsg(owner string) sdk.Msg {
	return &srtypes.MsgLock{Owner: owner, Amount: coin(lockAmount), Duration: time.Minute}
}

// claimMsg claims owner's lock rewards.
func claimMsg(owner string) sdk.Msg { return &srtypes.MsgClaimRewards{Owner: owner} }

// contentCommitMsg commits owner to dataset j's file (datasetMsg).
func contentCommitMsg(owner *account, j int) sdk.Msg {
	sum := datasetSum(j)
	return dmtypes.NewMsgCommitContent(owner.addr, sum[:], hex.EncodeToString(sum[:]), datasetRows(j))
}

// datasetSum is dataset j's content root and sha256.
func datasetSum(j int) [32]byte { return sha256.Sum256([]byte(fmt.Sprintf("bench-%d", j))) }

// datasetRows is dataset j's rows_sha256.
func datasetRows(j int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("bench-rows-%d", j)))
	return hex.EncodeToString(sum[:])
}

// datasetMsg lists dataset j of owner with one perpetual offer.
func datasetMsg(owner string, j int) sdk.Msg {
	name := fmt.Sprintf("bench-%d", j)
	sum := datasetSum(j)
	return &dmtypes.MsgListDataset{
		Owner: owner, Name: name, Format: dmtypes.FormatNpyF32, Rows: 16, Cols: 4, RowsPerChunk: 16,
		ContentRoot: sum[:], Sha256: hex.EncodeToString(sum[:]), RowsSha256: datasetRows(j), Uri: "http://127.0.0.1:9",
		Offers: []dmtypes.LicenseOffer{licenceOffer()},
	}
}

// licenceOffer is the one offer of the benchmark's datasets.
func licenceOffer() dmtypes.LicenseOffer {
	return dmtypes.LicenseOffer{Kind: dmtypes.LICENSE_KIND_PERPETUAL, Price: sdk.NewCoins(coin(licencePrice))}
}

// licenceMsg buys the perpetual licence of a dataset, capped at its price
// and bound to the offer's terms, as the CLI sends it.
func licenceMsg(buyer string, datasetID uint64) sdk.Msg {
	offer := licenceOffer()
	return &dmtypes.MsgPurchaseLicense{Buyer: buyer, DatasetId: datasetID, OfferIndex: 0, MaxPrice: coin(licencePrice), ExpectedOffer: &offer}
}

// jobWindows are the auction and execution windows of the benchmark's jobs.
type jobWindows struct{ commit, reveal, exec uint64 }

// fit widens w to the machine's pace: n is the blocks the run's first bank
// send phase committed in, span the heights the chain made over that whole
// phase (presigning, broadcasting, draining and reading its blocks). The
// other phases commit in up to 2.7 × n blocks, and between phases the tool
// presigns and reads blocks while the chain goes on. The commit window
// spans the create phase, a bank send phase and the commit phase's
// presigning, each a whole phase; the reveal window a send phase and its
// own: so both follow span too (a longer one of either is waited out
// before the next phase). On a machine half as fast as usual (sends in 15
// blocks, creates and commits in 18 and 24) 60 commit blocks closed before
// the commit phase had begun; on 2026-12-05, with creates paying their block
// work (286,574 gas each, 18 blocks) and the send after them in 27, 80
// (6 × 10 + 20) closed 15 blocks before it. The execution
// window spans the submit's send phase whole and the submit phase, and is
// never waited out, so it follows span: on a host at a third of its usual
// speed a send phase committed in 10 blocks while presigning alone took 42,
// and 80 execution blocks (3 × 10 + 20 would have been 50) closed before the
// results were signed. It starts at each job's award, and the awards of the
// run's jobs drain over drain blocks (max_queue_items_per_block a block) while
// the submit phase waits for the last: with 20,000 jobs (--per-account 100)
// the first awarded expired 80 blocks later, 20 before the last was awarded.
func (w jobWindows) fit(n, span, drain int) jobWindows {
	b, s := uint64(max(n, 0)), uint64(max(span, n, 0))
	w.commit = max(w.commit, 6*b+20, 4*s+20)
	w.reveal = max(w.reveal, 3*b+20, 3*s+20)
	w.exec = max(w.exec, uint64(max(drain, 0))+3*s+20)
	return w
}

// awardBlocks is how many blocks the awards of jobs take, perBlock a block.
func awardBlocks(jobs int, perBlock uint32) int {
	if perBlock == 0 {
		return 0
	}
	return (jobs + int(perBlock) - 1) / int(perBlock)
}

// within caps w at the chain's longest windows.
func (w jobWindows) within(p computetypes.Params) jobWindows {
	w.commit = min(w.commit, p.MaxCommitBlocks)
	w.reveal = min(w.reveal, p.MaxRevealBlocks)
	w.exec = min(w.exec, p.MaxExecBlocks)
	return w
}

// createMsg creates a small gemm job (one chunk) that pays the creation fee
// and caps no model or dataset fee (it uses neither).
func createMsg(requester string, seed uint64, w jobWindows) sdk.Msg {
	return &computetypes.MsgCreateJob{
		Requester: requester, MaxPrice: coin(jobMaxPrice),
		Workload: computetypes.WorkloadSpec{Kind: "gemm-f32", ChunkRows: gemmSize,
			Gemm: &computetypes.GemmSpec{M: gemmSize, N: gemmSize, K: gemmSize, Seed: seed}},
		CommitBlocks: w.commit, RevealBlocks: w.reveal, ExecBlocks: w.exec,
	}
}

// bidSalt is the 16-byte salt of provider's bid on job (the shortest the
// chain accepts; the benchmark needs no secrecy, only a valid opening).
func bidSalt(jobID uint64, provider string) []byte {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%s", jobID, provider)))
	return sum[:computetypes.MinSaltLen]
}

// commitMsg commits provider's sealed bid on job.
func commitMsg(provider string, jobID uint64) sdk.Msg {
	c := computetypes.BidCommitment(jobID, provider, coin(bidPrice), bidSalt(jobID, provider))
	return &computetypes.MsgCommitBid{Provider: provider, JobId: jobID, Commitment: c}
}

// revealMsg opens provider's bid on job.
func revealMsg(provider string, jobID uint64) sdk.Msg {
	return &computetypes.MsgRevealBid{Provider: provider, JobId: jobID, Price: coin(bidPrice), Salt: bidSalt(jobID, provider)}
}

// submitMsg submits the (unchecked) result of an awarded job: one chunk.
func submitMsg(provider string, jobID uint64) sdk.Msg {
	root := sha256.Sum256([]byte(fmt.Sprintf("result-%d", jobID)))
	return &computetypes.MsgSubmitResult{Provider: provider, JobId: jobID, OutputRoot: root[:], ChunkCount: 1}
}

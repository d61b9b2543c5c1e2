package app_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/types/common"
	computekeeper "github.com/aichain/aichain/x/compute/keeper"
	computetypes "github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
	srtypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// The kinds BenchmarkTxPath measures, as cmd/aichain-bench sends them.
func txKinds() []txKind {
	none := func(*txBench) any { return nil }
	return []txKind{
		{name: "bank-send", setup: none, round: func(tb *txBench, _ any, _ int) []sdk.Msg {
			return tb.repeat(func(j int) sdk.Msg { return sendMsg(tb, j) })
		}},
		{name: "register-model", setup: none, round: func(tb *txBench, _ any, i int) []sdk.Msg {
			return tb.repeat(func(j int) sdk.Msg { return modelMsg(tb.addr(j), fmt.Sprintf("bench-%d-%d", i, j)) })
		}},
		{name: "lock", setup: none, round: func(tb *txBench, _ any, _ int) []sdk.Msg {
			return tb.repeat(func(j int) sdk.Msg { return lockMsg(tb.addr(j)) })
		}},
		{name: "purchase-licence", setup: none, round: licenceRound},
		{name: "create-job", setup: none, round: func(tb *txBench, _ any, i int) []sdk.Msg {
			return tb.repeat(func(j int) sdk.Msg { return createMsg(tb.addr(j), uint64(i*1000+j+1)) })
		}},
		{name: "commit-bid", setup: registerProviders, round: func(tb *txBench, _ any, _ int) []sdk.Msg {
			jobs := openJobs(tb)
			return tb.repeat(func(j int) sdk.Msg { return commitMsg(tb.addr(j), jobs[(j+1)%len(jobs)]) })
		}},
		{name: "reveal-bid", setup: registerProviders, round: func(tb *txBench, _ any, _ int) []sdk.Msg {
			jobs := committedJobs(tb)
			return tb.repeat(func(j int) sdk.Msg { return revealMsg(tb.addr(j), jobs[(j+1)%len(jobs)]) })
		}},
		{name: "submit-result", setup: registerProviders, round: func(tb *txBench, _ any, _ int) []sdk.Msg {
			jobs := committedJobs(tb)
			ms := computekeeper.NewMsgServerImpl(tb.ta.ComputeKeeper)
			for j := range jobs {
				tb.must(ms.RevealBid(tb.ta.Ctx, revealMsg(tb.addr(j), jobs[(j+1)%len(jobs)]).(*computetypes.MsgRevealBid)))
			}
			tb.advanceUntil(jobs[0], computetypes.JobState_JOB_STATE_ASSIGNED)
			return tb.repeat(func(j int) sdk.Msg { return submitMsg(tb.addr(j), jobs[(j+1)%len(jobs)]) })
		}},
		{name: "claim-rewards-1-lock", setup: locksSetup(1), round: claimRound},
		{name: "claim-rewards-100-locks", setup: locksSetup(100), round: claimRound},
	}
}

const (
	benchDenom   = app.BondDenom
	jobMaxPrice  = 5_000
	bidPrice     = 4_000
	licencePrice = 100
	gemmSize     = 16
)

func benchCoin(n int64) sdk.Coin { return sdk.NewCoin(benchDenom, math.NewInt(n)) }

func (tb *txBench) must(_ any, err error) {
	tb.b.Helper()
	if err != nil {
		tb.b.Fatal(err)
	}
}

func sendMsg(tb *txBench, j int) sdk.Msg {
	return &banktypes.MsgSend{FromAddress: tb.addr(j), ToAddress: tb.addr(j + 1), Amount: sdk.NewCoins(benchCoin(1))}
}

func modelMsg(owner, name string) sdk.Msg {
	sum := sha256.Sum256([]byte(name))
	return &mrtypes.MsgRegisterModel{
		Owner: owner, Name: name, Version: "1.0.0", Architecture: mrtypes.ArchitectureMLPF32,
		Sha256: hex.EncodeToString(sum[:]), Uri: "https://models.example/" + name,
		InputDim: 4, OutputDim: 2, License: "MIT",
		Shares: []common.Share{{Address: owner, Weight: 1}},
	}
}

func lockMsg(owner string) sdk.Msg {
	return &srtypes.MsgLock{Owner: owner, Amount: benchCoin(1_000_000), Duration: 7 * 24 * time.Hour}
}

// licenceRound lists a dataset of each account (untimed), and account j buys
// the one of account j+1.
func licenceRound(tb *txBench, _ any, i int) []sdk.Msg {
	ms := dmkeeper.NewMsgServerImpl(tb.ta.DataMarketKeeper)
	ids := make([]uint64, len(tb.ta.Accounts))
	for j := range ids {
		name := fmt.Sprintf("bench-%d-%d", i, j)
		sum := sha256.Sum256([]byte(name))
		res, err := ms.ListDataset(tb.ta.Ctx, &dmtypes.MsgListDataset{
			Owner: tb.addr(j), Name: name, Format: dmtypes.FormatNpyF32, Rows: 16, Cols: 4, RowsPerChunk: 16,
			ContentRoot: sum[:], Sha256: hex.EncodeToString(sum[:]), RowsSha256: hex.EncodeToString(sum[:]), Uri: "http://127.0.0.1:9",
			Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PERPETUAL, Price: sdk.NewCoins(benchCoin(licencePrice))}},
		})
		if err != nil {
			tb.b.Fatal(err)
		}
		ids[j] = res.DatasetId
	}
	tb.ta.NextBlock()
	return tb.repeat(func(j int) sdk.Msg {
		offer := dmtypes.LicenseOffer{Kind: dmtypes.LICENSE_KIND_PERPETUAL, Price: sdk.NewCoins(benchCoin(licencePrice))}
		return &dmtypes.MsgPurchaseLicense{Buyer: tb.addr(j), DatasetId: ids[(j+1)%len(ids)], MaxPrice: benchCoin(licencePrice),
			ExpectedOffer: &offer} // as the CLI sends it
	})
}

func createMsg(requester string, seed uint64) sdk.Msg {
	return &computetypes.MsgCreateJob{
		Requester: requester, MaxPrice: benchCoin(jobMaxPrice),
		Workload: computetypes.WorkloadSpec{Kind: "gemm-f32", ChunkRows: gemmSize,
			Gemm: &computetypes.GemmSpec{M: gemmSize, N: gemmSize, K: gemmSize, Seed: seed}},
		CommitBlocks: 5, RevealBlocks: 5, ExecBlocks: 1000, // long: no provider misses a deadline within a benchmark
	}
}

func bidSalt(jobID uint64, provider string) []byte {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%s", jobID, provider)))
	return sum[:computetypes.MinSaltLen]
}

func commitMsg(provider string, jobID uint64) sdk.Msg {
	c := computetypes.BidCommitment(jobID, provider, benchCoin(bidPrice), bidSalt(jobID, provider))
	return &computetypes.MsgCommitBid{Provider: provider, JobId: jobID, Commitment: c}
}

func revealMsg(provider string, jobID uint64) sdk.Msg {
	return &computetypes.MsgRevealBid{Provider: provider, JobId: jobID, Price: benchCoin(bidPrice), Salt: bidSalt(jobID, provider)}
}

func submitMsg(provider string, jobID uint64) sdk.Msg {
	root := sha256.Sum256([]byte(fmt.Sprintf("result-%d", jobID)))
	return &computetypes.MsgSubmitResult{Provider: provider, JobId: jobID, OutputRoot: root[:], ChunkCount: 1}
}

// registerProviders registers every account as a compute provider.
func registerProviders(tb *txBench) any {
	ms := computekeeper.NewMsgServerImpl(tb.ta.ComputeKeeper)
	p, err := tb.ta.ComputeKeeper.Params.Get(tb.ta.Ctx)
	if err != nil {
		tb.b.Fatal(err)
	}
	for j := range tb.ta.Accounts {
		tb.must(ms.RegisterProvider(tb.ta.Ctx, &computetypes.MsgRegisterProvider{
			Operator: tb.addr(j), Moniker: "bench", Endpoint: "http://127.0.0.1:9",
			Hardware: computetypes.Hardware{Workloads: []string{"gemm-f32"}}, Bond: p.MinProviderBond,
		}))
	}
	tb.ta.NextBlock()
	return nil
}

var jobSeed uint64

// openJobs creates a job of each account (untimed) and returns their ids.
func openJobs(tb *txBench) []uint64 {
	ms := computekeeper.NewMsgServerImpl(tb.ta.ComputeKeeper)
	ids := make([]uint64, len(tb.ta.Accounts))
	for j := range ids {
		jobSeed++
		res, err := ms.CreateJob(tb.ta.Ctx, createMsg(tb.addr(j), jobSeed).(*computetypes.MsgCreateJob))
		if err != nil {
			tb.b.Fatal(err)
		}
		ids[j] = res.JobId
	}
	tb.ta.NextBlock()
	return ids
}

// committedJobs opens jobs, commits account j's bid on job j+1, and waits
// for the reveal phase (untimed).
func committedJobs(tb *txBench) []uint64 {
	jobs := openJobs(tb)
	ms := computekeeper.NewMsgServerImpl(tb.ta.ComputeKeeper)
	for j := range jobs {
		tb.must(ms.CommitBid(tb.ta.Ctx, commitMsg(tb.addr(j), jobs[(j+1)%len(jobs)]).(*computetypes.MsgCommitBid)))
	}
	tb.advanceUntil(jobs[0], computetypes.JobState_JOB_STATE_REVEAL)
	return jobs
}

// advanceUntil runs empty blocks until the job is in state (at most 50).
func (tb *txBench) advanceUntil(job uint64, state computetypes.JobState) {
	for n := 0; n < 50; n++ {
		j, err := tb.ta.ComputeKeeper.GetJob(tb.ta.Ctx, job)
		if err != nil {
			tb.b.Fatal(err)
		}
		if j.State == state {
			return
		}
		tb.ta.NextBlock()
	}
	tb.b.Fatalf("job %d not in %s after 50 blocks", job, state)
}

// locksSetup gives every account n locks.
func locksSetup(n int) func(tb *txBench) any {
	return func(tb *txBench) any {
		for j := range tb.ta.Accounts {
			for k := 0; k < n; k++ {
				tb.must(tb.ta.StakingRewardsKeeper.CreateLock(tb.ta.Ctx, tb.ta.Accounts[j].Address, benchCoin(1_000_000), 7*24*time.Hour))
			}
		}
		tb.ta.NextBlock()
		return nil
	}
}

// claimRound pays fees into the reward pool (a block distributes them,
// untimed); every account then claims.
func claimRound(tb *txBench, _ any, _ int) []sdk.Msg {
	fees := sdk.NewCoins(benchCoin(int64(1_000_000 * len(tb.ta.Accounts))))
	if err := tb.ta.BankKeeper.SendCoinsFromAccountToModule(tb.ta.Ctx, tb.ta.Accounts[0].Address, common.RewardPoolName, fees); err != nil {
		tb.b.Fatal(err)
	}
	tb.ta.NextBlock()
	return tb.repeat(func(j int) sdk.Msg { return &srtypes.MsgClaimRewards{Owner: tb.addr(j)} })
}

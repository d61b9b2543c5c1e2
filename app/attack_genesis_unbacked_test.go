package app_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	computekeeper "github.com/aichain/aichain/x/compute/keeper"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackGenesisForgesUnbackedProviderBond: x/compute's genesis lists
// the providers' bonds and the jobs' escrows, and its module account pays
// each back from one pool. A genesis (a new chain's, or a restart's edited
// export) that adds a provider whose bond the account does not hold passes
// validate-genesis (x/compute's Validate cannot see balances) and, without a
// check at InitChain, returns that bond out of the coins the account holds
// for others: here the thief, an unbonding provider whose bond is the
// requester's whole escrow, is paid it at block 2, and the requester's job
// can no longer refund. x/staking refuses a genesis whose pools do not hold
// its bonded tokens, and x/staking-rewards one whose module account does not
// hold its locks; x/compute's books are checked the same way once every
// module is loaded (Keeper.CheckHoldings, from InitChainer).
func TestAttackGenesisForgesUnbackedProviderBond(t *testing.T) {
	ta := apptesting.Setup(t, 3)
	ck := ta.App.ComputeKeeper
	cms := computekeeper.NewMsgServerImpl(ck)
	req, thief := ta.Accounts[0].Address, ta.Accounts[1].Address
	res, err := cms.CreateJob(ta.Ctx, &computetypes.MsgCreateJob{
		Requester: req.String(), MaxPrice: zhCoin(10_000), CommitBlocks: 50, RevealBlocks: 50, ExecBlocks: 50,
		Workload: computetypes.WorkloadSpec{Kind: workload.KindGemm, Gemm: &computetypes.GemmSpec{M: 64, N: 32, K: 16, Seed: 7}, ChunkRows: 16},
	})
	if err != nil {
		t.Fatal(err)
	}
	ta.NextBlock()
	module := authtypes.NewModuleAddress(computetypes.ModuleName)
	held := ta.App.BankKeeper.GetBalance(ta.Ctx, module, app.BondDenom)
	if !held.IsPositive() {
		t.Fatalf("set-up: the module account holds no escrow (%s)", held)
	}

	exported, err := ta.App.ExportAppStateAndValidators(false, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var genesis app.GenesisState
	if err := json.Unmarshal(exported.AppState, &genesis); err != nil {
		t.Fatal(err)
	}
	var cgs computetypes.GenesisState
	ta.App.AppCodec().MustUnmarshalJSON(genesis[computetypes.ModuleName], &cgs)
	cgs.Providers = append(cgs.Providers, computetypes.Provider{
		Address: thief.String(), Moniker: "thief", Bond: held, Locked: zhCoin(0),
		Status: computetypes.ProviderStatus_PROVIDER_STATUS_UNBONDING, UnbondingEnd: 2,
	})
	genesis[computetypes.ModuleName] = ta.App.AppCodec().MustMarshalJSON(&cgs)
	if err := ta.App.BasicModuleManager.ValidateGenesis(ta.App.AppCodec(), ta.App.TxConfig(), genesis); err != nil {
		t.Fatalf("set-up: the forged genesis does not validate: %v", err)
	}
	appState, err := json.Marshal(genesis)
	if err != nil {
		t.Fatal(err)
	}

	a := apptesting.NewApp(t)
	now := ta.Ctx.BlockTime().Add(time.Hour)
	_, err = a.InitChain(&abci.RequestInitChain{
		ChainId: apptesting.ChainID, Validators: []abci.ValidatorUpdate{}, ConsensusParams: simtestutil.DefaultConsensusParams,
		AppStateBytes: appState, Time: now, InitialHeight: 1,
	})
	if errors.Is(err, computetypes.ErrInvalidGenesis) {
		return // refused: the bond is not held
	}
	if err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	thiefBefore := ta.App.BankKeeper.GetBalance(ta.Ctx, thief, app.BondDenom).Amount
	for h := int64(1); h <= 3; h++ {
		now = now.Add(5 * time.Second)
		if _, err := a.FinalizeBlock(&abci.RequestFinalizeBlock{Height: h, Time: now, Hash: []byte("block-hash-for-tests-0000000000000000")}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	ctx := a.NewUncachedContext(false, cmtproto.Header{ChainID: apptesting.ChainID, Height: 4, Time: now})
	gained := a.BankKeeper.GetBalance(ctx, thief, app.BondDenom).Amount.Sub(thiefBefore)
	left := a.BankKeeper.GetBalance(ctx, module, app.BondDenom)
	job, err := a.ComputeKeeper.GetJob(ctx, res.JobId)
	if err != nil {
		t.Fatal(err)
	}
	owed := job.Escrow.AmountOf(app.BondDenom)
	t.Logf("thief gained %s%s; module account holds %s for a job escrow of %s", gained, app.BondDenom, left, owed)
	if gained.IsPositive() || left.Amount.LT(owed) {
		t.Fatalf("InitChain accepted a bond the module account did not hold: the thief took %s%s of the requester's escrow, "+
			"which now has %s of its %s%s backed", gained, app.BondDenom, left.Amount, owed, app.BondDenom)
	}
}

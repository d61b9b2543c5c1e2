package app_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	computekeeper "github.com/aichain/aichain/x/compute/keeper"
	computetypes "github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
)

func zhCoin(n int64) sdk.Coin { return sdk.NewCoin(app.BondDenom, math.NewInt(n)) }

// zhChain drives a second app, started from an exported genesis at height 1,
// block by block as a node would (FinalizeBlock, Commit).
type zhChain struct {
	t      *testing.T
	app    *app.App
	height int64 // the last committed height
	time   time.Time
}

func startFromGenesis(t *testing.T, appState json.RawMessage, genesisTime time.Time) *zhChain {
	t.Helper()
	a := apptesting.NewApp(t)
	apptesting.InitChain(t, a, appState, genesisTime)
	return &zhChain{t: t, app: a, time: genesisTime}
}

// next finalizes and commits the next block and checks x/compute's invariants.
func (c *zhChain) next() {
	c.t.Helper()
	c.height++
	c.time = c.time.Add(5 * time.Second)
	if _, err := c.app.FinalizeBlock(&abci.RequestFinalizeBlock{
		Height: c.height, Time: c.time, Hash: []byte("block-hash-for-tests-0000000000000000"),
	}); err != nil {
		c.t.Fatalf("FinalizeBlock %d: %v", c.height, err)
	}
	if _, err := c.app.Commit(); err != nil {
		c.t.Fatalf("Commit %d: %v", c.height, err)
	}
	if err := c.app.ComputeKeeper.CheckInvariants(c.committed()); err != nil {
		c.t.Fatalf("after block %d: %v", c.height, err)
	}
}

// committed is a read context on the last committed state.
func (c *zhChain) committed() sdk.Context {
	return c.app.NewUncachedContext(false, cmtproto.Header{ChainID: apptesting.ChainID, Height: c.height, Time: c.time})
}

// inBlock is a throwaway context for a transaction in block h (> c.height),
// on the last committed state; nothing written through it is kept.
func (c *zhChain) inBlock(h int64) sdk.Context {
	ctx, _ := c.app.NewUncachedContext(false, cmtproto.Header{ChainID: apptesting.ChainID, Height: h, Time: c.time}).CacheContext()
	return ctx
}

func (c *zhChain) job(id uint64) computetypes.Job {
	c.t.Helper()
	j, err := c.app.ComputeKeeper.GetJob(c.committed(), id)
	if err != nil {
		c.t.Fatal(err)
	}
	return j
}

// TestZeroHeightExportRebasesDeadlines builds, on a chain at some height H,
// jobs in their commit window, assigned, and under verification, a jailed
// provider, an unbonding one, a running rental and an expired one; exports
// for zero height; checks the rebased values and that the genesis validates;
// starts a new chain from it at height 1 and checks that every deadline fires
// after exactly the blocks it had left at the export.
func TestZeroHeightExportRebasesDeadlines(t *testing.T) {
	ta := apptesting.Setup(t, 8)
	ck, dk := ta.ComputeKeeper, ta.DataMarketKeeper
	cms, dms := computekeeper.NewMsgServerImpl(ck), dmkeeper.NewMsgServerImpl(dk)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	params := computetypes.DefaultParams()
	params.MinProviderBond, params.BidDeposit, params.CollateralRatioBps = zhCoin(1_000_000), zhCoin(1_000), 20_000
	params.MinCommitBlocks, params.MinRevealBlocks, params.MinExecBlocks = 1, 1, 1
	params.ChallengeBlocks, params.VerificationBlocks = 3, 30
	params.JailBlocks, params.UnbondingBlocks = 40, 30
	params.SampleRateFloorBps = 10_000 // every result is verified
	params.DisputeFee = zhCoin(500)
	params.SlashFractionFraud, params.SlashFractionTimeout, params.RequesterCompensationBps = 5_000, 1_000, 5_000
	// A 0.1 AIC creation fee covered at a 10% timeout slash would lock 2 AIC
	// (CoverLock), above these providers' 1 AIC bonds.
	params.JobCreationFee = zhCoin(1_000)
	_, err := cms.UpdateParams(ta.Ctx, &computetypes.MsgUpdateParams{Authority: gov, Params: params})
	must(err)

	req := ta.Accounts[0].Address
	p1, p2, p3, p4 := ta.Accounts[1].Address, ta.Accounts[2].Address, ta.Accounts[3].Address, ta.Accounts[4].Address
	buyer := ta.Accounts[5].Address
	hw := computetypes.Hardware{GpuModel: "A100", GpuCount: 1, VramGib: 80, Workloads: []string{workload.KindGemm}}
	for _, p := range []sdk.AccAddress{p1, p2, p3, p4} {
		_, err := cms.RegisterProvider(ta.Ctx, &computetypes.MsgRegisterProvider{
			Operator: p.String(), Moniker: "gpu", Endpoint: "http://127.0.0.1:8090", Hardware: hw, Bond: zhCoin(1_000_000),
		})
		must(err)
	}
	salt := []byte("a salt, 16 bytes")
	create := func(commit, reveal, exec uint64) uint64 {
		t.Helper()
		res, err := cms.CreateJob(ta.Ctx, &computetypes.MsgCreateJob{
			Requester: req.String(), MaxPrice: zhCoin(10_000), CommitBlocks: commit, RevealBlocks: reveal, ExecBlocks: exec,
			Workload: computetypes.WorkloadSpec{Kind: workload.KindGemm, Gemm: &computetypes.GemmSpec{M: 64, N: 32, K: 16, Seed: 7}, ChunkRows: 16},
		})
		must(err)
		return res.JobId
	}
	commit := func(p sdk.AccAddress, id uint64) {
		t.Helper()
		_, err := cms.CommitBid(ta.Ctx, &computetypes.MsgCommitBid{
			Provider: p.String(), JobId: id, Commitment: computetypes.BidCommitment(id, p.String(), zhCoin(5_000), salt),
		})
		must(err)
	}
	reveal := func(p sdk.AccAddress, id uint64) {
		t.Helper()
		_, err := cms.RevealBid(ta.Ctx, &computetypes.MsgRevealBid{Provider: p.String(), JobId: id, Price: zhCoin(5_000), Salt: salt})
		must(err)
	}
	root := sha256.Sum256([]byte("output"))
	submit := func(p sdk.AccAddress, id uint64) {
		t.Helper()
		_, err := cms.SubmitResult(ta.Ctx, &computetypes.MsgSubmitResult{Provider: p.String(), JobId: id, OutputRoot: root[:], ChunkCount: 4})
		must(err)
	}
	blocks := func(n int) {
		for i := 0; i < n; i++ {
			ta.NextBlock()
		}
	}
	job := func(id uint64) computetypes.Job {
		t.Helper()
		j, err := ck.GetJob(ta.Ctx, id)
		must(err)
		return j
	}
	wantState := func(id uint64, st computetypes.JobState) {
		t.Helper()
		if j := job(id); j.State != st {
			t.Fatalf("job %d is %s, want %s", id, j.State, st)
		}
	}

	// p3 wins a job, cheats and is jailed; one job is won by p1 and not
	// yet executed; one won by p2 is under verification; one is in its
	// commit window; p4 unbonds.
	fraud, assigned, verifying := create(2, 2, 5), create(2, 2, 60), create(2, 2, 5)
	commit(p3, fraud)
	commit(p1, assigned)
	commit(p2, verifying)
	blocks(3)
	reveal(p3, fraud)
	reveal(p1, assigned)
	reveal(p2, verifying)
	blocks(2)
	wantState(fraud, computetypes.JobState_JOB_STATE_ASSIGNED)
	wantState(assigned, computetypes.JobState_JOB_STATE_ASSIGNED)
	submit(p3, fraud)
	submit(p2, verifying)
	blocks(2)
	wantState(verifying, computetypes.JobState_JOB_STATE_VERIFYING)
	must(ck.ApplyVerdicts(ta.Ctx, 100, []computetypes.ValidatorVerdicts{{
		ConsAddress: []byte("val-a"), Power: 50,
		Verdicts: []computetypes.JobVerdict{{JobId: fraud, Verdict: computetypes.Verdict_VERDICT_INVALID}},
	}}))
	wantState(fraud, computetypes.JobState_JOB_STATE_FAILED)
	_, err = cms.UnbondProvider(ta.Ctx, &computetypes.MsgUnbondProvider{Operator: p4.String()})
	must(err)
	open := create(20, 5, 10)
	commit(p1, open)

	// Datamarket: a rental running at the export, one expired before it.
	sum := sha256.Sum256([]byte("iris"))
	listed, err := dms.ListDataset(ta.Ctx, &dmtypes.MsgListDataset{
		Owner: req.String(), Name: "iris", Format: dmtypes.FormatNpyF32, Rows: 150, Cols: 4, RowsPerChunk: 16,
		ContentRoot: sum[:], Sha256: hex.EncodeToString(sum[:]), RowsSha256: hex.EncodeToString(sum[:]), Uri: "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{
			{Kind: dmtypes.LICENSE_KIND_RENTAL, DurationBlocks: 3, Price: sdk.NewCoins(zhCoin(100))},
			{Kind: dmtypes.LICENSE_KIND_RENTAL, DurationBlocks: 50, Price: sdk.NewCoins(zhCoin(100))},
		},
	})
	must(err)
	ds := listed.DatasetId
	short, err := dms.PurchaseLicense(ta.Ctx, &dmtypes.MsgPurchaseLicense{Buyer: buyer.String(), DatasetId: ds, OfferIndex: 0, MaxPrice: zhCoin(100)})
	must(err)
	blocks(5)
	long, err := dms.PurchaseLicense(ta.Ctx, &dmtypes.MsgPurchaseLicense{Buyer: ta.Accounts[6].Address.String(), DatasetId: ds, OfferIndex: 1, MaxPrice: zhCoin(100)})
	must(err)
	blocks(4)
	if l, err := dk.GetLicense(ta.Ctx, short.LicenseId); err != nil || !l.Expired {
		t.Fatalf("short rental before the export: %+v, %v", l, err)
	}

	// Export at H, the last committed height.
	exportH := ta.LastBlockHeight()
	before := map[string]int64{
		"open.commit_end":      job(open).CommitEnd,
		"open.reveal_end":      job(open).RevealEnd,
		"assigned.exec":        job(assigned).ExecDeadline,
		"verifying.end":        job(verifying).VerificationEnd,
		"p3.jailed_until":      mustProvider(t, ck, ta.Ctx, p3).JailedUntil,
		"p4.unbonding_end":     mustProvider(t, ck, ta.Ctx, p4).UnbondingEnd,
		"long.expires_height":  long.ExpiresHeight,
		"p3.last_slash_height": mustProvider(t, ck, ta.Ctx, p3).Stats.LastSlashHeight,
		"assigned.created":     job(assigned).CreatedHeight,
		"short.expires_height": short.ExpiresHeight,
	}
	for name, h := range before {
		if name != "p3.last_slash_height" && name != "assigned.created" && name != "short.expires_height" && h <= exportH+1 {
			t.Fatalf("test setup: %s = %d is not well after the export height %d", name, h, exportH)
		}
	}
	exported, err := ta.App.ExportAppStateAndValidators(true, nil, nil)
	must(err)
	if exported.Height != 0 {
		t.Fatalf("zero-height export at height %d", exported.Height)
	}
	var genesis app.GenesisState
	must(json.Unmarshal(exported.AppState, &genesis))
	if err := ta.App.BasicModuleManager.ValidateGenesis(ta.App.AppCodec(), ta.App.TxConfig(), genesis); err != nil {
		t.Fatalf("the zero-height genesis does not validate: %v", err)
	}
	// The export did not touch the running chain's committed state.
	if got := job(open).CommitEnd; got != before["open.commit_end"] {
		t.Fatalf("the export changed the live chain: commit_end %d, was %d", got, before["open.commit_end"])
	}

	// The exported values: deadlines minus H, history 0, the open
	// recent-slash window restarted at 1, the expired rental at 1.
	var cgs computetypes.GenesisState
	ta.App.AppCodec().MustUnmarshalJSON(genesis[computetypes.ModuleName], &cgs)
	var dgs dmtypes.GenesisState
	ta.App.AppCodec().MustUnmarshalJSON(genesis[dmtypes.ModuleName], &dgs)
	got := map[string]int64{}
	for _, j := range cgs.Jobs {
		switch j.Id {
		case open:
			got["open.commit_end"], got["open.reveal_end"] = j.CommitEnd, j.RevealEnd
		case assigned:
			got["assigned.exec"], got["assigned.created"] = j.ExecDeadline, j.CreatedHeight
		case verifying:
			got["verifying.end"] = j.VerificationEnd
		}
		if j.ClosedHeight != 0 || j.CreatedHeight != 0 || j.Result.SubmittedHeight != 0 {
			t.Fatalf("job %d: history heights created %d closed %d submitted %d, want 0",
				j.Id, j.CreatedHeight, j.ClosedHeight, j.Result.SubmittedHeight)
		}
	}
	for _, p := range cgs.Providers {
		switch p.Address {
		case p3.String():
			got["p3.jailed_until"], got["p3.last_slash_height"] = p.JailedUntil, p.Stats.LastSlashHeight
		case p4.String():
			got["p4.unbonding_end"] = p.UnbondingEnd
		}
	}
	for _, l := range dgs.Licenses {
		switch l.Id {
		case long.LicenseId:
			got["long.expires_height"] = l.ExpiresHeight
		case short.LicenseId:
			got["short.expires_height"] = l.ExpiresHeight
		}
		if l.PurchasedHeight != 0 {
			t.Fatalf("licence %d purchased_height %d, want 0", l.Id, l.PurchasedHeight)
		}
	}
	for _, name := range []string{"open.commit_end", "open.reveal_end", "assigned.exec", "verifying.end",
		"p3.jailed_until", "p4.unbonding_end", "long.expires_height"} {
		if want := before[name] - exportH; got[name] != want {
			t.Fatalf("%s: exported %d, want %d − %d = %d", name, got[name], before[name], exportH, want)
		}
	}
	if got["p3.last_slash_height"] != 1 || got["assigned.created"] != 0 || got["short.expires_height"] != 1 {
		t.Fatalf("last_slash_height %d (want 1), created_height %d (want 0), expired rental %d (want 1)",
			got["p3.last_slash_height"], got["assigned.created"], got["short.expires_height"])
	}

	// A new chain from the export, at height 1.
	c := startFromGenesis(t, exported.AppState, ta.Ctx.BlockTime().Add(time.Hour))
	nk, ndk := c.app.ComputeKeeper, c.app.DataMarketKeeper
	nms := computekeeper.NewMsgServerImpl(nk)
	// InitChain's writes are committed with block 1: read the state after it.
	c.next()
	np := mustParams(t, nk, c.committed())
	np.SampleRateFloorBps = 0
	if r := computekeeper.SampleRateBps(mustProvider(t, nk, c.committed(), p3), np, 2); r != 10_000 {
		t.Fatalf("a provider slashed just before the export is sampled at %d bps in block 2, want 10000", r)
	}
	// The expired rental grants nothing; the running one does.
	access := func(h int64, who sdk.AccAddress) bool {
		t.Helper()
		res, err := ndk.HasAccess(c.inBlock(h), ds, who.String(), 0)
		must(err)
		return res.HasAccess
	}
	if access(2, buyer) || !access(2, ta.Accounts[6].Address) {
		t.Fatal("block 2: the expired rental must not grant access, the running one must")
	}
	if l, err := ndk.GetLicense(c.committed(), short.LicenseId); err != nil || !l.Expired || l.ExpiresHeight != 1 {
		t.Fatalf("the expired rental after block 1: %+v, %v", l, err)
	}

	last := max(got["open.commit_end"], got["assigned.exec"], got["verifying.end"], got["p3.jailed_until"],
		got["p4.unbonding_end"], got["long.expires_height"])
	for c.height < last {
		n := c.height + 1 // the block about to run
		// Jail: unjailing is refused before jailed_until and works from it.
		unjailCtx := c.inBlock(n)
		_, err := nms.UpdateProvider(unjailCtx, &computetypes.MsgUpdateProvider{
			Operator: p3.String(), Moniker: "gpu", Endpoint: "http://127.0.0.1:8090", Hardware: hw, AddBond: ptr(zhCoin(500_000)),
		})
		must(err)
		status := mustProvider(t, nk, unjailCtx, p3).Status
		if active := status == computetypes.ProviderStatus_PROVIDER_STATUS_ACTIVE; active != (n >= got["p3.jailed_until"]) {
			t.Fatalf("block %d: p3 is %s after an unjail attempt; jailed until %d", n, status, got["p3.jailed_until"])
		}
		if a := access(n, ta.Accounts[6].Address); a != (n < got["long.expires_height"]) {
			t.Fatalf("block %d: rental access %t, it expires at %d", n, a, got["long.expires_height"])
		}

		c.next()
		h := c.height
		if st := c.job(open).State; (st == computetypes.JobState_JOB_STATE_OPEN) != (h < got["open.commit_end"]) ||
			(h >= got["open.commit_end"] && h < got["open.reveal_end"] && st != computetypes.JobState_JOB_STATE_REVEAL) {
			t.Fatalf("after block %d: the open job is %s; commit_end %d, reveal_end %d", h, st, got["open.commit_end"], got["open.reveal_end"])
		}
		if st := c.job(assigned).State; (st == computetypes.JobState_JOB_STATE_ASSIGNED) != (h < got["assigned.exec"]) {
			t.Fatalf("after block %d: the assigned job is %s; exec_deadline %d", h, st, got["assigned.exec"])
		}
		// The verifying job's window ends at its rebased end, where it is extended once.
		if j := c.job(verifying); j.VerificationExtended != (h >= got["verifying.end"]) {
			t.Fatalf("after block %d: the verifying job is %s, extended %t; verification_end %d", h, j.State, j.VerificationExtended, got["verifying.end"])
		}
		_, err = nk.GetProvider(c.committed(), p4.String())
		if gone := err != nil; gone != (h >= got["p4.unbonding_end"]) {
			t.Fatalf("after block %d: unbonding provider removed %t (%v); unbonding_end %d", h, gone, err, got["p4.unbonding_end"])
		}
		l, err := ndk.GetLicense(c.committed(), long.LicenseId)
		must(err)
		if l.Expired != (h >= got["long.expires_height"]) {
			t.Fatalf("after block %d: rental expired=%t; expires_height %d", h, l.Expired, got["long.expires_height"])
		}
	}
	// The ends are the expected ones.
	if j := c.job(assigned); j.CloseReason != computetypes.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT {
		t.Fatalf("assigned job closed with %s", j.CloseReason)
	}
	// Without a quorum at its rebased end, the verification window is extended once.
	if j := c.job(verifying); j.State != computetypes.JobState_JOB_STATE_VERIFYING || !j.VerificationExtended ||
		j.VerificationEnd != got["verifying.end"]+30 {
		t.Fatalf("verifying job after its rebased end: %s, extended %t, end %d (want %d)",
			j.State, j.VerificationExtended, j.VerificationEnd, got["verifying.end"]+30)
	}
}

func mustProvider(t *testing.T, k computekeeper.Keeper, ctx sdk.Context, addr sdk.AccAddress) computetypes.Provider {
	t.Helper()
	p, err := k.GetProvider(ctx, addr.String())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustParams(t *testing.T, k computekeeper.Keeper, ctx sdk.Context) computetypes.Params {
	t.Helper()
	p, err := k.Params.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ptr is a pointer to a copy of v (a nullable message field).
func ptr[T any](v T) *T { return &v }

package keeper_test

import (
	"bytes"
	"errors"
	"testing"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	computekeeper "github.com/aichain/aichain/x/compute/keeper"
	computetypes "github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/datamarket/types"
	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// fullScaleRows is a one-column dataset of 1 GiB of values, less the room
// of a .npy header: the most a provider parses at its default limits
// (jobexec's TestAttackDatasetInOneRowChunksBloatsTheWinnersMemory).
const fullScaleRows = 1<<28 - 1<<18 - 4

// TestAttackOneRowChunkVersionTakesJobsThatNeverRun: an owner lists a
// one-column dataset in chunks of one row (the chain took any
// rows_per_chunk from 1 to the rows) and sells a perpetual licence of it.
// Its values are within a provider's parser limit, but its chunk index (88
// bytes of chunk view and Merkle tree for each 4-byte value) is not, so no
// provider bids on or loads it (jobexec.ErrDatasetMemory, checked here
// through jobexec.CheckDataset, the winner's load). The licensee's mlp job
// on it is created and expires unbid: the licensee is out the licence's
// price and the job's creation fee, and the owner keeps the price less the
// market fee. Now the listing is refused statelessly (ErrChunksTooSmall)
// and nothing moves; the same rows in the finest chunks the chain admits
// (MinRowsPerChunk: 23 rows, whose index their values outweigh) are listed,
// and the provider's rule takes them.
func TestAttackOneRowChunkVersionTakesJobsThatNeverRun(t *testing.T) {
	s := setup(t)
	const price = 10_000
	m := listMsg(s.owner.String(), perpetual(price, false))
	m.Rows, m.Cols, m.RowsPerChunk = fullScaleRows, 1, 1
	if vals := uint64(fullScaleRows) * 4; vals > jobexec.MaxInputBytes(nil) {
		t.Fatalf("%d bytes of values: over the default parser limit %d", vals, jobexec.MaxInputBytes(nil))
	}
	rec := types.Dataset{Id: 1, Version: 1, Format: m.Format, Rows: m.Rows, Cols: m.Cols, RowsPerChunk: m.RowsPerChunk}
	if _, err := jobexec.CheckDataset(rec, nil, workload.Limits{}); !errors.Is(err, jobexec.ErrDatasetMemory) {
		t.Fatalf("the provider's rule takes %d rows in chunks of 1 row: %v", m.Rows, err)
	}

	before := s.snap()
	res, err := s.ms.ListDataset(s.ta.Ctx, m)
	if err == nil {
		lost := s.jobThatNeverRuns(res.DatasetId, price)
		t.Fatalf("dataset %d listed: %d rows of 1 column in chunks of 1 row, which no provider loads; "+
			"its licensee paid %d uaic (licence %d, creation fee %d) for a job that expired unbid",
			res.DatasetId, m.Rows, lost, price, lost-price)
	}
	if !errors.Is(err, types.ErrChunksTooSmall) {
		t.Fatalf("listing refused with %v, want ErrChunksTooSmall", err)
	}
	if space, code, _ := errorsmod.ABCIInfo(err, false); space != types.ModuleName || code != types.ErrChunksTooSmall.ABCICode() {
		t.Fatalf("the refusal reaches users as %s/%d", space, code)
	}
	s.unchanged(before, "tiny-chunk listing")

	m.RowsPerChunk = types.MinRowsPerChunk(m.Rows, m.Cols)
	rec.RowsPerChunk = m.RowsPerChunk
	if id := s.list(m); id == 0 {
		t.Fatal("no dataset id")
	}
	if _, err := jobexec.CheckDataset(rec, nil, workload.Limits{}); errors.Is(err, jobexec.ErrDatasetMemory) {
		t.Fatalf("the provider refuses the chunking the chain admits (%d rows a chunk): %v", m.RowsPerChunk, err)
	}
}

// jobThatNeverRuns has the buyer buy dataset id's perpetual licence (offer
// 0, at price), create an mlp-f32 job on its version 1 through a 1→1 model
// of its own, and wait for the job to expire unbid; it asserts that no
// provider would load the version and every balance to the coin, and
// returns what the buyer lost.
func (s *suite) jobThatNeverRuns(id uint64, price int64) int64 {
	s.t.Helper()
	cms := computekeeper.NewMsgServerImpl(s.ta.ComputeKeeper)
	cp, err := s.ta.ComputeKeeper.Params.Get(s.ta.Ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	dp, err := s.k.GetParams(s.ta.Ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	escrow := authtypes.NewModuleAddress(computetypes.ModuleName)
	l := s.ledger(s.buyer.Address, s.owner.Address, escrow)
	s.buy(s.buyer.String(), id, 0)
	model, err := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper).RegisterModel(s.ta.Ctx, &mrtypes.MsgRegisterModel{
		Owner: s.buyer.String(), Name: "one", Version: "v1", Architecture: workload.KindMLP,
		Sha256: string(bytes.Repeat([]byte("ab"), 32)), Uri: "https://models.example/one.safetensors",
		InputDim: 1, OutputDim: 1, License: "MIT", Shares: []common.Share{{Address: s.buyer.String(), Weight: 1}},
	})
	if err != nil {
		s.t.Fatalf("register model: %v", err)
	}
	job, err := cms.CreateJob(s.ta.Ctx, &computetypes.MsgCreateJob{
		Requester: s.buyer.String(), MaxPrice: sdk.NewInt64Coin(denom, 10_000),
		Workload: computetypes.WorkloadSpec{Kind: workload.KindMLP, ChunkRows: 4096,
			Mlp: &computetypes.MlpSpec{ModelId: model.ModelId, DatasetId: id, DatasetVersion: 1}},
		CommitBlocks: cp.MinCommitBlocks, RevealBlocks: cp.MinRevealBlocks, ExecBlocks: min(cp.MaxExecBlocks, 1000),
	})
	if err != nil {
		s.t.Fatalf("create job: %v", err)
	}
	d, err := s.k.GetDataset(s.ta.Ctx, id)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := jobexec.CheckDataset(d, nil, workload.Limits{}); !errors.Is(err, jobexec.ErrDatasetMemory) {
		s.t.Fatalf("the winner would load dataset %d: %v", id, err)
	}
	for range cp.MinCommitBlocks + cp.MinRevealBlocks + 3 {
		s.ta.NextBlock()
	}
	j, err := s.ta.ComputeKeeper.GetJob(s.ta.Ctx, job.JobId)
	if err != nil || j.State != computetypes.JobState_JOB_STATE_EXPIRED || j.CloseReason != computetypes.CloseReason_CLOSE_REASON_NO_BIDS {
		s.t.Fatalf("job %d: %s (%s), %v; want EXPIRED, no bids", job.JobId, j.State, j.CloseReason, err)
	}
	fee := cp.JobCreationFee.Amount.Int64()
	l.expect("licence and an expired job", -(price + fee), price-price*int64(dp.MarketFeeBps)/10_000, 0)
	return price + fee
}

// TestGenesisImportsVersionChunkedSmallerThanItsIndex: the chunking rule
// binds the messages that publish a version, not genesis: a chain that
// listed a version in chunks smaller than their index before the rule,
// and sold a licence of it, exports it and the export imports, licence
// and all. Its owner's new version in the same chunks is refused.
func TestGenesisImportsVersionChunkedSmallerThanItsIndex(t *testing.T) {
	s := setup(t)
	m := listMsg(s.owner.String(), perpetual(100, false))
	id := s.list(m)
	s.buy(s.buyer.String(), id, 0)
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	// As the chain stored it before the rule: one column in one-row chunks.
	gs.Datasets[0].Cols, gs.Datasets[0].RowsPerChunk = 1, 1
	gs.DatasetVersions[0].Cols, gs.DatasetVersions[0].RowsPerChunk = 1, 1
	if !types.ChunkTooSmall(gs.Datasets[0].Rows, 1, 1) {
		t.Fatal("the imported version is not chunked smaller than its index")
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("the export is refused: %v", err)
	}
	fresh := setup(t)
	if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); err != nil {
		t.Fatalf("the export does not import: %v", err)
	}
	if v, err := fresh.k.GetDatasetVersion(fresh.ta.Ctx, id, 1); err != nil || v.RowsPerChunk != 1 || v.Cols != 1 {
		t.Fatalf("imported version: %+v, %v", v, err)
	}
	if !fresh.access(id, s.buyer.String()).HasAccess {
		t.Fatal("the licensee lost its access in the import")
	}
	fresh.expectFail("a new version in the same chunks", types.ErrChunksTooSmall, func() error {
		_, err := fresh.ms.UpdateDataset(fresh.ta.Ctx, &types.MsgUpdateDataset{Owner: s.owner.String(), DatasetId: id,
			Rows: m.Rows, Cols: 1, RowsPerChunk: 1, ContentRoot: rootOf("v2"), Sha256: shaOf("v2"), RowsSha256: rowsOf(shaOf("v2"))})
		return err
	})
}

package keeper_test

import (
	"bytes"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackOversizedChunks (issue 14, attack 2). Only chunk_count was
// limited: a requester could ask for chunks of gigabytes that no sidecar
// fetches within its timeout, dispute the result, and have an honest
// provider found UNAVAILABLE and slashed for fraud while it collected the
// compensation. Now every sampled chunk's response — the output rows plus,
// for a kind that reads a dataset, the dataset chunks that cover them — is
// at most max_chunk_bytes, checked at creation: such a job never exists, no
// provider can win it, and the refused request moves no coin. A job exactly
// at the limit is accepted.
func TestAttackOversizedChunks(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.MaxChunkBytes = 64 << 10 // 64 KiB
	p.VerificationBlocks = 10  // a window that fetches samples_per_job chunks at the limit
	s.setParams(p)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, 1_000_000)
	gemm := func(n, chunkRows uint64) *types.MsgCreateJob {
		m := s.createMsg(req, 10_000)
		m.Workload = types.WorkloadSpec{Kind: workload.KindGemm, Gemm: &types.GemmSpec{M: 4096, N: n, K: 4, Seed: 1}, ChunkRows: chunkRows}
		return m
	}

	// Output rows: 4096 rows × 64 columns × 4 bytes = 1 MiB per chunk.
	before := s.snap(req, prov)
	_, err := s.ms.CreateJob(s.ta.Ctx, gemm(64, 4096))
	wantErr(t, err, types.ErrInvalidWorkload)

	// Input rows: an mlp job whose output chunks are 8 rows × 2 columns, but
	// whose dataset chunks are 40000 rows × 3 columns (469 KiB each).
	w := s.mlpInputs(s.acc(2))
	_, err = dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).ListDataset(s.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: s.acc(2).String(), Name: "wide", Format: "npy-f32", Rows: 40_000, Cols: 3, RowsPerChunk: 40_000,
		ContentRoot: bytes.Repeat([]byte{8}, 32), Sha256: string(bytes.Repeat([]byte("ef"), 32)), RowsSha256: string(bytes.Repeat([]byte("ef"), 32)), Uri: "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(coin(datasetFee))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	before = s.snap(req, prov)
	m := s.createMsg(req, 10_000)
	m.Workload = types.WorkloadSpec{Kind: workload.KindMLP, Mlp: &types.MlpSpec{ModelId: 1, DatasetId: 2}, ChunkRows: 8}
	m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(40_300)), sdk.NewCoins(coin(datasetFee))
	_, err = s.ms.CreateJob(s.ta.Ctx, m)
	wantErr(t, err, types.ErrInvalidWorkload)
	s.unchanged(before, req, prov)

	// At the limit: 256 rows × 64 columns × 4 bytes = 64 KiB exactly. The
	// requester pays the creation fee and escrows max_price; the small mlp
	// job over 8-row dataset chunks is accepted too.
	l := s.ledger(req, prov)
	if _, err := s.ms.CreateJob(s.ta.Ctx, gemm(64, 256)); err != nil {
		t.Fatalf("a job at max_chunk_bytes: %v", err)
	}
	s.inv()
	l.delta("requester", req, -(creationFee + 10_000))
	l.delta("provider", prov, 0)
	s.mlpJob(req, w, 10_000)
	l.delta("requester after the mlp job", req, -2*creationFee-2*10_000-modelFee-datasetFee)
}

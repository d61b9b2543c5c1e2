package keeper_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// holderShares is n distinct share holders, the first one owner, the
// others fresh addresses of size bytes, tag and the holder's number in
// turn (32: as an ICA or other derived account has, not module accounts,
// whose bech32 form is 63 characters; the longest a share accepts).
func holderShares(owner sdk.AccAddress, n, size int, tag byte) []common.Share {
	out := []common.Share{{Address: owner.String(), Weight: 1}}
	for i := 1; i < n; i++ {
		a := make(sdk.AccAddress, size)
		for j := range a {
			a[j] = tag
			if j%2 == 1 {
				a[j] = byte(i)
			}
		}
		out = append(out, common.Share{Address: a.String(), Weight: 1})
	}
	return out
}

// manyHolderInputs registers a model and lists a dataset (owner) as
// mlpInputs does, but with n share holders each and, when long, every
// string field at its default length limit (the model's license and uri,
// the dataset's description and uri, 8 offers).
func (s *suite) manyHolderInputs(owner sdk.AccAddress, n int, long bool) types.WorkloadSpec {
	s.t.Helper()
	license, uri, name, desc, dsURI := "MIT", "https://models.example/tiny.safetensors", "tiny", "", "http://127.0.0.1:8090"
	offers := []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(coin(datasetFee))}}
	if long {
		mp := mrtypes.DefaultParams()
		dp := dmtypes.DefaultParams()
		license = strings.Repeat("L", int(mp.MaxLicenseLength))
		uri = "https://m.example/" + strings.Repeat("u", int(mp.MaxUriLength)-len("https://m.example/"))
		name = strings.Repeat("n", int(mp.MaxNameLength))
		desc = strings.Repeat("d", int(dp.MaxDescriptionLen))
		dsURI = "https://d.example/" + strings.Repeat("u", int(dp.MaxUriLen)-len("https://d.example/"))
		for i := 1; i < int(dp.MaxOffers); i++ {
			offers = append(offers, dmtypes.LicenseOffer{Kind: dmtypes.LICENSE_KIND_PERPETUAL, Price: sdk.NewCoins(coin(datasetFee + int64(i)))})
		}
	}
	m, err := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper).RegisterModel(s.ta.Ctx, &mrtypes.MsgRegisterModel{
		Owner: owner.String(), Name: name, Version: "v1", Architecture: "mlp-f32",
		Sha256: string(bytes.Repeat([]byte("ab"), 32)), Uri: uri,
		InputDim: 3, OutputDim: 2, License: license,
		FeePerJob: sdk.NewCoins(coin(300)), FeePer1kRows: sdk.NewCoins(coin(1000)),
		Shares: holderShares(owner, n, common.MaxShareAddressBytes, 0xA1),
	})
	if err != nil {
		s.t.Fatalf("register model: %v", err)
	}
	s.postModelBond(owner, modelBondStake)
	d, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).ListDataset(s.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: owner.String(), Name: "rows", Description: desc, Format: "npy-f32", Rows: 40, Cols: 3, RowsPerChunk: 8,
		ContentRoot: bytes.Repeat([]byte{7}, 32), Sha256: string(bytes.Repeat([]byte("cd"), 32)), RowsSha256: string(bytes.Repeat([]byte("cd"), 32)),
		Uri: dsURI, Offers: offers, Shares: holderShares(owner, n, common.MaxShareAddressBytes, 0xB2),
	})
	if err != nil {
		s.t.Fatalf("list dataset: %v", err)
	}
	s.inv()
	return types.WorkloadSpec{Kind: workload.KindMLP, Mlp: &types.MlpSpec{ModelId: m.ModelId, DatasetId: d.DatasetId}, ChunkRows: 8}
}

// shareHolderLife runs `jobs` mlp jobs one after another over inputs of n
// share holders each, one bid each, to settlement and pruning, and returns
// the last job's block work, its messages' gas (create-job and commit-bid)
// and what they were charged for its block work (WorkloadSpec.BlockGas,
// Job.TermsBlockGas, CommitBlockGas). The earlier jobs make the
// share holders' accounts exist (steady state: a model is used many times).
// With fresh, before each job the owner moves both share lists to n new
// holders (MsgUpdateShares, MsgUpdateDatasetShares), whose gas counts in
// msgs too.
func shareHolderLife(t *testing.T, n int, long, fresh bool, jobs int) (work, msgs, charged uint64, recSize int) {
	s := newSuite(t)
	p := s.params()
	p.RetentionBlocks = 4
	s.setParams(p)
	prov := s.acc(1)
	s.registerAny(prov, 1_000_000)
	w := s.manyHolderInputs(s.acc(5), n, long)
	s.next(1)
	for j := 0; j < jobs; j++ {
		idle := s.blockWork()
		var id uint64
		msgs = 0
		if fresh {
			owner := s.acc(5)
			msgs += s.msgGas(func() {
				_, err := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper).UpdateShares(s.ta.Ctx, &mrtypes.MsgUpdateShares{
					Owner: owner.String(), ModelId: w.Mlp.ModelId, Shares: holderShares(owner, n, common.MaxShareAddressBytes, byte(0x10+2*j)),
				})
				must(t, err)
			})
			msgs += s.msgGas(func() {
				_, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).UpdateDatasetShares(s.ta.Ctx, &dmtypes.MsgUpdateDatasetShares{
					Owner: owner.String(), DatasetId: w.Mlp.DatasetId, Shares: holderShares(owner, n, common.MaxShareAddressBytes, byte(0x11+2*j)),
				})
				must(t, err)
			})
		}
		msgs += s.msgGas(func() { id = s.mlpJob(s.acc(0), w, 10_000) })
		msgs += s.msgGas(func() { s.commit(prov, id, 5_000) })
		rec := s.job(id)
		recSize = rec.Size()
		charged = w.BlockGas() + rec.TermsBlockGas() + types.CommitBlockGas
		var submitted bool
		work, submitted = s.liveToPruning(id, idle, []sdk.AccAddress{prov}, []int64{5_000}, true)
		if !submitted {
			t.Fatal("set-up: the job was never assigned")
		}
		t.Logf("job %d of %d: block work %d, messages used %d", j+1, jobs, work, msgs)
	}
	return work, msgs, charged, recSize
}

// TestAttackManyShareHoldersMakeSettlementWorkUnpaid: a model's owner (and
// a dataset's) chooses up to common.MaxShares (32) share holders, and a
// requester (the same party, or anyone it lures) names that model and
// dataset in mlp jobs. Every such job copies both share lists into its
// record (read and written by each block path of its life) and its
// settlement, in EndBlocker under the block's infinite gas meter, pays
// each holder of both (a module-account check, a balance read and write
// each) and writes back the model's record (up to a 1 KiB license and
// 512-byte uri). MsgCreateJob charges a flat JobBlockGas +
// JobInputsBlockGas for it (types.WorkloadSpec.BlockGas counts only the
// workload spec's bytes, a 20-byte mlp spec), so the block work grows with
// the share count the attacker chose while the charge does not.
// Measured 2026-12-05 (second job, holders' accounts existing): one holder
// each, 373,029 gas of block work against 410,000 charged; 32 each
// (32-byte addresses, a 4,719-byte job record), 1,716,569 (4.19×); with
// every model and dataset string at its limit too, 1,802,969 (4.40×).
// The honest outcome (rule 19, as TestAttackJobsLeaveTheirBlockWorkUnpaid
// asserts for one holder): a job's block work is at most what its messages
// were charged for it. Now MsgCreateJob charges JobShareHolderBlockGas and
// the record bytes of each holder beyond the first of each
// (Job.TermsBlockGas): 2,741,200 for 32 each.
func TestAttackManyShareHoldersMakeSettlementWorkUnpaid(t *testing.T) {
	for _, c := range []struct {
		shares int
		long   bool
	}{
		{1, false},
		{common.MaxShares, false},
		{common.MaxShares, true},
	} {
		t.Run(fmt.Sprintf("%d shares, long fields %t", c.shares, c.long), func(t *testing.T) {
			work, msgs, charged, size := shareHolderLife(t, c.shares, c.long, false, 2)
			t.Logf("model and dataset of %d share holders each (long fields %t; job record %d bytes): block work %d, charged %d (%.2f×), messages used %d in all",
				c.shares, c.long, size, work, charged, float64(work)/float64(charged), msgs)
			if work > charged {
				t.Errorf("the job's life did %d gas of block work, %d charged for it (%.2f×)", work, charged, float64(work)/float64(charged))
			}
		})
	}
}

// TestAttackFreshShareHoldersMakeEverySettlementCreateAccounts: the owner
// of the model and dataset of TestAttackManyShareHoldersMakeSettlementWorkUnpaid
// moves both share lists to 32 never-used addresses before each job it
// requests (MsgUpdateShares and MsgUpdateDatasetShares check the shares
// and write one record each); each job's settlement then creates 62
// accounts (x/bank's send to an address with no account) and pays each,
// in EndBlocker under the block's infinite gas meter. The block work a
// job's life causes is then more than twice all the gas of the four
// messages the attacker sent for it (share updates, create-job,
// commit-bid), so the spam buys block time below its price whatever the
// gas price. Measured 2026-12-05: 2,629,877 gas of block work against
// 1,179,335 used by the four messages (2.23×; 410,000 of it charged for
// the block work).
// The honest outcome (rule 19): the work a transaction causes is charged
// to it at its expected cost. Now the holders are charged at create job
// with an account's creation counted (Job.TermsBlockGas): 2,741,200 for
// the work's 2,629,877.
func TestAttackFreshShareHoldersMakeEverySettlementCreateAccounts(t *testing.T) {
	work, msgs, charged, size := shareHolderLife(t, common.MaxShares, false, true, 2)
	t.Logf("fresh holders (job record %d bytes): block work %d, charged for it %d, all four messages used %d (%.2f×)",
		size, work, charged, msgs, float64(work)/float64(msgs))
	if work > charged {
		t.Errorf("the job's life did %d gas of block work, %d charged for it (%.2f×; all the attacker's messages for it used %d)",
			work, charged, float64(work)/float64(charged), msgs)
	}
}

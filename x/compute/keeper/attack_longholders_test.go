package keeper_test

import (
	"bytes"
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute"
	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// longHolderShares is n distinct share holders, the first one owner, the
// others size-byte addresses (255, the SDK's longest, address.MaxAddrLen,
// is over 400 bech32 characters).
func longHolderShares(owner sdk.AccAddress, n, size int, tag byte) []common.Share {
	out := []common.Share{{Address: owner.String(), Weight: 1}}
	for i := 1; i < n; i++ {
		a := make([]byte, size)
		for j := range a {
			a[j] = tag ^ byte(i) ^ byte(j)
		}
		out = append(out, common.Share{Address: sdk.AccAddress(a).String(), Weight: 1})
	}
	return out
}

// TestAttackLongShareHolderAddressesRunOfflineCreateJobOutOfGas: a model's
// owner (and a dataset's) lists common.MaxShares share holders whose
// addresses are 255 bytes long (valid: the SDK's bech32 decoding takes up to
// 1,023 characters and VerifyAddressFormat up to 255 bytes). MsgCreateJob
// charges Job.TermsBlockGas, 200 gas a record byte of each holder, while
// `tx compute create-job --offline/--generate-only` allows for the holders
// with types.MaxSharesBlockGas, which assumes addresses of at most 90
// characters ("bech32's most", a limit the SDK does not apply). An honest
// requester's offline-signed job on that model runs out of gas and loses its
// fee. Honest outcome: the gas MsgCreateJob uses for a valid job naming
// valid inputs fits OfflineCreateJobGas. Now a share holder's address is at
// most common.MaxShareAddressBytes (32: an account's, module-derived or
// interchain ones included), longer ones refused with ErrInvalidShares, and
// a job on inputs of 32 holders of 32-byte addresses each fits.
func TestAttackLongShareHolderAddressesRunOfflineCreateJobOutOfGas(t *testing.T) {
	s := newSuite(t)
	owner := s.acc(5)
	if err := common.ValidateShares(longHolderShares(owner, 2, 255, 0xA1)); !errors.Is(err, common.ErrInvalidShares) {
		t.Fatalf("a 255-byte holder address: %v, want ErrInvalidShares", err)
	}
	if err := common.ValidateShares(longHolderShares(owner, 2, common.MaxShareAddressBytes+1, 0xA1)); !errors.Is(err, common.ErrInvalidShares) {
		t.Fatalf("a %d-byte holder address: %v, want ErrInvalidShares", common.MaxShareAddressBytes+1, err)
	}
	shares := longHolderShares(owner, common.MaxShares, common.MaxShareAddressBytes, 0xA1)
	if err := common.ValidateShares(shares); err != nil {
		t.Fatalf("set-up: shares invalid: %v", err)
	}
	t.Logf("a holder's address is %d characters", len(shares[1].Address))
	m, err := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper).RegisterModel(s.ta.Ctx, &mrtypes.MsgRegisterModel{
		Owner: owner.String(), Name: "tiny", Version: "v1", Architecture: "mlp-f32",
		Sha256: string(bytes.Repeat([]byte("ab"), 32)), Uri: "https://models.example/tiny.safetensors",
		InputDim: 3, OutputDim: 2, License: "MIT",
		FeePerJob: sdk.NewCoins(coin(300)), FeePer1kRows: sdk.NewCoins(coin(1000)),
		Shares: shares,
	})
	must(t, err)
	d, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).ListDataset(s.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: owner.String(), Name: "rows", Format: "npy-f32", Rows: 40, Cols: 3, RowsPerChunk: 8,
		ContentRoot: bytes.Repeat([]byte{7}, 32), Sha256: string(bytes.Repeat([]byte("cd"), 32)),
		Uri:    "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(coin(datasetFee))}},
		Shares: longHolderShares(owner, common.MaxShares, common.MaxShareAddressBytes, 0xB2),
	})
	must(t, err)
	w := types.WorkloadSpec{Kind: workload.KindMLP, Mlp: &types.MlpSpec{ModelId: m.ModelId, DatasetId: d.DatasetId}, ChunkRows: 8}
	s.next(1)
	var id uint64
	used := s.msgGas(func() { id = s.mlpJob(s.acc(0), w, 10_000) })
	offline := compute.OfflineCreateJobGas(w)
	t.Logf("job %d: create-job used %d gas (terms %d, bound assumed %d); offline limit %d",
		id, used, s.job(id).TermsBlockGas(), types.MaxSharesBlockGas(), offline)
	if used > offline {
		t.Errorf("a valid create-job used %d gas, over the offline limit %d: an offline-signed job on these inputs runs out of gas", used, offline)
	}
}

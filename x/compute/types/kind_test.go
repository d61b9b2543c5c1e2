package types_test

import (
	"context"
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/aichain/aichain/workload"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
)

func TestKindTable(t *testing.T) {
	var names []string
	for _, k := range types.Kinds() {
		names = append(names, k.Name)
	}
	if strings.Join(names, ",") != "gemm-f32,gpt-f32,mlp-f32" {
		t.Fatalf("kinds %v", names)
	}
	gemm, ok := types.LookupKind(workload.KindGemm)
	if !ok || gemm.Spec != types.SpecGemm || gemm.RandomSpec == nil {
		t.Fatalf("gemm row %+v", gemm)
	}
	if mlp, ok := types.LookupKind(workload.KindMLP); !ok || mlp.Spec != types.SpecMLP || mlp.RandomSpec != nil {
		t.Fatalf("mlp row %+v", mlp)
	}
	if _, ok := types.LookupKind("conv-f32"); ok {
		t.Fatal("unknown kind found")
	}
	mustPanic := func(name string, k types.WorkloadKind) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: RegisterKind did not panic", name)
			}
		}()
		types.RegisterKind(k)
	}
	mustPanic("duplicate", gemm)
	incomplete := gemm
	incomplete.Name, incomplete.Resolve = "x-f32", nil
	mustPanic("no Resolve", incomplete)
	noSpec := gemm
	noSpec.Name, noSpec.Spec = "y-f32", ""
	mustPanic("no spec field", noSpec)
	unknownSpec := gemm
	unknownSpec.Name, unknownSpec.Spec = "w-f32", "conv"
	mustPanic("a spec field WorkloadSpec lacks", unknownSpec)
	kindField := gemm
	kindField.Name, kindField.Spec = "v-f32", "kind"
	mustPanic("a scalar field as spec", kindField)
	noRows := gemm
	noRows.Name, noRows.MaxRows = "z-f32", 0
	mustPanic("no max rows", noRows)
	if _, ok := types.LookupKind("x-f32"); ok {
		t.Fatal("a refused row was registered")
	}
}

// TestKindMessages pins the texts of the table's errors, which existed
// before the table.
func TestKindMessages(t *testing.T) {
	for _, c := range []struct {
		spec types.WorkloadSpec
		want string
	}{
		{types.WorkloadSpec{Kind: "x", ChunkRows: 1}, `unknown kind "x" (want gemm-f32, gpt-f32 or mlp-f32)`},
		{types.WorkloadSpec{Kind: workload.KindGemm, ChunkRows: 1}, "a gemm-f32 workload needs gemm and no mlp or gpt"},
		{types.WorkloadSpec{Kind: workload.KindMLP, Gemm: &types.GemmSpec{M: 1}, Mlp: &types.MlpSpec{ModelId: 1, DatasetId: 1}, ChunkRows: 1},
			"an mlp-f32 workload needs mlp and no gemm or gpt"},
	} {
		if _, err := c.spec.Validate(); !errors.Is(err, types.ErrInvalidWorkload) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.spec, err, c.want)
		}
	}
	hw := types.Hardware{Workloads: []string{"x"}}
	if err := hw.Validate(); !errors.Is(err, types.ErrInvalidProvider) || !strings.Contains(err.Error(), `unknown workload "x" (want gemm-f32, gpt-f32 or mlp-f32)`) {
		t.Errorf("hardware: %v", err)
	}
}

func TestResolveGemm(t *testing.T) {
	w := types.WorkloadSpec{Kind: workload.KindGemm, Gemm: &types.GemmSpec{M: 10, N: 4, K: 3}, ChunkRows: 4}
	k, terms, err := types.ResolveWorkload(context.Background(), types.KindState{}, w, "aic1x")
	if err != nil || k.Name != workload.KindGemm {
		t.Fatalf("%s %v", k.Name, err)
	}
	if terms.Shape != (types.WorkloadShape{Rows: 10, Cols: 4, MulAdds: 120, HeldValues: 12, RowValues: 7}) || terms.ModelID != 0 || terms.DatasetID != 0 {
		t.Fatalf("terms %+v", terms)
	}
	if n, err := k.ChunkCount(terms.Shape.Rows, w.ChunkRows); err != nil || n != 3 {
		t.Fatalf("chunk count %d %v", n, err)
	}
	bad := w
	bad.Gemm = &types.GemmSpec{M: 0, N: 4, K: 3}
	if _, _, err := types.ResolveWorkload(context.Background(), types.KindState{}, bad, "aic1x"); !errors.Is(err, types.ErrInvalidWorkload) {
		t.Fatalf("m = 0: %v", err)
	}
}

// TestRandomGemmValid: the simulation's generator only draws valid specs
// within the chunk limit.
func TestRandomGemmValid(t *testing.T) {
	k, _ := types.LookupKind(workload.KindGemm)
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 1000; i++ {
		maxChunks := uint64(1 + r.Intn(20))
		w := k.RandomSpec(r, maxChunks)
		rows, err := w.Validate()
		if err != nil {
			t.Fatalf("draw %d: %+v: %v", i, w, err)
		}
		if n, err := k.ChunkCount(rows, w.ChunkRows); err != nil || n > maxChunks {
			t.Fatalf("draw %d: %+v has %d chunks (max %d): %v", i, w, n, maxChunks, err)
		}
	}
}

type fakeModels struct {
	terms common.ModelTerms
	err   error
}

func (f fakeModels) ModelTermsForJob(context.Context, uint64, uint64) (common.ModelTerms, error) {
	return f.terms, f.err
}

func (fakeModels) PlatformFeeBps(context.Context) (uint32, error) { return 0, nil }

func (fakeModels) PayModelFeeAt(context.Context, uint64, string, sdk.Coins, uint32, []common.Share, uint64) error {
	return errors.New("not in this test")
}

type fakeDatasets struct {
	terms common.DatasetTerms
	err   error
}

func (f fakeDatasets) DatasetTermsForJob(context.Context, uint64, string, uint64) (common.DatasetTerms, error) {
	return f.terms, f.err
}

func (fakeDatasets) MarketFeeBps(context.Context) (uint32, error) { return 0, nil }

func (fakeDatasets) PayDatasetFeeAt(context.Context, uint64, string, sdk.Coins, uint32, []common.Share) error {
	return errors.New("not in this test")
}

func (fakeDatasets) ChargeJobDatasetFeeAt(context.Context, uint64, uint64, string, sdk.Coins, uint32, []common.Share) error {
	return nil
}
func (fakeDatasets) GrantJobAccessVersion(context.Context, uint64, uint64, uint64, string) error {
	return errors.New("not in this test")
}

func (fakeDatasets) RevokeJobAccess(context.Context, uint64, uint64) error {
	return errors.New("not in this test")
}

// TestResolveMLP: the mlp row reads its rows from the dataset and its output
// columns from the model, and refuses what CreateJob refused before the table.
func TestResolveMLP(t *testing.T) {
	ctx := context.Background()
	w := types.WorkloadSpec{Kind: workload.KindMLP, Mlp: &types.MlpSpec{ModelId: 3, DatasetId: 5}, ChunkRows: 8}
	shares := []common.Share{{Address: sdk.AccAddress(make([]byte, 20)).String(), Weight: 1}}
	models := fakeModels{terms: common.ModelTerms{Architecture: workload.KindMLP, InputDim: 4, OutputDim: 2, RowMulAdds: 4 * 2, Layers: 1,
		Fee: sdk.NewCoins(sdk.NewInt64Coin("uaic", 300)), Shares: shares}}
	datasets := fakeDatasets{terms: common.DatasetTerms{Version: 2, Rows: 40, Cols: 4, ContentRoot: []byte{7},
		Fee: sdk.NewCoins(sdk.NewInt64Coin("uaic", 700)), Shares: shares}}
	_, terms, err := types.ResolveWorkload(ctx, types.KindState{Models: models, Datasets: datasets}, w, "aic1req")
	if err != nil {
		t.Fatal(err)
	}
	work, _ := workload.MLPWork(4*2, 1, 40, 8)
	if terms.Shape != (types.WorkloadShape{Rows: 40, Cols: 2, InputCols: 4, MulAdds: work}) || terms.ModelID != 3 || terms.DatasetID != 5 ||
		terms.Dataset.Version != 2 || !terms.Model.Fee.Equal(models.terms.Fee) {
		t.Fatalf("terms %+v", terms)
	}
	mismatch := models
	mismatch.terms.InputDim = 5
	noWidths := models
	noWidths.terms.RowMulAdds, noWidths.terms.Layers = 0, 0
	badFee := datasets
	badFee.terms.Shares = nil
	for name, c := range map[string]struct {
		st   types.KindState
		want error
	}{
		"no datasets":         {types.KindState{Models: models}, types.ErrDatasetsUnavailable},
		"no models":           {types.KindState{Datasets: datasets}, types.ErrModelsUnavailable},
		"unknown dataset":     {types.KindState{Models: models, Datasets: fakeDatasets{err: errors.New("no such dataset")}}, types.ErrInvalidWorkload},
		"deprecated model":    {types.KindState{Models: fakeModels{err: errors.New("deprecated")}, Datasets: datasets}, types.ErrInvalidWorkload},
		"shape":               {types.KindState{Models: mismatch, Datasets: datasets}, types.ErrShapeMismatch},
		"widths not on chain": {types.KindState{Models: noWidths, Datasets: datasets}, types.ErrInvalidWorkload},
		"fee without shares":  {types.KindState{Models: models, Datasets: badFee}, types.ErrInvalidWorkload},
	} {
		if _, _, err := types.ResolveWorkload(ctx, c.st, w, "aic1req"); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
}

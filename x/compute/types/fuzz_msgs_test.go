package types_test

import (
	"bytes"
	"testing"

	"github.com/aichain/aichain/workload"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/testutil/msgfuzz"
	"github.com/aichain/aichain/x/compute/types"
)

func FuzzMsgsDecodeValidate(f *testing.F) { fuzzHarness.Fuzz(f, fuzzSeeds(f)) }

// TestFuzzMsgsSeeds runs every seed through the fuzz check, and checks that
// ValidateBasic accepts the valid ones and refuses the invalid ones.
func TestFuzzMsgsSeeds(t *testing.T) { fuzzHarness.TestSeeds(t, fuzzSeeds(t)) }

// fuzzHarness decodes fuzz inputs as the module's Msgs.
var fuzzHarness = &msgfuzz.Harness{
	Codespace: types.ModuleName, AminoPrefix: "aichain/compute/", Assert: assertValid,
	RegisterAmino: types.RegisterLegacyAminoCodec, RegisterInterfaces: types.RegisterInterfaces,
	Msgs: []msgfuzz.Msg{ // the order of the inputs' selector byte: append only
		&types.MsgRegisterProvider{}, &types.MsgUpdateProvider{}, &types.MsgUnbondProvider{},
		&types.MsgCreateJob{}, &types.MsgCancelJob{}, &types.MsgCommitBid{}, &types.MsgRevealBid{},
		&types.MsgSubmitResult{}, &types.MsgDisputeResult{}, &types.MsgUpdateParams{}, &types.MsgAbortJob{},
		&types.MsgRevealSampleSecret{},
	},
}

// fuzzCodec is the harness's proto codec, for FuzzWorkloadSpecJSON.
var fuzzCodec = func() *codec.ProtoCodec {
	cdc, err := fuzzHarness.ProtoCodec()
	if err != nil {
		panic(err) // package initialisation: there is no testing.TB to fail yet
	}
	return cdc
}()

func fuzzSeeds(t testing.TB) []msgfuzz.Seed {
	a := msgfuzz.Addr(t, 1)
	coin := sdk.NewInt64Coin("uaic", 1500)
	root := bytes.Repeat([]byte{7}, 32)
	hw := types.Hardware{GpuModel: "A100", GpuCount: 1, VramGib: 40, Workloads: []string{workload.KindGemm, workload.KindMLP}}
	gemm := types.WorkloadSpec{Kind: workload.KindGemm, Gemm: &types.GemmSpec{M: 8, N: 4, K: 4, Seed: 3}, ChunkRows: 4}
	mlp := types.WorkloadSpec{Kind: workload.KindMLP, Mlp: &types.MlpSpec{ModelId: 1, DatasetId: 2}, ChunkRows: 16}
	return []msgfuzz.Seed{
		msgfuzz.Valid(&types.MsgRegisterProvider{Operator: a, Moniker: "p", Endpoint: "https://p.example:8443", Hardware: hw, Bond: coin}),
		msgfuzz.Valid(&types.MsgUpdateProvider{Operator: a, Moniker: "p2", Endpoint: "http://10.0.0.2:8090/agent", Hardware: hw, AddBond: &coin}),
		msgfuzz.Valid(&types.MsgUnbondProvider{Operator: a}),
		msgfuzz.Valid(&types.MsgCreateJob{Requester: a, Workload: gemm, MaxPrice: coin, CommitBlocks: 5, RevealBlocks: 5, ExecBlocks: 20, MinHardware: types.Hardware{GpuCount: 1}}),
		msgfuzz.Valid(&types.MsgCancelJob{Requester: a, JobId: 1}),
		msgfuzz.Valid(&types.MsgCommitBid{Provider: a, JobId: 1, Commitment: root}),
		msgfuzz.Valid(&types.MsgRevealBid{Provider: a, JobId: 1, Price: coin, Salt: []byte("a salt of 16 byt")}),
		msgfuzz.Valid(&types.MsgSubmitResult{Provider: a, JobId: 1, OutputRoot: root, ChunkCount: 2}),
		msgfuzz.Valid(&types.MsgDisputeResult{Requester: a, JobId: 1}),
		msgfuzz.Valid(&types.MsgUpdateParams{Authority: a, Params: types.DefaultParams()}),
		msgfuzz.Valid(&types.MsgCreateJob{Requester: a, Workload: mlp, MaxPrice: coin, CommitBlocks: 1, RevealBlocks: 1, ExecBlocks: 1,
			MaxModelFee: sdk.NewCoins(coin), MaxDatasetFee: sdk.NewCoins(coin)}),
		msgfuzz.Valid(&types.MsgAbortJob{Provider: a, JobId: 1, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE}),
		msgfuzz.Valid(&types.MsgCreateJob{Requester: a, Workload: gemm, MaxPrice: coin, CommitBlocks: 5, RevealBlocks: 5, ExecBlocks: 20,
			Assurance: &types.Assurance{Full: true}}),
		msgfuzz.Valid(&types.MsgCreateJob{Requester: a, Workload: gemm, MaxPrice: coin, CommitBlocks: 5, RevealBlocks: 5, ExecBlocks: 20,
			Assurance: &types.Assurance{Samples: 8}}),
		// Invalid ones.
		msgfuzz.Invalid(&types.MsgRegisterProvider{Operator: "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a", Moniker: "p", Bond: coin}),
		msgfuzz.Invalid(&types.MsgRegisterProvider{Operator: a, Moniker: "p", Endpoint: "ftp://x", Bond: coin}),
		msgfuzz.Invalid(&types.MsgCreateJob{Requester: a, Workload: types.WorkloadSpec{Kind: workload.KindGemm, ChunkRows: 1}, MaxPrice: coin, CommitBlocks: 1, RevealBlocks: 1, ExecBlocks: 1}),
		msgfuzz.Invalid(&types.MsgCreateJob{Requester: a, Workload: gemm, MaxPrice: sdk.Coin{Denom: "uaic", Amount: math.NewInt(-1)}, CommitBlocks: 1, RevealBlocks: 1, ExecBlocks: 1}),
		msgfuzz.Invalid(&types.MsgCommitBid{Provider: a, JobId: 1, Commitment: root[:31]}),
		msgfuzz.Invalid(&types.MsgRevealBid{Provider: a, JobId: 1, Price: coin, Salt: make([]byte, types.MaxSaltLen+1)}),
		msgfuzz.Invalid(&types.MsgRevealBid{Provider: a, JobId: 1, Price: coin, Salt: []byte("0a0b0c")}),
		msgfuzz.Invalid(&types.MsgUpdateProvider{Operator: a, Moniker: "p2", Hardware: hw}),
		msgfuzz.Invalid(&types.MsgRegisterProvider{Operator: a, Moniker: "p", Endpoint: "http://user@p.example", Bond: coin}),
		msgfuzz.Invalid(&types.MsgAbortJob{Provider: a, JobId: 1}),
		msgfuzz.Invalid(&types.MsgCreateJob{Requester: a, Workload: gemm, MaxPrice: coin, CommitBlocks: 1, RevealBlocks: 1, ExecBlocks: 1,
			MaxModelFee: sdk.Coins{sdk.Coin{Denom: "uaic", Amount: math.NewInt(-1)}}}),
		msgfuzz.Invalid(&types.MsgSubmitResult{Provider: a, JobId: 0, OutputRoot: root, ChunkCount: 2}),
		msgfuzz.Invalid(&types.MsgUpdateParams{Authority: a}),
		msgfuzz.Invalid(&types.MsgCreateJob{Requester: a, Workload: gemm, MaxPrice: coin, CommitBlocks: 1, RevealBlocks: 1, ExecBlocks: 1,
			Assurance: &types.Assurance{Samples: 4, Full: true}}),
		msgfuzz.Invalid(&types.MsgCreateJob{Requester: a, Workload: gemm, MaxPrice: coin, CommitBlocks: 1, RevealBlocks: 1, ExecBlocks: 1,
			Assurance: &types.Assurance{Samples: types.MaxAssuranceSamples + 1}}),
		msgfuzz.Invalid(&types.MsgCreateJob{Requester: a, Workload: gemm, MaxPrice: coin, CommitBlocks: 1, RevealBlocks: 1, ExecBlocks: 1,
			SampleCommitment: root[:31]}),
		msgfuzz.Invalid(&types.MsgRevealSampleSecret{Requester: a, JobId: 1, Secret: root[:16]}),
		msgfuzz.Invalid(&types.MsgRevealSampleSecret{Requester: a, JobId: 0, Secret: root}),
		// Valid, appended after the invalid ones (the seeds' order is the corpus's).
		msgfuzz.Valid(&types.MsgCreateJob{Requester: a, Workload: gemm, MaxPrice: coin, CommitBlocks: 5, RevealBlocks: 5, ExecBlocks: 20,
			SampleCommitment: types.SampleCommitment(root)}),
		msgfuzz.Valid(&types.MsgRevealSampleSecret{Requester: a, JobId: 1, Secret: root}),
		msgfuzz.Invalid(&types.MsgDisputeResult{Requester: a, JobId: 1, SampleCommitment: root[:31]}),
		msgfuzz.Valid(&types.MsgDisputeResult{Requester: a, JobId: 1, SampleCommitment: types.SampleCommitment(root)}),
	}
}

func assertHardware(t testing.TB, hw types.Hardware) {
	if len(hw.GpuModel) > types.MaxGPUModelLen || len(hw.Workloads) > types.MaxWorkloads {
		t.Fatalf("hardware %+v accepted", hw)
	}
	for _, w := range hw.Workloads {
		if w != workload.KindGemm && w != workload.KindMLP {
			t.Fatalf("workload %q accepted", w)
		}
	}
}

func assertDescription(t testing.TB, moniker, endpoint string, hw types.Hardware) {
	if moniker == "" || len(moniker) > types.MaxMonikerLen || types.ValidateEndpoint(endpoint) != nil {
		t.Fatalf("moniker %q / endpoint %q accepted", moniker, endpoint)
	}
	assertHardware(t, hw)
}

// assertValid checks what ValidateBasic promises for an accepted Msg.
func assertValid(t testing.TB, msg msgfuzz.Msg, signer []byte) {
	switch m := msg.(type) {
	case *types.MsgRegisterProvider:
		msgfuzz.AssertAic(t, "operator", m.Operator, signer)
		assertDescription(t, m.Moniker, m.Endpoint, m.Hardware)
		msgfuzz.AssertPositiveCoin(t, "bond", m.Bond)
	case *types.MsgUpdateProvider:
		msgfuzz.AssertAic(t, "operator", m.Operator, signer)
		assertDescription(t, m.Moniker, m.Endpoint, m.Hardware)
		if add := m.BondAdded(); !add.IsNil() && !add.IsValid() {
			t.Fatalf("add_bond %s accepted", add)
		}
	case *types.MsgUnbondProvider:
		msgfuzz.AssertAic(t, "operator", m.Operator, signer)
	case *types.MsgCreateJob:
		msgfuzz.AssertAic(t, "requester", m.Requester, signer)
		msgfuzz.AssertPositiveCoin(t, "max_price", m.MaxPrice)
		if n := len(m.SampleCommitment); n != 0 && n != 32 {
			t.Fatalf("sample_commitment of %d bytes accepted", n)
		}
		if m.CommitBlocks == 0 || m.RevealBlocks == 0 || m.ExecBlocks == 0 {
			t.Fatalf("windows %d/%d/%d accepted", m.CommitBlocks, m.RevealBlocks, m.ExecBlocks)
		}
		w := m.Workload
		rows, err := w.Validate()
		if err != nil || w.ChunkRows == 0 {
			t.Fatalf("workload %+v accepted: %v", w, err)
		}
		switch w.Kind {
		case workload.KindGemm:
			if w.Gemm == nil || w.Mlp != nil || rows != w.Gemm.M || rows == 0 {
				t.Fatalf("gemm workload %+v accepted (rows %d)", w, rows)
			}
			if _, err := types.ChunkCountFor(rows, w.ChunkRows); err != nil {
				t.Fatalf("gemm workload %+v accepted, but no chunk count: %v", w, err)
			}
		case workload.KindMLP:
			if w.Mlp == nil || w.Gemm != nil || w.Mlp.ModelId == 0 || w.Mlp.DatasetId == 0 {
				t.Fatalf("mlp workload %+v accepted", w)
			}
		default:
			t.Fatalf("workload kind %q accepted", w.Kind)
		}
		assertHardware(t, m.MinHardware)
		if m.MaxModelFee.Validate() != nil || m.MaxDatasetFee.Validate() != nil {
			t.Fatalf("fee caps %s / %s accepted", m.MaxModelFee, m.MaxDatasetFee)
		}
	case *types.MsgCancelJob:
		msgfuzz.AssertAic(t, "requester", m.Requester, signer)
		if m.JobId == 0 {
			t.Fatal("job_id 0 accepted")
		}
	case *types.MsgCommitBid:
		msgfuzz.AssertAic(t, "provider", m.Provider, signer)
		if m.JobId == 0 || len(m.Commitment) != types.CommitmentLen {
			t.Fatalf("job %d commitment %x accepted", m.JobId, m.Commitment)
		}
	case *types.MsgRevealBid:
		msgfuzz.AssertAic(t, "provider", m.Provider, signer)
		msgfuzz.AssertPositiveCoin(t, "price", m.Price)
		if m.JobId == 0 || len(m.Salt) < types.MinSaltLen || len(m.Salt) > types.MaxSaltLen {
			t.Fatalf("job %d salt %d bytes accepted", m.JobId, len(m.Salt))
		}
	case *types.MsgSubmitResult:
		msgfuzz.AssertAic(t, "provider", m.Provider, signer)
		if m.JobId == 0 || len(m.OutputRoot) != types.OutputRootLen || m.ChunkCount == 0 {
			t.Fatalf("result %+v accepted", m)
		}
	case *types.MsgDisputeResult:
		msgfuzz.AssertAic(t, "requester", m.Requester, signer)
		if m.JobId == 0 {
			t.Fatal("job_id 0 accepted")
		}
		if n := len(m.SampleCommitment); n != 0 && n != 32 {
			t.Fatalf("sample_commitment of %d bytes accepted", n)
		}
	case *types.MsgRevealSampleSecret:
		msgfuzz.AssertAic(t, "requester", m.Requester, signer)
		if m.JobId == 0 || len(m.Secret) != types.SampleSecretSize {
			t.Fatalf("reveal %+v accepted", m)
		}
	case *types.MsgAbortJob:
		msgfuzz.AssertAic(t, "provider", m.Provider, signer)
		if m.JobId == 0 || m.Reason != types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE {
			t.Fatalf("abort %+v accepted", m)
		}
	case *types.MsgUpdateParams:
		msgfuzz.AssertAic(t, "authority", m.Authority, signer)
		if err := m.Params.Validate(); err != nil {
			t.Fatalf("params accepted: %v", err)
		}
	default:
		t.Fatalf("no properties for %T", msg)
	}
}

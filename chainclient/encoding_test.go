package chainclient

import (
	"bytes"
	"context"
	"testing"

	"github.com/aichain/aichain/workload"

	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/params"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

const testMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

// signed builds, signs and encodes a tx of msgs with enc and a key from
// testMnemonic in a keyring of enc's codec.
func signed(t *testing.T, enc params.EncodingConfig, mode signing.SignMode, msgs ...sdk.Msg) []byte {
	t.Helper()
	kr := keyring.NewInMemory(enc.Codec)
	if _, err := kr.NewAccount("k", testMnemonic, "", sdk.FullFundraiserPath, hd.Secp256k1); err != nil {
		t.Fatal(err)
	}
	txf := tx.Factory{}.WithChainID("aichain-test-1").WithKeybase(kr).WithTxConfig(enc.TxConfig).
		WithAccountNumber(7).WithSequence(3).WithGas(200000).WithFees("250uaic").WithMemo("memo").WithSignMode(mode)
	b, err := txf.BuildUnsignedTx(msgs...)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Sign(context.Background(), txf, "k", b, true); err != nil {
		t.Fatal(err)
	}
	bz, err := enc.TxConfig.TxEncoder()(b.GetTx())
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

// TestLightEncodingMatchesApp: the agents' encoding config, built from codecs
// alone, signs MsgCreateJob and MsgCommitBid txs to the same bytes as the
// app's, and each decodes the other's to the same tx and JSON.
func TestLightEncodingMatchesApp(t *testing.T) {
	light, err := MakeEncodingConfig()
	if err != nil {
		t.Fatal(err)
	}
	full := app.MakeEncodingConfig()
	kr := keyring.NewInMemory(light.Codec)
	rec, err := kr.NewAccount("k", testMnemonic, "", sdk.FullFundraiserPath, hd.Secp256k1)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		t.Fatal(err)
	}
	if addr.String()[:4] != params.Bech32Prefix+"1" {
		t.Fatalf("address %s does not carry aichain's prefix", addr)
	}
	create := &computetypes.MsgCreateJob{
		Requester: addr.String(),
		Workload:  computetypes.WorkloadSpec{Kind: workload.KindGemm, Gemm: &computetypes.GemmSpec{M: 64, N: 64, K: 64, Seed: 7}, ChunkRows: 16},
		MaxPrice:  sdk.NewInt64Coin(params.BondDenom, 5000), CommitBlocks: 5, RevealBlocks: 5, ExecBlocks: 30,
		MinHardware: computetypes.Hardware{GpuCount: 1, Workloads: []string{workload.KindGemm}},
	}
	commit := &computetypes.MsgCommitBid{Provider: addr.String(), JobId: 9, Commitment: bytes.Repeat([]byte{0xab}, 32)}
	for _, mode := range []signing.SignMode{signing.SignMode_SIGN_MODE_DIRECT, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON} {
		for name, msgs := range map[string][]sdk.Msg{"create-job": {create}, "commit-bid": {commit}, "both": {create, commit}} {
			got, want := signed(t, light, mode, msgs...), signed(t, full, mode, msgs...)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s %s: the light config signs other bytes than the app's", mode, name)
			}
			for _, c := range [][2]params.EncodingConfig{{light, full}, {full, light}} {
				decoded, err := c[0].TxConfig.TxDecoder()(want)
				if err != nil {
					t.Fatalf("%s %s: decode: %v", mode, name, err)
				}
				again, err := c[1].TxConfig.TxEncoder()(decoded)
				if err != nil || !bytes.Equal(again, want) {
					t.Fatalf("%s %s: decoded and re-encoded to other bytes (%v)", mode, name, err)
				}
				jl, err := light.TxConfig.TxJSONEncoder()(decoded)
				if err != nil {
					t.Fatal(err)
				}
				jf, err := full.TxConfig.TxJSONEncoder()(decoded)
				if err != nil || !bytes.Equal(jl, jf) {
					t.Fatalf("%s %s: JSON differs (%v):\n%s\n%s", mode, name, err, jl, jf)
				}
			}
		}
	}
	for _, msg := range []sdk.Msg{create, commit} {
		if !bytes.Equal(light.Amino.MustMarshalJSON(msg), full.Amino.MustMarshalJSON(msg)) {
			t.Fatalf("%T: legacy amino JSON differs", msg)
		}
	}
}

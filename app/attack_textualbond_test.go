package app_test

import (
	"testing"

	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/workload"
	computekeeper "github.com/aichain/aichain/x/compute/keeper"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackTextualSignUpdateProviderWithoutBond: a provider operator whose
// key is on a Ledger signs in SIGN_MODE_TEXTUAL (the app and the CLI enable
// it) a MsgUpdateProvider that changes its moniker and adds no bond
// (add_bond "may be zero", and ValidateBasic accepts it left out), built
// with the chain's Go types as any Go client builds it, or generated with
// --generate-only and signed offline with "tx sign". The transaction
// must render to textual sign bytes, and once signed, update the provider.
// It does not: add_bond is a non-nullable Coin, always on the wire, and
// textual renders its empty denom through the bank's metadata query, which
// refuses "" (invalid denom): the update cannot be signed at all. Now
// add_bond is nullable: an update adding no bond leaves it out, and signs in
// every mode a wallet uses (textual, amino-json, direct).
func TestAttackTextualSignUpdateProviderWithoutBond(t *testing.T) {
	for _, mode := range []signing.SignMode{signing.SignMode_SIGN_MODE_TEXTUAL, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON, signing.SignMode_SIGN_MODE_DIRECT} {
		t.Run(mode.String(), func(t *testing.T) { signUpdateWithoutBond(t, mode) })
	}
}

// signUpdateWithoutBond has a provider sign, in mode, an update adding no
// bond, through the offline flow, and checks it is delivered.
func signUpdateWithoutBond(t *testing.T, mode signing.SignMode) {
	ta := apptesting.Setup(t, 2)
	op := ta.Accounts[1]
	params, err := ta.ComputeKeeper.Params.Get(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	hw := computetypes.Hardware{GpuModel: "A100", GpuCount: 1, VramGib: 80, Workloads: []string{workload.KindGemm}}
	if _, err := computekeeper.NewMsgServerImpl(ta.ComputeKeeper).RegisterProvider(ta.Ctx, &computetypes.MsgRegisterProvider{
		Operator: op.String(), Moniker: "gpu", Endpoint: "http://127.0.0.1:8090", Hardware: hw, Bond: params.MinProviderBond,
	}); err != nil {
		t.Fatal(err)
	}
	ta.NextBlock()

	msg := &computetypes.MsgUpdateProvider{Operator: op.String(), Moniker: "gpu-renamed", Endpoint: "http://127.0.0.1:8090", Hardware: hw}
	if err := msg.ValidateBasic(); err != nil {
		t.Fatalf("ValidateBasic refuses an update without a bond: %v", err)
	}
	acc := ta.AccountKeeper.GetAccount(ta.Ctx, op.Address)
	// The offline flow a Ledger user follows: "tx ... --generate-only" writes
	// the unsigned transaction as JSON, "tx sign --sign-mode textual" reads
	// it back (into the chain's Go types) and signs it.
	unsigned := ta.TxConfig().NewTxBuilder()
	if err := unsigned.SetMsgs(msg); err != nil {
		t.Fatal(err)
	}
	unsigned.SetGasLimit(2_000_000)
	txJSON, err := ta.TxConfig().TxJSONEncoder()(unsigned.GetTx())
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := ta.TxConfig().TxJSONDecoder()(txJSON)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ta.TxConfig().WrapTxBuilder(decoded)
	if err != nil {
		t.Fatal(err)
	}
	sig := signing.SignatureV2{PubKey: op.Priv.PubKey(), Sequence: acc.GetSequence(),
		Data: &signing.SingleSignatureData{SignMode: mode}}
	if err := b.SetSignatures(sig); err != nil {
		t.Fatal(err)
	}
	sd := authsigning.SignerData{Address: op.String(), ChainID: apptesting.ChainID,
		AccountNumber: acc.GetAccountNumber(), Sequence: acc.GetSequence(), PubKey: op.Priv.PubKey()}
	signBytes, err := authsigning.GetSignBytesAdapter(ta.Ctx, ta.TxConfig().SignModeHandler(), mode, sd, b.GetTx())
	if err != nil {
		t.Fatalf("the update cannot be signed in %s: %v", mode, err)
	}
	sig.Data.(*signing.SingleSignatureData).Signature, err = op.Priv.Sign(signBytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SetSignatures(sig); err != nil {
		t.Fatal(err)
	}
	bz, err := ta.TxConfig().TxEncoder()(b.GetTx())
	if err != nil {
		t.Fatal(err)
	}
	if res := ta.NextBlockWithTxs([][]byte{bz})[0]; res.Code != 0 {
		t.Fatalf("%s-signed update refused: code %d %s", mode, res.Code, res.Log)
	}
	p, err := ta.ComputeKeeper.GetProvider(ta.Ctx, op.String())
	if err != nil || p.Moniker != "gpu-renamed" {
		t.Fatalf("provider %+v, %v: want moniker gpu-renamed", p, err)
	}
}

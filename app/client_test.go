package app_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"

	protov2 "google.golang.org/protobuf/proto"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// TestClientMatchesApp: the CLI's app without a node (app.NewClient) has the
// modules a node's app has, with the same autocli options, default genesis,
// interfaces and implementations, legacy amino names and sign modes. A
// module added to New but not to the Client would fail here, not in a
// user's command line.
func TestClientMatchesApp(t *testing.T) {
	full, c := apptesting.NewApp(t), app.NewClient()

	if got, want := sortedKeys(c.BasicModuleManager()), sortedKeys(full.BasicModuleManager); !slices.Equal(got, want) {
		t.Fatalf("client modules %v, app modules %v", got, want)
	}
	gotOpts, wantOpts := c.AutoCliOpts(), full.AutoCliOpts()
	if got, want := sortedKeys(gotOpts.Modules), sortedKeys(wantOpts.Modules); !slices.Equal(got, want) {
		t.Fatalf("client autocli modules %v, app %v", got, want)
	}
	if got, want := sortedKeys(gotOpts.ModuleOptions), sortedKeys(wantOpts.ModuleOptions); !slices.Equal(got, want) {
		t.Fatalf("client autocli module options %v, app %v", got, want)
	}
	for name, want := range wantOpts.ModuleOptions {
		if !protov2.Equal(gotOpts.ModuleOptions[name], want) {
			t.Fatalf("%s: the client's autocli options differ from the app's", name)
		}
	}
	if gotOpts.AddressCodec == nil || gotOpts.ValidatorAddressCodec == nil || gotOpts.ConsensusAddressCodec == nil {
		t.Fatal("the client's autocli options lack an address codec")
	}

	gotGen, wantGen := c.BasicModuleManager().DefaultGenesis(c.AppCodec()), full.BasicModuleManager.DefaultGenesis(full.AppCodec())
	for name, want := range wantGen {
		if !bytes.Equal(gotGen[name], want) {
			t.Fatalf("%s: the client's default genesis differs from the app's", name)
		}
	}

	gotIfaces, wantIfaces := c.InterfaceRegistry().ListAllInterfaces(), full.InterfaceRegistry().ListAllInterfaces()
	sort.Strings(gotIfaces)
	sort.Strings(wantIfaces)
	if !slices.Equal(gotIfaces, wantIfaces) {
		t.Fatalf("client interfaces %v, app %v", gotIfaces, wantIfaces)
	}
	for _, iface := range wantIfaces {
		got, want := c.InterfaceRegistry().ListImplementations(iface), full.InterfaceRegistry().ListImplementations(iface)
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: client implementations %v, app %v", iface, got, want)
		}
	}
	// Every amino name (what a Ledger's legacy mode signs); the basic
	// manager registers them in map order, so the lines are compared sorted.
	gotAmino, wantAmino := aminoTypes(t, c.LegacyAmino()), aminoTypes(t, full.LegacyAmino())
	if len(wantAmino) < 100 || !slices.Equal(gotAmino, wantAmino) {
		t.Fatalf("the client's %d amino registrations differ from the app's %d", len(gotAmino), len(wantAmino))
	}

	gotModes, wantModes := c.TxConfig().SignModeHandler().SupportedModes(), full.TxConfig().SignModeHandler().SupportedModes()
	if !slices.Equal(gotModes, wantModes) {
		t.Fatalf("client sign modes %v, app %v", gotModes, wantModes)
	}
}

// TestClientTextualNeedsNode: SIGN_MODE_TEXTUAL renders coins with the
// chain's denom metadata, which the Client cannot read: signing offline in
// that mode fails with ErrTextualNeedsNode (the CLI signs online with a
// node's metadata), where DIRECT signs.
func TestClientTextualNeedsNode(t *testing.T) {
	c := app.NewClient()
	key := secp256k1.GenPrivKey()
	from := sdk.AccAddress(key.PubKey().Address())
	b := c.TxConfig().NewTxBuilder()
	if err := b.SetMsgs(banktypes.NewMsgSend(from, from, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))); err != nil {
		t.Fatal(err)
	}
	if err := b.SetSignatures(signing.SignatureV2{PubKey: key.PubKey(), Data: &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_TEXTUAL}}); err != nil {
		t.Fatal(err)
	}
	data := authsigning.SignerData{Address: from.String(), ChainID: "aichain-1", PubKey: key.PubKey()}
	if _, err := authsigning.GetSignBytesAdapter(context.Background(), c.TxConfig().SignModeHandler(), signing.SignMode_SIGN_MODE_DIRECT, data, b.GetTx()); err != nil {
		t.Fatalf("direct: %v", err)
	}
	_, err := authsigning.GetSignBytesAdapter(context.Background(), c.TxConfig().SignModeHandler(), signing.SignMode_SIGN_MODE_TEXTUAL, data, b.GetTx())
	if !errors.Is(err, app.ErrTextualNeedsNode) {
		t.Fatalf("textual offline: %v, want ErrTextualNeedsNode", err)
	}
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// aminoTypes are the lines of amino's table of registered types, sorted.
func aminoTypes(t *testing.T, cdc *codec.LegacyAmino) []string {
	t.Helper()
	var table bytes.Buffer
	if err := cdc.Amino.PrintTypes(&table); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	sort.Strings(lines)
	return lines
}

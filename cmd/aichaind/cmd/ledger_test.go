package cmd

import (
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/ledger"
)

// TestLedgerSupportBuiltIn: aichaind is built with the ledger tag, so `keys
// add --ledger` reaches the USB device layer. With no device attached, that
// layer answers "device not found", never "not available in this
// executable". Run through make (which sets -tags=ledger in GOFLAGS).
func TestLedgerSupportBuiltIn(t *testing.T) {
	_, _, err := ledger.NewPrivKeySecp256k1(*hd.NewFundraiserParams(0, 118, 0), "aic")
	if err == nil {
		t.Skip("a Ledger device with the Cosmos app is attached and answered")
	}
	if strings.Contains(err.Error(), "not available in this executable") {
		t.Fatalf("built without Ledger support (%v): build and test with -tags=ledger, as make does", err)
	}
	t.Logf("the device layer answered: %v", err)
}

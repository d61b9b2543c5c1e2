package cmd

import (
	"bytes"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/ve"
)

// TestBeaconPopBindsTheCanonicalAddress: `beacon pop` given the validator
// address in upper case (the QR-code spelling, the same validator to
// bech32) signed it as typed, while register-beacon-key sends, and the chain
// checks the proof against, the canonical lower-case address: the
// registration could only fail, its fee lost. The proof now binds the
// canonical address whatever the spelling, and a malformed one is refused.
func TestBeaconPopBindsTheCanonicalAddress(t *testing.T) {
	home := t.TempDir()
	run := func(args ...string) (string, error) {
		c := beaconCmd()
		c.PersistentFlags().String(flags.FlagHome, home, "")
		var out bytes.Buffer
		c.SetOut(&out)
		c.SetErr(&out)
		c.SetArgs(args)
		err := c.Execute()
		return strings.TrimSpace(out.String()), err
	}
	if _, err := run("init"); err != nil {
		t.Fatal(err)
	}
	val := sdk.ValAddress(bytes.Repeat([]byte{7}, 20)).String()
	s, err := ve.LoadBeaconKey(filepath.Join(home, ve.BeaconKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	want := hex.EncodeToString(s.PubKey()) + " " + hex.EncodeToString(s.ProofOfPossession("aichain-test-1", val))
	for _, spelling := range []string{val, strings.ToUpper(val)} {
		got, err := run("pop", spelling, "--chain-id", "aichain-test-1")
		if err != nil || got != want {
			t.Errorf("pop %s: %q (%v), want the proof for %s: %q", spelling, got, err, val, want)
		}
	}
	if _, err := run("pop", "aicvaloper1notanaddress", "--chain-id", "aichain-test-1"); err == nil {
		t.Error("pop of a malformed address: no error")
	}
}

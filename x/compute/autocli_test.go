package compute_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute"
	"github.com/aichain/aichain/x/compute/types"
)

// TestMakeCommitmentSalt: without a salt, make-commitment draws 32 random
// bytes and prints the commitment and the salt, which open it; a given
// salt shorter than 16 bytes is refused.
func TestMakeCommitmentSalt(t *testing.T) {
	provider := sdk.AccAddress(bytes.Repeat([]byte{1}, 20)).String()
	run := func(args ...string) (string, error) {
		cmd := compute.MakeCommitmentCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(args)
		err := cmd.Execute()
		return strings.TrimSpace(out.String()), err
	}
	out, err := run("7", provider, "1500uaic")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(out)
	if len(fields) != 2 {
		t.Fatalf("printed %q, want a commitment and a salt", out)
	}
	salt, err := hex.DecodeString(fields[1])
	if err != nil || len(salt) != 32 {
		t.Fatalf("salt %q: %v", fields[1], err)
	}
	if want := hex.EncodeToString(types.BidCommitment(7, provider, sdk.NewInt64Coin("uaic", 1500), salt)); fields[0] != want {
		t.Fatalf("commitment %s, want %s", fields[0], want)
	}
	if again, _ := run("7", provider, "1500uaic"); strings.Fields(again)[1] == fields[1] {
		t.Fatal("two runs drew the same salt")
	}
	if out, err := run("7", provider, "1500uaic", fields[1]); err != nil || out != fields[0] {
		t.Fatalf("with the salt given: %q %v", out, err)
	}
	if _, err := run("7", provider, "1500uaic", "0a0b0c"); err == nil {
		t.Fatal("a 3-byte salt was accepted")
	}
}

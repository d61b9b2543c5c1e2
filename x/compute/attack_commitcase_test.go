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

// TestAttackMakeCommitmentUppercaseProviderCannotBeRevealed: a provider's
// script passes make-commitment its address in the all-upper-case spelling
// (the QR-code form, which bech32 reads as the same account: the CLI
// accepts it). The keeper checks a reveal against SHA-256(job_id ‖ the
// provider's canonical, lower-case address ‖ price ‖ salt) (RevealBid ->
// jobAndActor's addrString), so the printed commitment must be that one;
// otherwise the provider's bid can never be revealed and its deposit is
// forfeited as an unrevealed commitment.
func TestAttackMakeCommitmentUppercaseProviderCannotBeRevealed(t *testing.T) {
	provider := sdk.AccAddress(bytes.Repeat([]byte{1}, 20)).String()
	upper := strings.ToUpper(provider)
	salt := bytes.Repeat([]byte{9}, 32)
	cmd := compute.MakeCommitmentCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"7", upper, "1500uaic", hex.EncodeToString(salt)})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("make-commitment refused %s: %v (a refusal would be an honest outcome)", upper, err)
	}
	// What the keeper recomputes at reveal (auction.go RevealBid): the
	// canonical spelling of the signer's address.
	want := hex.EncodeToString(types.BidCommitment(7, provider, sdk.NewInt64Coin("uaic", 1500), salt))
	if got := strings.TrimSpace(out.String()); got != want {
		t.Fatalf("make-commitment with %s printed %s; the chain opens only %s: the reveal fails with ErrBadCommitment", upper, got, want)
	}
}

package types

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// TestTypeURLIsTheMsgs: TypeURL is the type URL the codec gives
// MsgInjectVerdicts (read here, after every init has run).
func TestTypeURLIsTheMsgs(t *testing.T) {
	if got := sdk.MsgTypeURL(&MsgInjectVerdicts{}); got != TypeURL {
		t.Fatalf("TypeURL is %q, the codec's type URL %q", TypeURL, got)
	}
}

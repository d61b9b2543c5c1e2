package types_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestGenesisRefusesCommitmentOwnerInAnotherSpelling: MsgCommitContent
// stores its owner in the address codec's spelling, and genesis refuses
// every other address in another (bech32 also accepts an all-upper-case
// one). A commitment's owner in upper case passed, and the same
// commitment under both spellings passed the duplicate check (it compared
// the strings): both are one store key (modkit.CommitmentKey reads the
// bytes), so the import kept the second record and left the first's
// content entry, count and queue entry behind, never pruned. x/modelregistry's
// weights commitments are checked by the same common.Commitment.Validate.
func TestGenesisRefusesCommitmentOwnerInAnotherSpelling(t *testing.T) {
	owner := addr()
	rec := func(o string, height int64) common.Commitment {
		return common.Commitment{Commitment: common.CommitmentOf("c", []byte(owner)), Height: height, ExpiresHeight: 10,
			KeptUntilHeight: 20, Owner: o, ContentKey: common.CommitmentOf("k")}
	}
	gs := types.DefaultGenesis()
	gs.ContentCommits = []common.Commitment{rec(owner, 1)}
	if err := gs.Validate(); err != nil {
		t.Fatalf("a canonical commitment: %v", err)
	}
	for name, recs := range map[string][]common.Commitment{
		"upper-case owner":      {rec(strings.ToUpper(owner), 1)},
		"one owner, two spells": {rec(owner, 1), rec(strings.ToUpper(owner), 2)},
	} {
		gs.ContentCommits = recs
		if err := gs.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
			t.Errorf("%s: %v, want ErrInvalidGenesis", name, err)
		}
	}
}

package cmd

import (
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	servertypes "github.com/cosmos/cosmos-sdk/server/types"
)

// TestAttackExportDropsVoteExtensions: the SDK's export writes the consensus
// params without the ABCI ones, so a chain restarted from an unedited
// export had vote_extensions_enable_height 0: no vote extensions, no
// beacon, no verdicts. The export keeps the exported chain's height (e2e
// assertGenesisRoundTrip checks a real node's export); a zero-height export
// shifts it as the modules shift their heights, never below 1 once enabled.
func TestAttackExportDropsVoteExtensions(t *testing.T) {
	for _, c := range []struct {
		name        string
		enable      int64
		last        int64
		zero        bool
		want        int64
		noABCIParam bool
	}{
		{"plain export, enabled from 1", 1, 500, false, 1, false},
		{"plain export, enabled later", 800, 500, false, 800, false},
		{"zero-height export, enabled", 1, 500, true, 1, false},
		{"zero-height export, enabled after the export", 800, 500, true, 300, false},
		{"never enabled", 0, 500, true, 0, false},
		{"no ABCI params exported", 0, 500, false, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			exported := servertypes.ExportedApp{ConsensusParams: cmtproto.ConsensusParams{Abci: &cmtproto.ABCIParams{VoteExtensionsEnableHeight: c.enable}}}
			if c.noABCIParam {
				exported.ConsensusParams.Abci = nil
			}
			var e exportABCI
			e.record(exported, c.last, c.zero)
			if got := e.enableHeight(); got != c.want {
				t.Errorf("vote_extensions_enable_height %d after the export, want %d", got, c.want)
			}
		})
	}
}

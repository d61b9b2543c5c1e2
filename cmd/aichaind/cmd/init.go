package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/server"
	"github.com/cosmos/cosmos-sdk/types/module"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"

	"github.com/aichain/aichain/app"
)

// VoteExtensionsEnableHeight is the height from which validators extend
// their votes with verifier verdicts: 1 in every genesis aichaind makes.
const VoteExtensionsEnableHeight = 1

// EnableVoteExtensions turns vote extensions on in a genesis from
// VoteExtensionsEnableHeight.
func EnableVoteExtensions(g *genutiltypes.AppGenesis) {
	if g.Consensus != nil && g.Consensus.Params != nil {
		g.Consensus.Params.ABCI.VoteExtensionsEnableHeight = VoteExtensionsEnableHeight
	}
}

// initCmd is the SDK's init, followed by turning vote extensions on in the
// genesis it wrote.
func initCmd(mbm module.BasicManager) *cobra.Command {
	cmd := genutilcli.InitCmd(mbm, app.DefaultNodeHome)
	inner := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := inner(cmd, args); err != nil {
			return err
		}
		cfg := server.GetServerContextFromCmd(cmd).Config
		g, err := genutiltypes.AppGenesisFromFile(cfg.GenesisFile())
		if err != nil {
			return fmt.Errorf("read the new genesis: %w", err)
		}
		EnableVoteExtensions(g)
		return g.SaveAs(cfg.GenesisFile())
	}
	return cmd
}

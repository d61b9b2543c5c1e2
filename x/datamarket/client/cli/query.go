package cli

import (
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"

	"github.com/aichain/aichain/x/datamarket/types"
)

// GetQueryCmd returns the datamarket query command. autocli adds the
// generated queries to it, and the node binary (cmd/aichaind) adds download,
// which talks to a dataset server.
func GetQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Datamarket queries: datasets, licences, access; download a licensed dataset",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
}

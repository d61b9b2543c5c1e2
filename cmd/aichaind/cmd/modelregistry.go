package cmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"

	"github.com/aichain/aichain/x/modelregistry/types"
)

// addModelregistryCommands adds tx modelregistry commit-model, which hashes
// its arguments into a commitment (autocli sends messages as they are).
func addModelregistryCommands(root *cobra.Command) error {
	txCmd := subCommand(root, "tx", types.ModuleName)
	if txCmd == nil {
		return errors.New("no modelregistry tx command to add commit-model to")
	}
	txCmd.AddCommand(commitModelCmd())
	return nil
}

// commitModelCmd commits the signer to registering a model name
// with weights of a sha256: the chain registers new weights
// (register-model, publish-version) only weights_commit_delay_blocks after
// their creator's commitment.
func commitModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "commit-model <name> <sha256>",
		Short: "Commit to a model name and its weights before registering them: register-model or publish-version is accepted weights_commit_delay_blocks later",
		Long: "Weights belong to the first model name that registers them, and a registration shows their sha256 and its\n" +
			"name to anyone watching the mempool. So the chain registers weights no model holds yet only after their\n" +
			"creator committed to the name and the weights, weights_commit_delay_blocks before (the params; the\n" +
			"commitment lasts weights_commit_ttl_blocks): the commitment is a hash of the creator's address, the name\n" +
			"and the sha256, and shows none of them; a second one, to the weights alone, is filed under the weights'\n" +
			"key (a hash of the sha256), and the oldest commitment to weights registers them, whatever the name. Sign\n" +
			"it with the key that will register, with the name and sha256 of the registration, wait for the height\n" +
			"the response names (registrable_height), then register.",
		Example: fmt.Sprintf("aichaind tx modelregistry commit-model iris-mlp %s --from alice", exampleWeightsSha),
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			if err := types.ValidateSha256(args[1]); err != nil {
				return err
			}
			msg := types.NewMsgCommitWeights(clientCtx.GetFromAddress(), args[0], args[1])
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// exampleWeightsSha is a sha256 for the examples.
const exampleWeightsSha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

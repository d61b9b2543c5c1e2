package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/x/datamarket/types"
)

const (
	flagOutputFile = "output"
	flagVersion    = "dataset-version"
)

// GetQueryCmd returns the datamarket query command with the custom subcommands.
func GetQueryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Datamarket queries: datasets, licences, access; download a licensed dataset",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(DownloadCmd())
	return cmd
}

// DownloadCmd downloads a licensed dataset from an aichain-dataserver in one
// command: it signs the request with a keyring key, and checks the file's
// sha256 against the chain before writing it.
func DownloadCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "download [dataset-id] [server-url]",
		Short: "Download a licensed dataset from an aichain-dataserver, signed with --from, checked against the chain's sha256",
		Long: "Download a dataset file from an aichain-dataserver. The request is signed with the --from key (the server\n" +
			"checks the signature against the account's on-chain public key and asks the chain whether the account\n" +
			"has access); the file is written to --output only if its sha256 equals the one the chain records for the\n" +
			"version (--dataset-version, default the current one).",
		Example: "aichaind q datamarket download 1 http://127.0.0.1:8090 --from bob --output iris.npy",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			// The arguments parsed: a refusal from here on is not a usage error.
			cmd.SilenceUsage = true
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("dataset id %q is not a positive integer", args[0])
			}
			out, _ := cmd.Flags().GetString(flagOutputFile)
			if out == "" {
				return fmt.Errorf("--%s FILE is required", flagOutputFile)
			}
			version, _ := cmd.Flags().GetUint64(flagVersion)
			from, _ := cmd.Flags().GetString(flags.FlagFrom)
			if from == "" {
				return fmt.Errorf("--%s KEY is required: the request is signed with it", flags.FlagFrom)
			}
			if clientCtx.Keyring == nil {
				return fmt.Errorf("no keyring: set --%s", flags.FlagKeyringBackend)
			}
			addr, name, _, err := client.GetFromFields(clientCtx, clientCtx.Keyring, from)
			if err != nil {
				return err
			}

			qc := types.NewQueryClient(clientCtx)
			if version == 0 {
				res, err := qc.Dataset(cmd.Context(), &types.QueryDatasetRequest{Id: id})
				if err != nil {
					return fmt.Errorf("dataset %d: %w", id, err)
				}
				version = res.Dataset.Version
			}
			vres, err := qc.DatasetVersion(cmd.Context(), &types.QueryDatasetVersionRequest{DatasetId: id, Version: version})
			if err != nil {
				return fmt.Errorf("dataset %d version %d: %w", id, version, err)
			}
			kr := clientCtx.Keyring
			c := &dataserver.Client{
				BaseURL: args[1],
				Address: addr.String(),
				Sign: func(msg []byte) ([]byte, error) {
					sig, _, err := kr.Sign(name, msg, signing.SignMode_SIGN_MODE_DIRECT)
					return sig, err
				},
			}
			data, err := c.Download(cmd.Context(), id, version, vres.DatasetVersion.Sha256)
			if err != nil {
				return err
			}
			tmp, err := os.CreateTemp(filepath.Dir(out), ".download-*")
			if err != nil {
				return err
			}
			if _, err := tmp.Write(data); err != nil {
				tmp.Close()
				os.Remove(tmp.Name())
				return err
			}
			if err := tmp.Close(); err != nil {
				os.Remove(tmp.Name())
				return err
			}
			if err := os.Rename(tmp.Name(), out); err != nil {
				os.Remove(tmp.Name())
				return err
			}
			return clientCtx.PrintString(fmt.Sprintf("wrote %d bytes of dataset %d version %d to %s (sha256 %s, verified against the chain)\n",
				len(data), id, version, out, vres.DatasetVersion.Sha256))
		},
	}
	cmd.Flags().String(flags.FlagNode, "tcp://localhost:26657", "<host>:<port> to CometBFT RPC interface for this chain")
	cmd.Flags().String(flags.FlagFrom, "", "name or address of the keyring key that signs the request")
	cmd.Flags().String(flags.FlagKeyringBackend, flags.DefaultKeyringBackend, "keyring backend (os|file|kwallet|pass|test|memory)")
	cmd.Flags().String(flags.FlagKeyringDir, "", "keyring directory (default: the home directory)")
	cmd.Flags().String(flagOutputFile, "", "file to write the dataset to")
	cmd.Flags().Uint64(flagVersion, 0, "dataset version (default: the current one)")
	cmd.Flags().Int64(flags.FlagHeight, 0, "use a specific height to query state at")
	return cmd
}

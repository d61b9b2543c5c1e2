package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/x/datamarket/client/cli"
	"github.com/aichain/aichain/x/datamarket/types"
)

const (
	flagOutputFile = "output"
	flagVersion    = "dataset-version"
)

// addDatamarketCommands adds to the datamarket module's commands those that
// read files or talk to a dataset server, which the module (on-chain code)
// must not: tx datamarket list-dataset and update-dataset, and q datamarket
// download.
func addDatamarketCommands(root *cobra.Command) error {
	txCmd := subCommand(root, "tx", types.ModuleName)
	queryCmd := subCommand(root, "query", types.ModuleName)
	if txCmd == nil || queryCmd == nil {
		return errors.New("no datamarket tx or query command to add the dataset commands to")
	}
	txCmd.AddCommand(cli.CommitDatasetCmd(dataserver.DescribeFile), cli.ListDatasetCmd(dataserver.DescribeFile),
		cli.UpdateDatasetCmd(dataserver.DescribeFile))
	queryCmd.AddCommand(downloadCmd())
	return nil
}

// subCommand returns the command at path under root, or nil.
func subCommand(root *cobra.Command, path ...string) *cobra.Command {
	cmd := root
	for _, name := range path {
		var next *cobra.Command
		for _, c := range cmd.Commands() {
			if c.Name() == name {
				next = c
				break
			}
		}
		if next == nil {
			return nil
		}
		cmd = next
	}
	return cmd
}

// downloadCmd downloads a licensed dataset from an aichain-dataserver in one
// command: it signs the request with a keyring key, and checks the file's
// sha256 against the chain before writing it.
func downloadCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "download [dataset-id] [server-url]",
		Short: "Download a licensed dataset from an aichain-dataserver, signed with --from, checked against the chain's sha256",
		Long: "Download a dataset file from an aichain-dataserver. The request is signed with the --from key as an\n" +
			"ADR-036 arbitrary message bound to the server's URL (a Ledger key signs it on the device); the server\n" +
			"checks the signature, asks the chain whether the account has access, and streams the file. It is\n" +
			"written to --output only if it is no larger than the chain's shape allows and its sha256 equals the one\n" +
			"the chain records for the version (--dataset-version, default the current one).",
		Example: "aichaind q datamarket download 1 http://127.0.0.1:8090 --from bob --output iris.npy",
		Args:    cobra.ExactArgs(2),
		RunE:    runDownload,
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

// download is a parsed download command.
type download struct {
	clientCtx client.Context
	id        uint64
	server    string
	out       string
	version   uint64 // 0: the current one
	addr      sdk.AccAddress
	keyName   string
}

func runDownload(cmd *cobra.Command, args []string) error {
	// The arguments parsed: a refusal from here on is not a usage error.
	cmd.SilenceUsage = true
	d, err := parseDownload(cmd, args)
	if err != nil {
		return err
	}
	rec, err := d.chainVersion(cmd.Context())
	if err != nil {
		return err
	}
	n, err := d.fetch(cmd.Context(), rec)
	if err != nil {
		return err
	}
	return d.clientCtx.PrintString(fmt.Sprintf("wrote %d bytes of dataset %d version %d to %s (sha256 %s, verified against the chain)\n",
		n, d.id, d.version, d.out, rec.Sha256))
}

// parseDownload reads the command's arguments, flags and signing key.
func parseDownload(cmd *cobra.Command, args []string) (*download, error) {
	clientCtx, err := client.GetClientQueryContext(cmd)
	if err != nil {
		return nil, err
	}
	d := &download{clientCtx: clientCtx, server: args[1]}
	d.id, err = strconv.ParseUint(args[0], 10, 64)
	if err != nil || d.id == 0 {
		return nil, fmt.Errorf("dataset id %q is not a positive integer", args[0])
	}
	if d.out, err = cmd.Flags().GetString(flagOutputFile); err != nil {
		return nil, err
	}
	if d.out == "" {
		return nil, fmt.Errorf("--%s FILE is required", flagOutputFile)
	}
	if d.version, err = cmd.Flags().GetUint64(flagVersion); err != nil {
		return nil, err
	}
	from, err := cmd.Flags().GetString(flags.FlagFrom)
	if err != nil {
		return nil, err
	}
	if from == "" {
		return nil, fmt.Errorf("--%s KEY is required: the request is signed with it", flags.FlagFrom)
	}
	if clientCtx.Keyring == nil {
		return nil, fmt.Errorf("no keyring: set --%s", flags.FlagKeyringBackend)
	}
	if d.addr, d.keyName, _, err = client.GetFromFields(clientCtx, clientCtx.Keyring, from); err != nil {
		return nil, err
	}
	return d, nil
}

// chainVersion resolves the version (0: the current one) and returns what
// the chain records of it.
func (d *download) chainVersion(ctx context.Context) (types.DatasetVersion, error) {
	qc := types.NewQueryClient(d.clientCtx)
	if d.version == 0 {
		res, err := qc.Dataset(ctx, &types.QueryDatasetRequest{Id: d.id})
		if err != nil {
			return types.DatasetVersion{}, fmt.Errorf("dataset %d: %w", d.id, err)
		}
		d.version = res.Dataset.Version
	}
	res, err := qc.DatasetVersion(ctx, &types.QueryDatasetVersionRequest{DatasetId: d.id, Version: d.version})
	if err != nil {
		return types.DatasetVersion{}, fmt.Errorf("dataset %d version %d: %w", d.id, d.version, err)
	}
	return res.DatasetVersion, nil
}

// fetch streams the file, signed by the key (ADR-036), into a temporary
// file beside the output, no larger than the chain's shape allows, and
// renames it into place only if its sha256 and its rows' sha256 (when the
// version declares one) are the chain's.
func (d *download) fetch(ctx context.Context, rec types.DatasetVersion) (int64, error) {
	signer, err := signedreq.KeyringSigner(d.clientCtx.Keyring, d.keyName, sdk.GetConfig().GetBech32AccountAddrPrefix())
	if err != nil {
		return 0, err
	}
	c := &dataserver.Client{BaseURL: d.server, Signer: signer}
	want := dataserver.Expect{Sha256: rec.Sha256, RowsSha256: rec.RowsSha256, Rows: rec.Rows, Cols: rec.Cols}
	return writeFileAtomic(d.out, func(w io.Writer) (int64, error) { return c.DownloadTo(ctx, w, d.id, d.version, want) })
}

// writeFileAtomic writes to path through a temporary file in the same
// directory, so that path is either absent or complete.
func writeFileAtomic(path string, write func(io.Writer) (int64, error)) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".download-*")
	if err != nil {
		return 0, err
	}
	n, err := write(tmp)
	if err != nil {
		return n, errors.Join(err, tmp.Close(), os.Remove(tmp.Name()))
	}
	if err := tmp.Close(); err != nil {
		return n, errors.Join(err, os.Remove(tmp.Name()))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return n, errors.Join(err, os.Remove(tmp.Name()))
	}
	return n, nil
}

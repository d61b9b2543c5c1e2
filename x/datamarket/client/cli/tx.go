// Package cli holds the datamarket commands that autocli cannot generate:
// listing and updating a dataset from the description of its .npy file,
// purchases and renewals whose max_price defaults to the price queried now,
// share updates from ADDRESS:WEIGHT arguments, and their flag parsers. It
// opens no files: the node binary (cmd/aichaind) gives the listing commands
// a DescribeFileFunc that reads the file, adds them to the module's tx
// command, and adds the licensed download (which talks to a dataset server)
// to its query command.
package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/x/datamarket/types"
)

const (
	flagRowsPerChunk = "rows-per-chunk"
	flagURI          = "uri"
	flagDescription  = "description"
	flagOffer        = "offer"
	flagShare        = "shares"
)

// GetTxCmd returns the datamarket tx command with purchase-license,
// renew-license and update-dataset-shares. autocli adds the generated
// transactions to it, and the node binary adds commit-dataset, list-dataset
// and update-dataset (CommitDatasetCmd, ListDatasetCmd, UpdateDatasetCmd),
// which read a file.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Datamarket transactions: list datasets, buy and manage licences",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(PurchaseLicenseCmd(), RenewLicenseCmd(), UpdateDatasetSharesCmd())
	return cmd
}

// DescribeFileFunc reads a dataset file (.npy, npy-f32 or npy-i32) and describes it
// over chunks of rowsPerChunk rows.
type DescribeFileFunc func(path string, rowsPerChunk uint64) (*dataset.Description, error)

const offerHelp = `Offers (--offer, repeatable, at least one):
  perpetual:PRICE              never expires, covers the version bought
  rental:BLOCKS:PRICE          expires BLOCKS blocks after purchase or renewal
  subscription:BLOCKS:PRICE    like rental, and covers new versions too
  per-job:PRICE                paid by a compute job's escrow at settlement
PRICE is coins (e.g. 1000uaic) or "free"; append ":transferable" to allow
transfers. Shares (--shares ADDRESS:WEIGHT, repeatable) split the revenue; the
default is the owner alone.`

// ParseOffer parses an --offer value (see offerHelp).
func ParseOffer(s string) (types.LicenseOffer, error) {
	parts := strings.Split(s, ":")
	var o types.LicenseOffer
	if n := len(parts); n > 0 && parts[n-1] == "transferable" {
		o.Transferable = true
		parts = parts[:n-1]
	}
	if len(parts) == 0 {
		return o, fmt.Errorf("empty offer")
	}
	kind, rest := strings.ToLower(parts[0]), parts[1:]
	switch kind {
	case "perpetual":
		o.Kind = types.LICENSE_KIND_PERPETUAL
	case "per-job", "per_job", "perjob":
		o.Kind = types.LICENSE_KIND_PER_JOB
	case "rental", "subscription":
		if len(rest) == 0 {
			return o, fmt.Errorf("offer %q: %s needs BLOCKS", s, kind)
		}
		blocks, err := strconv.ParseUint(rest[0], 10, 64)
		if err != nil || blocks == 0 {
			return o, fmt.Errorf("offer %q: BLOCKS must be a positive integer", s)
		}
		rest = rest[1:]
		if kind == "rental" {
			o.Kind, o.DurationBlocks = types.LICENSE_KIND_RENTAL, blocks
		} else {
			o.Kind, o.PeriodBlocks = types.LICENSE_KIND_SUBSCRIPTION, blocks
		}
	default:
		return o, fmt.Errorf("offer %q: unknown kind %q (perpetual, rental, subscription, per-job)", s, parts[0])
	}
	if len(rest) != 1 {
		return o, fmt.Errorf("offer %q: expected exactly one PRICE", s)
	}
	if rest[0] != "free" {
		price, err := sdk.ParseCoinsNormalized(rest[0])
		if err != nil {
			return o, fmt.Errorf("offer %q: price: %w", s, err)
		}
		o.Price = price
	}
	return o, o.Validate()
}

// ParseShare parses a --shares ADDRESS:WEIGHT value (common.ParseShare).
func ParseShare(s string) (common.Share, error) { return common.ParseShare(s) }

func parseOffersAndShares(cmd *cobra.Command) ([]types.LicenseOffer, []common.Share, error) {
	offerArgs, err := cmd.Flags().GetStringArray(flagOffer)
	if err != nil {
		return nil, nil, err
	}
	shareArgs, err := cmd.Flags().GetStringArray(flagShare)
	if err != nil {
		return nil, nil, err
	}
	var offers []types.LicenseOffer
	for _, a := range offerArgs {
		o, err := ParseOffer(a)
		if err != nil {
			return nil, nil, err
		}
		offers = append(offers, o)
	}
	var shares []common.Share
	for _, a := range shareArgs {
		sh, err := ParseShare(a)
		if err != nil {
			return nil, nil, err
		}
		shares = append(shares, sh)
	}
	return offers, shares, nil
}

// CommitDatasetCmd commits the signer to a dataset file before
// it lists it (list-dataset) or publishes it as a new version
// (update-dataset): the chain lists new content only
// content_commit_delay_blocks after its owner's commitment.
func CommitDatasetCmd(describe DescribeFileFunc) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "commit-dataset [file.npy]",
		Short: "Commit to a dataset file before listing it: list-dataset or update-dataset is accepted content_commit_delay_blocks later",
		Long: "A file belongs to the first dataset that lists it, and a listing shows the file's sha256 and content root\n" +
			"to anyone watching the mempool. So the chain lists a file no dataset holds yet only after its owner\n" +
			"committed to it, content_commit_delay_blocks before (the params; the commitment lasts\n" +
			"content_commit_ttl_blocks, and is kept a ttl more): it is three hashes, of the owner's address with the\n" +
			"content root, with the sha256 and with the rows' sha256 (the values without the .npy header), which show\n" +
			"none of them, each filed under its digest's key (a hash of it), and the oldest commitment to a digest\n" +
			"lists it. Sign it with the key that will list the file, with the\n" +
			"same file and --rows-per-chunk as the listing, wait for the height the response names (listable_height),\n" +
			"then list. Committing again before it is no longer kept renews it, its first height kept.",
		Example: "aichaind tx datamarket commit-dataset ./iris.npy --rows-per-chunk 16 --from alice\n" +
			"aichaind tx datamarket list-dataset ./iris.npy iris --rows-per-chunk 16 --uri http://127.0.0.1:8090 --offer perpetual:50000uaic --from alice",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			rpc, err := cmd.Flags().GetUint64(flagRowsPerChunk)
			if err != nil {
				return err
			}
			f, err := describe(args[0], rpc)
			if err != nil {
				return err
			}
			msg := types.NewMsgCommitContent(clientCtx.GetFromAddress(), f.Root(), f.Sha256, f.RowsSha256)
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().Uint64(flagRowsPerChunk, 64, "rows per Merkle chunk: the listing's (the content root is over chunks of this many rows)")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// ListDatasetCmd lists a dataset from its .npy file, described by describe.
func ListDatasetCmd(describe DescribeFileFunc) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list-dataset [file.npy] [name]",
		Short: "List a dataset: reads the .npy file and registers its sha256, shape and Merkle root",
		Long: "List a dataset (format npy-f32: a 2-D little-endian float32 NumPy file; or npy-i32: int32, token ids,\n" +
			"e.g. gpt-f32 prompts padded with -1; the format follows the file's dtype). The file is read locally to\n" +
			"compute its sha256, shape, content root over chunks of --rows-per-chunk rows and the sha256 of its rows\n" +
			"alone (rows_sha256: no other dataset may list the same rows, however chunked or framed); it is not uploaded.\n" +
			"Commit to the file first (commit-dataset), content_commit_delay_blocks before.\n\n" + offerHelp,
		Example: "aichaind tx datamarket commit-dataset ./iris.npy --rows-per-chunk 16 --from alice\n" +
			"aichaind tx datamarket list-dataset ./iris.npy iris --rows-per-chunk 16 --uri http://127.0.0.1:8090 \\\n" +
			"  --offer rental:20:1000uaic --offer perpetual:50000uaic:transferable --from alice",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			rpc, err := cmd.Flags().GetUint64(flagRowsPerChunk)
			if err != nil {
				return err
			}
			f, err := describe(args[0], rpc)
			if err != nil {
				return err
			}
			offers, shares, err := parseOffersAndShares(cmd)
			if err != nil {
				return err
			}
			uri, _ := cmd.Flags().GetString(flagURI)
			desc, _ := cmd.Flags().GetString(flagDescription)
			msg := &types.MsgListDataset{
				Owner: clientCtx.GetFromAddress().String(), Name: args[1], Description: desc, Format: f.Format,
				Rows: f.Rows, Cols: f.Cols, RowsPerChunk: f.RowsPerChunk, ContentRoot: f.Root(), Sha256: f.Sha256,
				RowsSha256: f.RowsSha256, Uri: uri, Offers: offers, Shares: shares,
			}
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	addDatasetFlags(cmd)
	cmd.Flags().String(flagDescription, "", "what the dataset holds")
	cmd.Flags().StringArray(flagShare, nil, "revenue share ADDRESS:WEIGHT (repeatable; default: the owner alone)")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func addDatasetFlags(cmd *cobra.Command) {
	cmd.Flags().Uint64(flagRowsPerChunk, 64, "rows per Merkle chunk (the content root is over chunks of this many rows)")
	cmd.Flags().String(flagURI, "", "the http(s) base URL of the aichain-dataserver that serves the file (update-dataset: empty keeps the current one)")
	cmd.Flags().StringArray(flagOffer, nil, "licence offer (repeatable): perpetual:PRICE | rental:BLOCKS:PRICE | subscription:BLOCKS:PRICE | per-job:PRICE, optional :transferable")
}

// UpdateDatasetCmd publishes a new version of a dataset from its .npy file,
// described by describe.
func UpdateDatasetCmd(describe DescribeFileFunc) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "update-dataset [dataset-id] [file.npy]",
		Short: "Publish a new version of a dataset from its .npy file (SUBSCRIPTION licences cover it at once)",
		Long: "Publish a new version: the file is read locally for its sha256, shape, content root and rows' sha256.\n" +
			"A dataset listed before the rows key may publish its current file again to declare its rows. --offer, when\n" +
			"given, replaces the offers; otherwise they stay. A file no version of the dataset held before needs its\n" +
			"owner's commitment first (commit-dataset), content_commit_delay_blocks before.\n\n" + offerHelp,
		Example: "aichaind tx datamarket update-dataset 1 ./iris-v2.npy --rows-per-chunk 16 --uri http://127.0.0.1:8090 --from alice",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("dataset id %q: %w", args[0], err)
			}
			rpc, err := cmd.Flags().GetUint64(flagRowsPerChunk)
			if err != nil {
				return err
			}
			f, err := describe(args[1], rpc)
			if err != nil {
				return err
			}
			offers, _, err := parseOffersAndShares(cmd)
			if err != nil {
				return err
			}
			uri, _ := cmd.Flags().GetString(flagURI)
			msg := &types.MsgUpdateDataset{
				Owner: clientCtx.GetFromAddress().String(), DatasetId: id, Rows: f.Rows, Cols: f.Cols,
				RowsPerChunk: f.RowsPerChunk, ContentRoot: f.Root(), Sha256: f.Sha256, RowsSha256: f.RowsSha256,
				Uri: uri, Offers: offers,
			}
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	addDatasetFlags(cmd)
	cmd.Flags().StringArray(flagShare, nil, "not used by update-dataset")
	_ = cmd.Flags().MarkHidden(flagShare)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

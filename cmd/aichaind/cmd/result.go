package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/x/compute/types"
)

const (
	flagProviderURL   = "provider-url"
	flagMaxChunkBytes = "max-chunk-bytes"
)

// Errors of a result download.
var (
	ErrNoResult     = errors.New("the job has no result to download")
	ErrBadChunk     = errors.New("the provider served a chunk that does not verify")
	ErrResultRoot   = errors.New("the downloaded result does not hash to the on-chain root")
	ErrProviderSaid = errors.New("the provider refused")
	// ErrInterrupted is a download stopped by Ctrl-C (SIGINT) or SIGTERM,
	// its progress saved: the same command resumes it.
	ErrInterrupted = errors.New("the download was interrupted")
)

// addComputeCommands adds `q compute result`, which talks to a provider
// agent (the module's own commands open no sockets).
func addComputeCommands(root *cobra.Command) error {
	queryCmd := subCommand(root, "query", types.ModuleName)
	if queryCmd == nil {
		return errors.New("no compute query command to add the result command to")
	}
	queryCmd.AddCommand(resultCmd())
	return nil
}

func resultCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "result [job-id]",
		Short: "Download a job's result from its provider, every chunk checked against the on-chain root, as a NumPy file",
		Long: "Download the output of a job from the provider that computed it. Each chunk is fetched with a request\n" +
			"signed by --from (the job's requester; an ADR-036 message bound to the provider's URL) and its Merkle\n" +
			"proof is checked against the output_root the chain records; the file is a NumPy .npy of rows × cols\n" +
			"float32. Ctrl-C stops it with its progress saved, and the same command resumes from OUTPUT.part; the\n" +
			"whole file is checked against the root before it is renamed to OUTPUT.",
		Example: "aichaind q compute result 1 --from alice --output result.npy",
		Args:    cobra.ExactArgs(1),
		RunE:    runResult,
	}
	cmd.Flags().String(flags.FlagNode, "tcp://localhost:26657", "<host>:<port> to CometBFT RPC interface for this chain")
	cmd.Flags().String(flags.FlagFrom, "", "name or address of the keyring key that signs the requests (the job's requester)")
	cmd.Flags().String(flags.FlagKeyringBackend, flags.DefaultKeyringBackend, "keyring backend (os|file|kwallet|pass|test|memory)")
	cmd.Flags().String(flags.FlagKeyringDir, "", "keyring directory (default: the home directory)")
	cmd.Flags().String(flagOutputFile, "", "file to write the result to (.npy)")
	cmd.Flags().String(flagProviderURL, "", "the provider's URL (default: the endpoint it registered on chain)")
	cmd.Flags().Uint64(flagMaxChunkBytes, 64<<20, "largest chunk accepted")
	return cmd
}

// resultDownload is a parsed result command.
type resultDownload struct {
	clientCtx client.Context
	job       types.Job
	endpoint  string
	audience  string
	out       string
	maxChunk  uint64
	signer    signedreq.Signer
	progress  io.Writer
	http      *http.Client
}

func runResult(cmd *cobra.Command, args []string) error {
	cmd.SilenceUsage = true
	d, err := parseResult(cmd, args)
	if err != nil {
		return err
	}
	n, err := d.run(cmd.Context())
	if err != nil {
		return err
	}
	return d.clientCtx.PrintString(fmt.Sprintf("wrote %s: job %d, %d chunks (%d bytes), every chunk and the whole result verified against output_root %x\n",
		d.out, d.job.Id, d.job.Result.ChunkCount, n, d.job.Result.OutputRoot))
}

// run is the download under a context that Ctrl-C (SIGINT) or SIGTERM
// also ends: the chunk in flight is dropped, the progress is saved, and
// the error (ErrInterrupted) says how to resume. Without it the process
// died wherever it was, its progress up to a second stale. The signals'
// default comes back when it returns.
func (d *resultDownload) run(parent context.Context) (int64, error) {
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return d.download(ctx)
}

// parseResult reads the arguments and flags, the job and its provider.
func parseResult(cmd *cobra.Command, args []string) (*resultDownload, error) {
	clientCtx, err := client.GetClientQueryContext(cmd)
	if err != nil {
		return nil, err
	}
	id, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil || id == 0 {
		return nil, fmt.Errorf("job id %q is not a positive integer", args[0])
	}
	d := &resultDownload{clientCtx: clientCtx, progress: cmd.ErrOrStderr(), http: &http.Client{Timeout: 2 * time.Minute}}
	if d.out, _ = cmd.Flags().GetString(flagOutputFile); d.out == "" {
		return nil, fmt.Errorf("--%s FILE is required", flagOutputFile)
	}
	d.maxChunk, _ = cmd.Flags().GetUint64(flagMaxChunkBytes)
	from, _ := cmd.Flags().GetString(flags.FlagFrom)
	if from == "" || clientCtx.Keyring == nil {
		return nil, fmt.Errorf("--%s KEY is required: the provider serves the result to the job's requester", flags.FlagFrom)
	}
	_, keyName, _, err := client.GetFromFields(clientCtx, clientCtx.Keyring, from)
	if err != nil {
		return nil, err
	}
	if d.signer, err = signedreq.KeyringSigner(clientCtx.Keyring, keyName, sdk.GetConfig().GetBech32AccountAddrPrefix()); err != nil {
		return nil, err
	}
	if err := d.readChain(cmd.Context(), id); err != nil {
		return nil, err
	}
	if u, _ := cmd.Flags().GetString(flagProviderURL); u != "" {
		d.endpoint = u
	}
	d.endpoint = strings.TrimRight(d.endpoint, "/")
	d.audience, err = signedreq.Audience(d.endpoint)
	return d, err
}

// readChain reads the job (it must carry a result) and its provider's
// endpoint.
func (d *resultDownload) readChain(ctx context.Context, id uint64) error {
	qc := types.NewQueryClient(d.clientCtx)
	res, err := qc.Job(ctx, &types.QueryJobRequest{JobId: id})
	if err != nil {
		return fmt.Errorf("job %d: %w", id, err)
	}
	d.job = res.Job
	if d.job.Result.ChunkCount == 0 || len(d.job.Result.OutputRoot) != 32 || d.job.State == types.JobState_JOB_STATE_FAILED {
		return fmt.Errorf("%w: job %d is %s", ErrNoResult, id, d.job.State)
	}
	if d.job.Requester != d.signer.Address() {
		fmt.Fprintf(d.progress, "warning: %s is not job %d's requester (%s); the provider serves the requester and validators only\n",
			d.signer.Address(), id, d.job.Requester)
	}
	p, err := qc.Provider(ctx, &types.QueryProviderRequest{Address: d.job.Winner})
	if err != nil {
		return fmt.Errorf("provider %s: %w", d.job.Winner, err)
	}
	d.endpoint = p.Provider.Endpoint
	return nil
}

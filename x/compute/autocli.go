package compute

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/cosmos/gogoproto/jsonpb"
	"github.com/spf13/cobra"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/version"

	"github.com/aichain/aichain/x/compute/types"
)

const (
	msgService   = "aichain.compute.v1.Msg"
	queryService = "aichain.compute.v1.Query"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{Query: queryCommands(version.AppName), Tx: txCommands(version.AppName)}
}

// queryCommands describes the query commands.
func queryCommands(app string) *autocliv1.ServiceCommandDescriptor {
	return &autocliv1.ServiceCommandDescriptor{
		Service: queryService,
		RpcCommandOptions: []*autocliv1.RpcCommandOptions{
			{RpcMethod: "Params", Use: "params", Short: "Show the compute params",
				Example: fmt.Sprintf("%s q compute params", app)},
			{RpcMethod: "Provider", Use: "provider [address]", Short: "Show a provider",
				Example:        fmt.Sprintf("%s q compute provider aic1...", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}}},
			{RpcMethod: "Providers", Use: "providers", Short: "List providers, optionally by status",
				Example: fmt.Sprintf("%s q compute providers --status active", app)},
			{RpcMethod: "Job", Use: "job [job-id]", Short: "Show a job",
				Example:        fmt.Sprintf("%s q compute job 1", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}}},
			{RpcMethod: "Jobs", Use: "jobs", Short: "List jobs, optionally by state, requester or provider",
				Example: fmt.Sprintf("%s q compute jobs --state open\n%s q compute jobs --requester aic1...", app, app)},
			{RpcMethod: "Bids", Use: "bids [job-id]", Short: "List a job's bid commitments and revealed bids",
				Example:        fmt.Sprintf("%s q compute bids 1", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}}},
			{RpcMethod: "PendingVerifications", Use: "pending-verifications", Short: "List the jobs validators must verify",
				Example: fmt.Sprintf("%s q compute pending-verifications", app)},
			{RpcMethod: "Stats", Use: "stats", Short: "Show jobs per state, active providers, GPUs online and fees",
				Example: fmt.Sprintf("%s q compute stats", app)},
			{RpcMethod: "AllowedDenoms", Use: "allowed-denoms", Short: "List the denoms a job may be priced and escrowed in (IBC vouchers as ibc/<hash>)",
				Example: fmt.Sprintf("%s q compute allowed-denoms", app)},
			{RpcMethod: "Beacon", Use: "beacon [height]", Short: "Show the sampling beacon of a height (final, or its open round) and the chain's restart tag",
				Example:        fmt.Sprintf("%s q compute beacon 2", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "height"}}},
			{RpcMethod: "BeaconKey", Use: "beacon-key [validator-address]", Short: "Show a validator's beacon key and consensus address",
				Example:        fmt.Sprintf("%s q compute beacon-key aicvaloper1...", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "validator_address"}}},
			{RpcMethod: "VerifierEndpoints", Use: "verifier-endpoints", Short: "List the validators' verification sidecar URLs (where sidecars fetch each other's checked weights)",
				Example: fmt.Sprintf("%s q compute verifier-endpoints --page-limit 100", app)},
			{RpcMethod: "VerifierEndpoint", Use: "verifier-endpoint [validator-address]", Short: "Show a validator's verification sidecar URL",
				Example:        fmt.Sprintf("%s q compute verifier-endpoint aicvaloper1...", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "validator_address"}}},
			{RpcMethod: "ModelBond", Use: "model-bond [owner]", Short: "Show a model owner's availability bond: bonded, locked by live jobs, free",
				Example:        fmt.Sprintf("%s q compute model-bond aic1...", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "owner"}}},
		},
	}
}

// txCommands describes the Msg commands.
func txCommands(app string) *autocliv1.ServiceCommandDescriptor {
	return &autocliv1.ServiceCommandDescriptor{
		Service:              msgService,
		EnhanceCustomCommand: true,
		RpcCommandOptions: append([]*autocliv1.RpcCommandOptions{
			{RpcMethod: "RegisterProvider", Use: "register-provider [moniker] [endpoint] [hardware-json] [bond]",
				Short:   "Register as a GPU provider with a bond",
				Example: fmt.Sprintf(`%s tx compute register-provider gpu-1 http://127.0.0.1:8090 '{"gpu_model":"A100","gpu_count":1,"vram_gib":80,"workloads":["gemm-f32"]}' 1000000000uaic --from provider`, app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{
					{ProtoField: "moniker"}, {ProtoField: "endpoint"}, {ProtoField: "hardware"}, {ProtoField: "bond"},
				}},
			{RpcMethod: "UpdateProvider", Use: "update-provider [moniker] [endpoint] [hardware-json]",
				Short:   "Update a provider's description, add bond (--add-bond) or unjail after the jail time",
				Example: fmt.Sprintf(`%s tx compute update-provider gpu-1 http://127.0.0.1:8090 '{"gpu_count":2}' --add-bond 1000uaic --from provider`, app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{
					{ProtoField: "moniker"}, {ProtoField: "endpoint"}, {ProtoField: "hardware"},
				}},
			{RpcMethod: "UnbondProvider", Use: "unbond-provider", Short: "Start returning the provider's bond (no open bids or live jobs)",
				Example: fmt.Sprintf("%s tx compute unbond-provider --from provider", app)},
			{RpcMethod: "CreateJob", Use: "create-job [workload-json] [max-price]",
				Short: "Create a job, escrowing max-price plus the model and dataset fees (each at most its cap) and paying the job_creation_fee",
				Long: "Creates a job. --assurance-samples N (at least samples_per_job) or --assurance-full (every chunk) buys verification " +
					"of every result on that many chunks: the job is always verified, the requester escrows verification_fee_per_sample " +
					"per chunk bought, paid to the validators whose verdicts decide the verification (refunded when none does), and the job " +
					"records the detection probability bought (detection_bps: the chance a result with one wrong chunk is caught). " +
					"--sample-commitment (from make-sample-secret) commits to a secret the requester reveals after its result " +
					"(reveal-sample-secret), mixed into the result's sampling draw; the job then escrows dispute_fee, returned unless " +
					"the secret is kept and the draw without it checks a valid result.",
				Example: fmt.Sprintf(`%s tx compute create-job '{"kind":"gemm-f32","gemm":{"m":64,"n":64,"k":64,"seed":7},"chunk_rows":16}' 5000uaic --commit-blocks 5 --reveal-blocks 5 --exec-blocks 20 --from alice
%s tx compute create-job '{"kind":"mlp-f32","mlp":{"model_id":1,"dataset_id":1},"chunk_rows":8}' 5000uaic --max-model-fee 200uaic --max-dataset-fee 1000uaic --commit-blocks 5 --reveal-blocks 5 --exec-blocks 40 --from alice
%s tx compute create-job '{"kind":"gemm-f32","gemm":{"m":64,"n":64,"k":64,"seed":8},"chunk_rows":16}' 5000uaic --assurance-full --commit-blocks 5 --reveal-blocks 5 --exec-blocks 20 --from alice
%s tx compute create-job '{"kind":"gemm-f32","gemm":{"m":64,"n":64,"k":64,"seed":9},"chunk_rows":8}' 5000uaic --assurance-samples 4 --commit-blocks 5 --reveal-blocks 5 --exec-blocks 20 --from alice
read C S <<< "$(%s tx compute make-sample-secret)"
%s tx compute create-job '{"kind":"gemm-f32","gemm":{"m":64,"n":64,"k":64,"seed":10},"chunk_rows":16}' 5000uaic --sample-commitment $C --commit-blocks 5 --reveal-blocks 5 --exec-blocks 20 --from alice`, app, app, app, app, app, app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "workload"}, {ProtoField: "max_price"}}},
			{RpcMethod: "CancelJob", Use: "cancel-job [job-id]", Short: "Cancel a job in its commit phase (escrow refunded, creation fee not)",
				Example:        fmt.Sprintf("%s tx compute cancel-job 1 --from alice", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}}},
			{RpcMethod: "CommitBid", Use: "commit-bid [job-id] [commitment-hex]",
				Short:          "Commit a sealed bid (see make-commitment)",
				Example:        fmt.Sprintf("read C S <<< \"$(%s tx compute make-commitment 1 aic1... 1500uaic)\"\n%s tx compute commit-bid 1 $C --from provider", app, app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}, {ProtoField: "commitment"}}},
			{RpcMethod: "RevealBid", Use: "reveal-bid [job-id] [price] [salt-hex]", Short: "Reveal a committed bid (the salt make-commitment printed, 16 to 64 bytes)",
				Example:        fmt.Sprintf("%s tx compute reveal-bid 1 1500uaic 5f1c0e8a9b2d4c6e8f0a1b3c5d7e9f10213243546576879801a2b3c4d5e6f708 --from provider", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}, {ProtoField: "price"}, {ProtoField: "salt"}}},
			{RpcMethod: "SubmitResult", Use: "submit-result [job-id] [output-root-hex] [chunk-count]",
				Short:   "Submit a job's result (winner only)",
				Example: fmt.Sprintf("%s tx compute submit-result 1 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 4 --from provider", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{
					{ProtoField: "job_id"}, {ProtoField: "output_root"}, {ProtoField: "chunk_count"},
				}},
			{RpcMethod: "DisputeResult", Use: "dispute-result [job-id]", Short: "Force verification of a result (pays dispute_fee)",
				Long: "Forces verification of an unsampled result in its challenge window. --chunk-indices names chunks the " +
					"validators' sidecars must fetch and check besides the sampled ones (at most max_dispute_chunks). " +
					"--sample-commitment (a fresh one from make-sample-secret) has the dispute's draw wait for its secret " +
					"(reveal-sample-secret, once the event's reveal_from is reached) and mix it in, so that no validator withholding " +
					"its beacon shares chooses the chunks the dispute checks; unrevealed, the draw runs at the event's draw_height.",
				Example: fmt.Sprintf(`%s tx compute dispute-result 1 --chunk-indices 0,7 --from alice
read C S <<< "$(%s tx compute make-sample-secret)"
%s tx compute dispute-result 1 --sample-commitment $C --from alice`, app, app, app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}}},
			{RpcMethod: "AbortJob", Use: "abort-job [job-id] [reason]",
				Short: "Give up a won job whose inputs are unavailable (winner only, before the deadline); validators check the inputs",
				Long: "Aborts an ASSIGNED job. A job without inputs (gemm) times out at once. Otherwise the validators' sidecars check " +
					"the job's model and dataset: found unavailable (or no quorum), the collateral is released and the requester refunded; " +
					"found available, the abort is a timeout and the collateral is forfeited.",
				Example:        fmt.Sprintf("%s tx compute abort-job 1 inputs-unavailable --from provider", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}, {ProtoField: "reason"}}},
			{RpcMethod: "UpdateParams", Skip: false, GovProposal: true, Use: "update-params-proposal [params-json]",
				Short: "Propose new compute params (gov authority only)",
				Example: fmt.Sprintf(`%s tx compute update-params-proposal '%s' --deposit 10000000uaic --title "Compute params" --summary "The defaults" --from alice`,
					app, defaultParamsJSON()),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}}},
			revealSampleSecretOption(app),
		}, append(modelBondTxOptions(app), validatorTxOptions(app)...)...),
	}
}

// GetTxCmd returns the module's tx command; autocli adds the Msg commands to
// it (EnhanceCustomCommand). Its own sub-command, make-commitment, is offline.
func (AppModule) GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Transactions commands for the compute module",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(MakeCommitmentCmd(), MakeSampleSecretCmd())
	return cmd
}

// MakeCommitmentCmd prints SHA-256(uint64be(job_id) ‖ provider ‖ price ‖ salt)
// in hex, without a node. Without a salt it draws 32 random bytes and prints
// the commitment and the salt (keep it: the reveal needs it).
func MakeCommitmentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "make-commitment [job-id] [provider] [price] [salt-hex]",
		Short: "Compute a bid commitment offline (prints it in hex; without a salt, also a fresh random salt)",
		Long: "Prints SHA-256(uint64be(job_id) ‖ provider address ‖ price as a coin string ‖ salt bytes) in hex, " +
			"the commitment for commit-bid; reveal later with the same price and salt. Without salt-hex it draws a " +
			fmt.Sprintf("random %d-byte salt and prints \"<commitment> <salt>\"; a given salt must have %d to %d bytes. Needs no node.",
				generatedSaltLen, types.MinSaltLen, types.MaxSaltLen),
		Example: fmt.Sprintf("%s tx compute make-commitment 1 aic1... 1500uaic\nread C S <<< \"$(%s tx compute make-commitment 1 aic1... 1500uaic)\"", version.AppName, version.AppName),
		Args:    cobra.RangeArgs(3, 4),
		RunE: func(cmd *cobra.Command, args []string) error {
			jobID, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("job-id %q: %w", args[0], err)
			}
			// The chain hashes the signer's canonical (lower-case) address:
			// an upper-case spelling, which bech32 reads as the same
			// account, hashed as typed made a bid that could never be
			// revealed (TestAttackMakeCommitmentUppercaseProviderCannotBeRevealed).
			provider, err := sdk.AccAddressFromBech32(args[1])
			if err != nil {
				return fmt.Errorf("provider %q: %w", args[1], err)
			}
			price, err := sdk.ParseCoinNormalized(args[2])
			if err != nil {
				return fmt.Errorf("price %q: %w", args[2], err)
			}
			salt, generated, err := commitmentSalt(args[3:])
			if err != nil {
				return err
			}
			out := hex.EncodeToString(types.BidCommitment(jobID, provider.String(), price, salt))
			if generated {
				out += " " + hex.EncodeToString(salt)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), out)
			return err
		},
	}
	// Accept the usual tx flags (ignored) so that scripts can pass them uniformly.
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// generatedSaltLen is the length of the salt make-commitment draws.
const generatedSaltLen = 32

// commitmentSalt decodes the salt argument, or draws a random one when there
// is none (generated reports which).
func commitmentSalt(args []string) ([]byte, bool, error) {
	if len(args) == 0 {
		salt := make([]byte, generatedSaltLen)
		if _, err := rand.Read(salt); err != nil {
			return nil, false, fmt.Errorf("draw a salt: %w", err)
		}
		return salt, true, nil
	}
	salt, err := hex.DecodeString(args[0])
	if err != nil {
		return nil, false, fmt.Errorf("salt-hex %q: %w", args[0], err)
	}
	if len(salt) < types.MinSaltLen || len(salt) > types.MaxSaltLen {
		return nil, false, fmt.Errorf("salt-hex has %d bytes, want %d to %d: omit it to draw a random one", len(salt), types.MinSaltLen, types.MaxSaltLen)
	}
	return salt, false, nil
}

// defaultParamsJSON is the default params in the JSON the governance
// command takes: the example proposes them, whatever fields params gain.
func defaultParamsJSON() string {
	p := types.DefaultParams()
	bz, err := (&jsonpb.Marshaler{OrigName: true}).MarshalToString(&p)
	if err != nil {
		return "{}"
	}
	return bz
}

// modelBondTxOptions describes the model availability bond's Msg commands.
func modelBondTxOptions(app string) []*autocliv1.RpcCommandOptions {
	return []*autocliv1.RpcCommandOptions{
		{RpcMethod: "PostModelBond", Use: "post-model-bond [amount]...",
			Short: "Add to the --from account's model availability bond (denoms in allowed_denoms)",
			Long: "A job that another account creates on a model the --from account owns, with a paid dataset, locks its dataset " +
				"fee of this bond until it closes, and is refused when the free bond cannot cover it. When the job's winner aborts " +
				"and the validators find the model's weights unavailable and the dataset served, the lock is paid to the requester.",
			Example:        fmt.Sprintf("%s tx compute post-model-bond 100000uaic --from alice", app),
			PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "amount", Varargs: true}}},
		{RpcMethod: "WithdrawModelBond", Use: "withdraw-model-bond [amount]...",
			Short:          "Withdraw free model availability bond (what live jobs do not lock) at once",
			Example:        fmt.Sprintf("%s tx compute withdraw-model-bond 50000uaic --from alice", app),
			PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "amount", Varargs: true}}},
	}
}

// validatorTxOptions describes the Msg commands a validator's operator
// signs: its beacon key and its verification sidecar's URL (validator_address
// is the --from account's operator address).
func validatorTxOptions(app string) []*autocliv1.RpcCommandOptions {
	return []*autocliv1.RpcCommandOptions{
		{RpcMethod: "RegisterBeaconKey", Use: "register-beacon-key [pubkey-hex] [proof-of-possession-hex]",
			Short: "Register or rotate the BLS beacon key of the --from account's validator (aichaind beacon pop prints the key and proof)",
			Example: fmt.Sprintf("%s tx compute register-beacon-key $(%s beacon pop aicvaloper1... --chain-id aichain-local-1 --home ~/.aichain) --from node0",
				app, app),
			PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "pubkey"}, {ProtoField: "proof_of_possession"}}},
		{RpcMethod: "SetVerifierEndpoint", Use: "set-verifier-endpoint [endpoint]",
			Short: "Set the public base URL of the --from account's validator's verification sidecar (\"\" removes it)",
			Long: "Other validators' sidecars fetch a model's weights from this URL (the sidecar's --weights-url, served on " +
				"--weights-listen) when the model's uri is gone, instead of all asking the job's provider. An http(s) URL with a " +
				"host and no user info, query or fragment, at most 256 bytes; signed by the validator's operator account.",
			Example: fmt.Sprintf("%s tx compute set-verifier-endpoint https://node0.example.org:8443 --from node0\n%s tx compute set-verifier-endpoint \"\" --from node0",
				app, app),
			PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "endpoint"}}},
	}
}

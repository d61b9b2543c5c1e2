package compute

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/spf13/cobra"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/version"

	"github.com/aichain/aichain/x/compute/types"
)

// MakeSampleSecretCmd prints a fresh sample secret's commitment and the
// secret, offline: create-job --sample-commitment takes the first, and
// reveal-sample-secret the second once the job's result is submitted.
func MakeSampleSecretCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "make-sample-secret",
		Short: "Draw a secret for a job's sampling draw and print \"<commitment> <secret>\" in hex (offline)",
		Long: "Draws a random 32-byte secret and prints SHA-256(\"aichain/sample/secret/v1\" ‖ secret) and the secret, in hex. " +
			"Create the job with --sample-commitment <commitment> and keep the secret: once the job's result is submitted and " +
			"the beacons of its draw are final (the result event's reveal_from), reveal it with reveal-sample-secret before " +
			"its draw_height. The draw then mixes the secret in, so that no validator withholding its beacon shares can choose " +
			"whether the result is checked. The job escrows dispute_fee while it waits (the reveal deposit, returned with the " +
			"escrow); unrevealed, the draw runs at draw_height without the secret, and if it checks a valid result the deposit " +
			"pays for the check as a dispute fee. Needs no node.",
		Example: fmt.Sprintf("read C S <<< \"$(%s tx compute make-sample-secret)\"", version.AppName),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			secret := make([]byte, types.SampleSecretSize)
			if _, err := rand.Read(secret); err != nil {
				return fmt.Errorf("draw a secret: %w", err)
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), hex.EncodeToString(types.SampleCommitment(secret)), hex.EncodeToString(secret))
			return err
		},
	}
	// Accept the usual tx flags (ignored) so that scripts can pass them uniformly.
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// revealSampleSecretOption is the autocli command of MsgRevealSampleSecret.
func revealSampleSecretOption(app string) *autocliv1.RpcCommandOptions {
	return &autocliv1.RpcCommandOptions{
		RpcMethod: "RevealSampleSecret", Use: "reveal-sample-secret [job-id] [secret-hex]",
		Short: "Reveal the secret of a job's sample commitment for its result's draw, or of its dispute's (requester only)",
		Long: "Accepted from the height in the result's event (reveal_from: the draw's beacons are final) until its draw_height; " +
			"the draw then runs in the next block, its seed mixed with the secret (see make-sample-secret). A dispute made with " +
			"--sample-commitment waits likewise for its own secret, from the reveal_from of its event.",
		Example:        fmt.Sprintf("read C S <<< \"$(%s tx compute make-sample-secret)\"\n%s tx compute reveal-sample-secret 1 $S --from alice", app, app),
		PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "job_id"}, {ProtoField: "secret"}},
	}
}

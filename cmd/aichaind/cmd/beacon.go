package cmd

import (
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/ve"
)

// beaconCmd manages the node's beacon key (x/compute README, "Sampling
// randomness"): `beacon init` creates it, `beacon pop` prints what
// MsgRegisterBeaconKey carries.
func beaconCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "beacon", Short: "Manage this validator's BLS beacon key (config/beacon_key.json)"}
	initC := &cobra.Command{
		Use:   "init",
		Short: "Create the beacon key (mode 0600); refuses to overwrite one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := beaconKeyPath(cmd)
			s, err := ve.GenerateBeaconKey(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "beacon key written to %s\npublic key %s\n", path, hex.EncodeToString(s.PubKey()))
			return nil
		},
	}
	pop := &cobra.Command{
		Use:   "pop [validator-address]",
		Short: "Print the public key and proof of possession (hex) to register with tx compute register-beacon-key",
		Example: "aichaind tx compute register-beacon-key " +
			"$(aichaind beacon pop aicvaloper1... --chain-id aichain-local-1) --from node0",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// The proof binds the canonical (lower-case) address, the one
			// register-beacon-key sends and the chain checks: an
			// upper-case spelling signed as typed made a registration
			// that could only fail (TestBeaconPopBindsTheCanonicalAddress).
			val, err := sdk.ValAddressFromBech32(args[0])
			if err != nil {
				return fmt.Errorf("validator-address %q: %w", args[0], err)
			}
			s, err := ve.LoadBeaconKey(beaconKeyPath(cmd))
			if err != nil {
				return err
			}
			chainID, _ := cmd.Flags().GetString(flags.FlagChainID)
			if chainID == "" {
				chainID = client.GetClientContextFromCmd(cmd).ChainID
			}
			if chainID == "" {
				return fmt.Errorf("--%s is required", flags.FlagChainID)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", hex.EncodeToString(s.PubKey()),
				hex.EncodeToString(s.ProofOfPossession(chainID, val.String())))
			return nil
		},
	}
	pop.Flags().String(flags.FlagChainID, "", "the chain-id the proof binds")
	cmd.AddCommand(initC, pop)
	return cmd
}

func beaconKeyPath(cmd *cobra.Command) string {
	home, _ := cmd.Flags().GetString(flags.FlagHome)
	if home == "" {
		home = client.GetClientContextFromCmd(cmd).HomeDir
	}
	return filepath.Join(home, ve.BeaconKeyFile)
}

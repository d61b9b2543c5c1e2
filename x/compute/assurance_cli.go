package compute

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aichain/aichain/x/compute/types"
)

// The create-job flags of buyer-chosen assurance. autocli gives the message
// field assurance one JSON flag (--assurance '{"samples":8}'); these two
// write it the way a buyer thinks of it.
const (
	FlagAssuranceSamples = "assurance-samples"
	FlagAssuranceFull    = "assurance-full"
)

// AddAssuranceFlags adds --assurance-samples and --assurance-full to the
// autocli command `tx compute create-job` under root; they set the
// message's assurance field (the root's command tree must already hold the
// autocli commands).
func AddAssuranceFlags(root *cobra.Command) error {
	cmd, _, err := root.Find([]string{"tx", types.ModuleName, "create-job"})
	if err != nil || cmd.Name() != "create-job" || cmd.Flags().Lookup("assurance") == nil {
		return fmt.Errorf("tx %s create-job with an --assurance flag not found (%v)", types.ModuleName, err)
	}
	cmd.Flags().Uint32(FlagAssuranceSamples, 0, fmt.Sprintf(
		"buy verification of every result on N sampled chunks (at least the params' samples_per_job, at most the job's chunk count and %d), at verification_fee_per_sample each, escrowed with the job",
		types.MaxAssuranceSamples))
	cmd.Flags().Bool(FlagAssuranceFull, false,
		"buy verification of every result on every chunk, at verification_fee_per_sample per chunk, escrowed with the job")
	thenPreRun(cmd, setAssurance)
	return nil
}

// thenPreRun makes cmd run fn after the PreRunE it has.
func thenPreRun(cmd *cobra.Command, fn func(*cobra.Command, []string) error) {
	pre := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if pre != nil {
			if err := pre(c, args); err != nil {
				return err
			}
		}
		return fn(c, args)
	}
}

// setAssurance writes the assurance flags into the --assurance flag.
func setAssurance(c *cobra.Command, _ []string) error {
	samples, err := c.Flags().GetUint32(FlagAssuranceSamples)
	if err != nil {
		return err
	}
	full, err := c.Flags().GetBool(FlagAssuranceFull)
	if err != nil {
		return err
	}
	if samples == 0 && !full {
		return nil
	}
	if c.Flags().Changed("assurance") {
		return fmt.Errorf("--assurance and --%s/--%s both set: use one", FlagAssuranceSamples, FlagAssuranceFull)
	}
	a := types.Assurance{Samples: samples, Full: full}
	if err := a.Validate(); err != nil {
		return err
	}
	return c.Flags().Set("assurance", fmt.Sprintf(`{"samples":%d,"full":%t}`, samples, full))
}

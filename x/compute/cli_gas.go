package compute

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/spf13/cobra"

	"github.com/aichain/aichain/x/compute/types"
)

// CreateJobGasAdjustment is create-job's default --gas-adjustment: the
// simulated gas × this.
const CreateJobGasAdjustment = "1.3"

// SimulateCreateJobGas makes `tx compute create-job` simulate its gas
// unless --gas is given (OfflineCreateJobGas offline or with
// --generate-only, where nothing simulates): a create-job message pays its job's block work
// (types.JobBlockGas, 200,000 and 360,000 with a model or dataset), so the
// SDK's default of 200,000 gas would run every job out of gas.
func SimulateCreateJobGas(root *cobra.Command) error {
	cmd, _, err := root.Find([]string{"tx", types.ModuleName, "create-job"})
	if err != nil || cmd.Name() != "create-job" {
		return fmt.Errorf("tx %s create-job not found (%v)", types.ModuleName, err)
	}
	for name, value := range map[string]string{flags.FlagGas: flags.GasFlagAuto, flags.FlagGasAdjustment: CreateJobGasAdjustment} {
		f := cmd.Flags().Lookup(name)
		if f == nil {
			return fmt.Errorf("tx %s create-job has no --%s flag", types.ModuleName, name)
		}
		if err := f.Value.Set(value); err != nil {
			return err
		}
		f.DefValue = value
		f.Usage = strings.ReplaceAll(f.Usage, fmt.Sprintf(" (default %d)", flags.DefaultGasLimit), "")
	}
	// Offline (or only generating the tx, for another key to sign), there
	// is no simulation: a fixed limit that covers any job's charge.
	thenPreRun(cmd, func(c *cobra.Command) error {
		offline, _ := c.Flags().GetBool(flags.FlagOffline)
		generateOnly, _ := c.Flags().GetBool(flags.FlagGenerateOnly)
		if (offline || generateOnly) && !c.Flags().Changed(flags.FlagGas) {
			return c.Flags().Set(flags.FlagGas, strconv.Itoa(OfflineCreateJobGas))
		}
		return nil
	})
	return nil
}

// OfflineCreateJobGas is create-job's gas limit offline or with
// --generate-only when --gas is not given: the largest block-work charge
// (types.JobBlockGas + JobInputsBlockGas), the verdicts a job without
// assurance pays for on a set of up to OfflineSetSize validators at the
// default sampling floor (20 %), and room for the message's own work and
// the signature. A job buying assurance pays for every validator's verdict
// (types.VerdictBlockGas, CountedVerdictBlockGas with a verification fee)
// and needs --gas offline.
const OfflineCreateJobGas = types.JobBlockGas + types.JobInputsBlockGas + OfflineSetSize*types.VerdictBlockGas/5 + 240_000

// OfflineSetSize is the validator set OfflineCreateJobGas covers (x/staking's
// default max_validators).
const OfflineSetSize = 100

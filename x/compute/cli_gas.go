package compute

import (
	"fmt"
	"strings"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/spf13/cobra"

	"github.com/aichain/aichain/x/compute/types"
)

// CreateJobGasAdjustment is create-job's default --gas-adjustment: the
// simulated gas × this.
const CreateJobGasAdjustment = "1.3"

// SimulateCreateJobGas makes `tx compute create-job` simulate its gas
// unless --gas is given: a create-job message pays its job's block work
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
	return nil
}

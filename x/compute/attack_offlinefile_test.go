package compute_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/gogoproto/jsonpb"
	"github.com/spf13/cobra"

	"github.com/aichain/aichain/x/compute"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackOfflineCreateJobFromAJSONFileIsRefused: autocli takes a
// message-typed positional argument as JSON or as the path of a file whose
// name ends in .json (client/v2 autocli/flag json_message.go), the natural
// way to give a gpt-f32 job's 4,096 inline prompt tokens. The PreRun that
// 0a5868f added for --offline and --generate-only parses args[0] itself as
// JSON (jsonpb.UnmarshalString) before autocli reads the file, so an honest
// requester's valid spec given as workload.json is refused ("workload-json:
// ..."), where before the change it was signed with the fixed offline gas.
// The honest outcome: the spec the file holds gets its computed gas.
func TestAttackOfflineCreateJobFromAJSONFileIsRefused(t *testing.T) {
	spec := `{"kind":"gpt-f32","gpt":{"model_id":1,"max_new_tokens":4,"prompts":[{"tokens":[1,2,3,4,5,6,7,8]}]},"chunk_rows":1}`
	var w types.WorkloadSpec
	if err := jsonpb.UnmarshalString(spec, &w); err != nil || w.Gpt == nil {
		t.Fatalf("set-up: %v", err)
	}
	path := filepath.Join(t.TempDir(), "workload.json")
	if err := os.WriteFile(path, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	// The command tree autocli builds: tx compute create-job with the tx flags.
	root := &cobra.Command{Use: "aichaind"}
	tx := &cobra.Command{Use: "tx"}
	mod := &cobra.Command{Use: types.ModuleName}
	cmd := &cobra.Command{Use: "create-job [workload-json] [max-price]", RunE: func(*cobra.Command, []string) error { return nil }}
	flags.AddTxFlagsToCmd(cmd)
	cmd.Flags().String("assurance", "", "the message's assurance field (autocli)")
	root.AddCommand(tx)
	tx.AddCommand(mod)
	mod.AddCommand(cmd)
	if err := compute.AddAssuranceFlags(root); err != nil {
		t.Fatal(err)
	}
	if err := compute.SimulateCreateJobGas(root, os.ReadFile); err != nil {
		t.Fatal(err)
	}
	if err := cmd.ParseFlags([]string{"--offline"}); err != nil {
		t.Fatal(err)
	}
	err := cmd.PreRunE(cmd, []string{path, "5000uaic"})
	gas, _ := cmd.Flags().GetString(flags.FlagGas)
	want := strconv.FormatUint(compute.OfflineCreateJobGas(w), 10)
	if err != nil || gas != want {
		t.Fatalf("create-job --offline %s 5000uaic (a valid gpt-f32 spec in a .json file, as autocli accepts): err %v, --gas %q; "+
			"want no error and --gas %s: the requester's valid job is refused offline", path, err, gas, want)
	}
}

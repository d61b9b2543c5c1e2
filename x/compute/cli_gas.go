package compute

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/gogoproto/jsonpb"
	"github.com/spf13/cobra"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
)

// CreateJobGasAdjustment is create-job's default --gas-adjustment: the
// simulated gas × this.
const CreateJobGasAdjustment = "1.3"

// SimulateCreateJobGas makes `tx compute create-job` simulate its gas
// unless --gas is given (OfflineCreateJobGas offline or with
// --generate-only, where nothing simulates): a create-job message pays its job's block work
// (types.JobBlockGas, 200,000 and 360,000 with a model or dataset), so the
// SDK's default of 200,000 gas would run every job out of gas. readFile
// reads a workload given as the path of a .json file (the binary's
// os.ReadFile: the module itself opens no file).
func SimulateCreateJobGas(root *cobra.Command, readFile func(path string) ([]byte, error)) error {
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
	thenPreRun(cmd, func(c *cobra.Command, args []string) error {
		offline, _ := c.Flags().GetBool(flags.FlagOffline)
		generateOnly, _ := c.Flags().GetBool(flags.FlagGenerateOnly)
		if !(offline || generateOnly) || c.Flags().Changed(flags.FlagGas) {
			return nil
		}
		var w types.WorkloadSpec
		if len(args) > 0 {
			spec := args[0]
			// As autocli reads a message argument: JSON, or the path of a
			// file whose name ends in .json (TestAttackOfflineCreateJobFromAJSONFileIsRefused).
			if strings.HasSuffix(spec, ".json") {
				bz, err := readFile(spec)
				if err != nil {
					return fmt.Errorf("workload-json: %w", err)
				}
				spec = string(bz)
			}
			if err := jsonpb.UnmarshalString(spec, &w); err != nil {
				return fmt.Errorf("workload-json: %w", err)
			}
		}
		gas := OfflineCreateJobGas(w)
		samples, _ := c.Flags().GetUint32(FlagAssuranceSamples)
		full, _ := c.Flags().GetBool(FlagAssuranceFull)
		if samples > 0 || full {
			chunks, ok := offlineChunks(w)
			if full && !ok {
				// Every chunk of a dataset's rows, which it cannot know.
				return fmt.Errorf("create-job --%s offline or with --%s: give --%s (it pays for every validator's verdict on a record of every chunk: about %d gas a validator and %d a byte of the job)",
					FlagAssuranceFull, flags.FlagGenerateOnly, flags.FlagGas, types.VerdictBlockGas+types.CountedVerdictGas, types.VerdictGasPerJobByte)
			}
			if full {
				samples = uint32(min(chunks, uint64(^uint32(0))))
			}
			gas += OfflineAssuranceGas(w, uint64(samples))
		}
		return c.Flags().Set(flags.FlagGas, strconv.FormatUint(gas, 10))
	})
	return nil
}

// OfflineAssuranceGas is what a job buying samples verified samples adds to
// OfflineCreateJobGas: every verdict of OfflineSetSize validators, counted
// in the job for a share of its verification fee, on a record holding the
// samples' indices, and the block work of those indices (Job.TermsBlockGas).
func OfflineAssuranceGas(w types.WorkloadSpec, samples uint64) uint64 {
	rec := types.Job{Workload: w, SamplesBought: samples}
	return OfflineSetSize*(rec.VerdictGas(true)+offlineExtraBytes(w)*types.VerdictGasPerJobByte) + rec.TermsBlockGas()
}

// offlineChunks is a workload's chunk count where the spec alone fixes it
// (gemm-f32's rows, a gpt-f32 job's inline prompts).
func offlineChunks(w types.WorkloadSpec) (uint64, bool) {
	var rows uint64
	switch {
	case w.Gemm != nil:
		rows = w.Gemm.M
	case w.Gpt != nil && len(w.Gpt.Prompts) > 0:
		rows = uint64(len(w.Gpt.Prompts))
	default:
		return 0, false
	}
	if w.ChunkRows == 0 {
		return 0, false
	}
	return (rows + w.ChunkRows - 1) / w.ChunkRows, true
}

// OfflineCreateJobGas is create-job's gas limit for workload w offline or
// with --generate-only when --gas is not given: its block-work charge
// (WorkloadSpec.BlockGas, which grows with a gpt-f32 job's inline prompts),
// the verdicts a job without assurance pays for on a set of up to
// OfflineSetSize validators at the default sampling floor (20 %), on a
// record of the spec and offlineRecordBytes more, and room for the
// message's own work and the signature. A job buying assurance pays for
// every validator's verdict and needs --gas offline. A fixed limit, as it
// was, ran a valid job of inline prompts out of gas
// (TestAttackOfflineCreateJobOfInlinePromptsRunsOutOfGas).
func OfflineCreateJobGas(w types.WorkloadSpec) uint64 {
	rec := types.Job{Workload: w}
	verdicts := OfflineSetSize * (rec.VerdictGas(false) + offlineExtraBytes(w)*types.VerdictGasPerJobByte) / 5
	gas := w.BlockGas() + verdicts + 240_000 + uint64(w.Size())*offlineGasPerSpecByte
	if !w.NamesInputs() {
		gas += types.JobInputsBlockGas // the spec may be one this command does not parse as such
	}
	if w.Gemm == nil {
		// The inputs' share holders (Job.TermsBlockGas), which the chain
		// knows and this command does not: at most MaxShares a model and a
		// dataset.
		gas += types.MaxSharesBlockGas()
	}
	return gas
}

// OfflineSetSize is the validator set OfflineCreateJobGas covers (x/staking's
// default max_validators).
const OfflineSetSize = 100

// offlineRecordBytes is what a job record holds besides its spec (the
// requester, the escrow, the terms, the heights); offlineGasPerSpecByte the
// message's own work a byte of the spec (decoding, validating, storing it).
const (
	offlineRecordBytes    = 1_024
	offlineGasPerSpecByte = 40
)

// offlineExtraBytes is what a job record of workload w may hold beyond its
// spec when its verdicts are read: offlineRecordBytes, and on a workload
// that may name a model and a dataset their share holders
// (types.MaxShareRecordBytes each beyond the first of each), which each
// verdict reads with the record: without them an offline create-job buying
// assurance on inputs of 32 holders each ran out of gas
// (TestAttackShareHoldersRunOfflineAssuredCreateJobOutOfGas).
func offlineExtraBytes(w types.WorkloadSpec) uint64 {
	if w.Gemm != nil {
		return offlineRecordBytes
	}
	return offlineRecordBytes + 2*(common.MaxShares-1)*types.MaxShareRecordBytes
}

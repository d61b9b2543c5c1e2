package compute_test

import (
	"testing"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackOfflineCreateJobOfInlinePromptsRunsOutOfGas: `tx compute
// create-job --offline` (or --generate-only, for a Ledger or a multisig to
// sign) sets the gas to OfflineCreateJobGas, documented as "a fixed limit
// that covers any job's charge". Since a415298 a job's block gas grows by
// JobBlockGasPerSpecByte a spec byte above 256 and its verdicts by
// VerdictGasPerJobByte a record byte, but OfflineCreateJobGas was left at
// the old fixed charges. An honest requester's offline-signed gpt-f32 job
// with inline prompts (a valid spec) runs out of gas in CreateJob and loses
// its fee. The honest outcome: the charges MsgCreateJob makes for a valid
// job (its block gas, plus the floor's share of OfflineSetSize validators'
// verdicts, at the record's size at least the spec's) fit in the offline
// default. Now the offline default is computed from the spec
// (OfflineCreateJobGas(w)).
func TestAttackOfflineCreateJobOfInlinePromptsRunsOutOfGas(t *testing.T) {
	for _, c := range []struct {
		name            string
		prompts, tokens int
	}{
		{"8 prompts of 64 tokens", 8, 64},
		{"64 prompts of 64 tokens", types.GPTMaxInlinePrompts, types.GPTMaxInlineTokens / types.GPTMaxInlinePrompts},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := &types.GptSpec{ModelId: 1, MaxNewTokens: 8}
			for i := 0; i < c.prompts; i++ {
				toks := make([]uint32, c.tokens)
				for j := range toks {
					toks[j] = uint32(128 + (i*7+j*13)%128) // token ids of a 256-word vocabulary
				}
				g.Prompts = append(g.Prompts, types.GptPrompt{Tokens: toks})
			}
			w := types.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: 8, Gpt: g}
			if _, err := w.Validate(); err != nil {
				t.Fatalf("set-up: the spec is not valid: %v", err)
			}
			block := w.BlockGas() // consumed whole by MsgCreateJob (msg_server.go)
			// The floor's (default 20 %) share of OfflineSetSize verdicts on a
			// record at least the spec's size (Job.VerdictGas).
			rec := types.Job{Workload: w}
			verdicts := compute.OfflineSetSize * rec.VerdictGas(false) / 5
			charged := block + verdicts
			t.Logf("spec %d bytes: block gas %d + verdicts %d = %d charged before the message's own work; offline gas %d",
				w.Size(), block, verdicts, charged, compute.OfflineCreateJobGas(w))
			if charged > compute.OfflineCreateJobGas(w) {
				t.Errorf("a valid gpt job is charged %d gas (block %d, verdicts %d), over the offline default of %d: an offline-signed create-job runs out of gas",
					charged, block, verdicts, compute.OfflineCreateJobGas(w))
			}
		})
	}
}

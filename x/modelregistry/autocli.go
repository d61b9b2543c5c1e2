package modelregistry

import (
	"fmt"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/aichain/aichain/x/modelregistry/types"
)

// app is the node binary the examples name.
const app = "aichaind"

const exampleSha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

const sharesUsage = `a revenue share ADDRESS:WEIGHT, repeat the flag for each: --shares aic1...:70 --shares aic1...:30`

// AutoCLIOptions implements autocli.HasAutoCLIConfig: every tx and query
// command of the module, generated from the proto services.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{Query: queryCommands(), Tx: txCommands()}
}

// queryCommands describes the query commands.
func queryCommands() *autocliv1.ServiceCommandDescriptor {
	return &autocliv1.ServiceCommandDescriptor{
		Service: types.Query_serviceDesc.ServiceName,
		RpcCommandOptions: []*autocliv1.RpcCommandOptions{
			{
				RpcMethod: "Params",
				Use:       "params",
				Short:     "Show the module params (platform fee, length limits)",
				Example:   fmt.Sprintf("%s q modelregistry params", app),
			},
			{
				RpcMethod:      "Model",
				Use:            "model <id>",
				Short:          "Show a model version by id",
				Example:        fmt.Sprintf("%s q modelregistry model 1", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
			},
			{
				RpcMethod: "Models",
				Use:       "models [--owner aic1...]",
				Short:     "List models by id, all of them or one owner's",
				Example:   fmt.Sprintf("%s q modelregistry models --owner aic1... --page-limit 20", app),
			},
			{
				RpcMethod:      "ModelVersions",
				Use:            "model-versions <name>",
				Short:          "List every version of a model name, oldest first",
				Example:        fmt.Sprintf("%s q modelregistry model-versions iris-mlp", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "name"}},
			},
			{
				RpcMethod:      "Usage",
				Use:            "usage <model-id>",
				Short:          "Show a model's usage: settled jobs, rows and revenue",
				Example:        fmt.Sprintf("%s q modelregistry usage 1", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "model_id"}},
			},
			{
				RpcMethod:      "WeightsCommit",
				Use:            "weights-commit <commitment> <owner>",
				Short:          "Show a creator's commitment to a model name and weights, or to weights, not yet registered (commit-model; the first's hex digits are in the tx's event weights_committed): its height, expiry and key",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "commitment"}, {ProtoField: "owner"}},
			},
		},
	}
}

// txCommands describes the tx commands.
func txCommands() *autocliv1.ServiceCommandDescriptor {
	return &autocliv1.ServiceCommandDescriptor{
		Service: types.Msg_serviceDesc.ServiceName,
		RpcCommandOptions: append([]*autocliv1.RpcCommandOptions{
			// commit-model is a custom command (cmd/aichaind): it hashes its arguments.
			{RpcMethod: "CommitWeights", Skip: true},
			{
				RpcMethod: "RegisterModel",
				Use:       "register-model <name> <version> <sha256> <uri> <input-dim> <output-dim> <license>",
				Short:     "Register a new model name with its first version; you own it",
				Long: "Register a model: the lowercase hex SHA-256 and the uri of its safetensors weights, its input and " +
					"output dimensions and its license (an SPDX id or text). A job pays fee_per_job + " +
					"ceil(fee_per_1k_rows × rows / 1000); the platform fee goes to the reward pool, the rest is split over the shares.\n\n" +
					"An mlp-f32 model declares its hidden layer widths with --hidden-dims (none: one layer, input-dim→output-dim): a job's work is its rows × Σ in·out, " +
					"which the chain bounds per chunk and per verification, and agents refuse weights of another shape.\n\n" +
					"A gpt-f32 model (GPT-2 architecture, safetensors with GPT-2's tensor names) takes --architecture gpt-f32 and " +
					"--gpt '{\"layers\":2,\"heads\":4,\"embed\":64,\"vocab\":256,\"context\":128}'; its input-dim and output-dim " +
					"are its vocabulary, and a job's rows are its prompts.",
				Example: fmt.Sprintf(`%s tx modelregistry register-model iris-mlp 1.0.0 %s https://example.org/iris.safetensors 4 3 Apache-2.0 \
  --hidden-dims 16 --fee-per-job 1000uaic --fee-per-1k-rows 50uaic \
  --shares aic1...:70 --shares aic1...:30 --from alice
%[1]s tx modelregistry register-model tiny-gpt 1.0.0 %[2]s https://example.org/tiny-gpt.safetensors 256 256 MIT \
  --architecture gpt-f32 --gpt '{"layers":2,"heads":4,"embed":64,"vocab":256,"context":128}' --fee-per-1k-rows 1000uaic \
  --shares aic1...:1 --from alice`, app, exampleSha),
				PositionalArgs: specArgs(),
				FlagOptions:    specFlags(),
			},
			{
				RpcMethod: "PublishVersion",
				Use:       "publish-version <name> <version> <sha256> <uri> <input-dim> <output-dim> <license>",
				Short:     "Publish a new, immutable version of a model name you own (a new model id)",
				Example: fmt.Sprintf(`%s tx modelregistry publish-version iris-mlp 1.1.0 %s https://example.org/iris-1.1.safetensors 4 3 Apache-2.0 \
  --fee-per-job 1000uaic --shares aic1...:1 --from alice`, app, exampleSha),
				PositionalArgs: specArgs(),
				FlagOptions:    specFlags(),
			},
			{
				RpcMethod:      "UpdateFees",
				Use:            "update-fees <model-id> [--fee-per-job coin]... [--fee-per-1k-rows coin]...",
				Short:          "Set a model's fees for jobs created from now on (no flag: free)",
				Example:        fmt.Sprintf("%s tx modelregistry update-fees 1 --fee-per-job 2000uaic --fee-per-1k-rows 10uaic --from alice", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "model_id"}},
				FlagOptions: map[string]*autocliv1.FlagOptions{
					"fee_per_job":     {Usage: "fee per job, repeat for each denom (e.g. 1000uaic)"},
					"fee_per_1k_rows": {Name: "fee-per-1k-rows", Usage: "fee per 1000 dataset rows, rounded up, repeat for each denom"},
				},
			},
			{
				RpcMethod:      "UpdateUri",
				Use:            "update-uri <model-id> <uri>",
				Short:          "Move a model's weights to another uri (the file, its sha256, stays the same; not while the model is on offer)",
				Example:        fmt.Sprintf("%s tx modelregistry update-uri 1 https://mirror.example/llama-1.safetensors --from alice", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "model_id"}, {ProtoField: "uri"}},
			},
			{
				RpcMethod:      "UpdateShares",
				Use:            "update-shares <model-id> --shares ADDRESS:WEIGHT...",
				Short:          "Replace a model's revenue shares for jobs created from now on",
				Example:        fmt.Sprintf(`%s tx modelregistry update-shares 1 --shares aic1...:1 --from alice`, app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "model_id"}},
				FlagOptions:    map[string]*autocliv1.FlagOptions{"shares": {Usage: sharesUsage}},
			},
			{
				RpcMethod:      "DeprecateModel",
				Use:            "deprecate-model <model-id>",
				Short:          "Deprecate a model: no new job may use it (jobs already created still pay it)",
				Example:        fmt.Sprintf("%s tx modelregistry deprecate-model 1 --from alice", app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "model_id"}},
			},
			{
				RpcMethod:      "UpdateParams",
				Use:            "update-params-proposal <params-json>",
				Short:          "Submit a governance proposal to change the module params",
				Example:        fmt.Sprintf(`%s tx modelregistry update-params-proposal '{"platform_fee_bps":500,"max_name_length":64,"max_version_length":32,"max_uri_length":512,"max_license_length":1024}' --from alice`, app),
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
				GovProposal:    true,
			},
		}, ownershipCommands()...),
	}
}

// ownershipCommands describes the commands that hand a model to another
// owner: an offer, its acceptance, its withdrawal.
func ownershipCommands() []*autocliv1.RpcCommandOptions {
	return []*autocliv1.RpcCommandOptions{
		{
			RpcMethod:      "TransferOwnership",
			Use:            "transfer-ownership <model-id> <new-owner>",
			Short:          "Offer a model to a new owner, which takes it with accept-ownership",
			Example:        fmt.Sprintf("%s tx modelregistry transfer-ownership 1 aic1... --from alice", app),
			PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "model_id"}, {ProtoField: "new_owner"}},
		},
		{
			RpcMethod: "AcceptOwnership",
			Use:       "accept-ownership <model-id> <offer-seq>",
			Short:     "Take a model offered to you with transfer-ownership: you become its owner",
			Long: "Take a model offered to you with transfer-ownership: you become its owner. offer-seq is the offer " +
				"you accept (the model's offer_seq, in q modelregistry model <id>): if the seller withdrew it and offered " +
				"again since, the acceptance is refused, so read the model again before you accept.",
			Example:        fmt.Sprintf("%s tx modelregistry accept-ownership 1 1 --from bob", app),
			PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "model_id"}, {ProtoField: "offer_seq"}},
		},
		{
			RpcMethod:      "CancelOwnershipTransfer",
			Use:            "cancel-ownership-transfer <model-id>",
			Short:          "Withdraw your pending offer of a model",
			Example:        fmt.Sprintf("%s tx modelregistry cancel-ownership-transfer 1 --from alice", app),
			PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "model_id"}},
		},
	}
}

// specArgs are the positional arguments of a model version (register-model,
// publish-version).
func specArgs() []*autocliv1.PositionalArgDescriptor {
	return []*autocliv1.PositionalArgDescriptor{
		{ProtoField: "name"}, {ProtoField: "version"}, {ProtoField: "sha256"}, {ProtoField: "uri"},
		{ProtoField: "input_dim"}, {ProtoField: "output_dim"}, {ProtoField: "license"},
	}
}

// specFlags are the flags of a model version: architecture, fees, shares.
func specFlags() map[string]*autocliv1.FlagOptions {
	return map[string]*autocliv1.FlagOptions{
		"architecture":    {DefaultValue: types.ArchitectureMLPF32, Usage: "model architecture: mlp-f32 (the default) or gpt-f32"},
		"gpt":             {Usage: `a gpt-f32 model's config as JSON: '{"layers":12,"heads":12,"embed":768,"vocab":50257,"context":1024}'`},
		"hidden_dims":     {Usage: "an mlp-f32 model's hidden layer widths in order, comma-separated (e.g. 16,8 for input-dim→16→8→output-dim; none: one layer): the chain bounds each job's work by them and agents refuse weights of another shape"},
		"fee_per_job":     {Usage: "fee per job, repeat for each denom (e.g. 1000uaic)"},
		"fee_per_1k_rows": {Name: "fee-per-1k-rows", Usage: "fee per 1000 dataset rows, rounded up, repeat for each denom"},
		"shares":          {Usage: sharesUsage},
	}
}

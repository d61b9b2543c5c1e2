package datamarket

import autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

// AutoCLIOptions implements autocli.HasAutoCLIConfig.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{Query: queryCommands(), Tx: txCommands()}
}

// queryCommands describes the query commands; autocli adds them to the
// custom ones (download).
func queryCommands() *autocliv1.ServiceCommandDescriptor {
	return &autocliv1.ServiceCommandDescriptor{
		Service:              "aichain.datamarket.v1.Query",
		EnhanceCustomCommand: true,
		RpcCommandOptions: []*autocliv1.RpcCommandOptions{
			{
				RpcMethod: "Params",
				Use:       "params",
				Short:     "Show the datamarket params",
				Example:   "aichaind q datamarket params",
			},
			{
				RpcMethod:      "Dataset",
				Use:            "dataset [id]",
				Short:          "Show a dataset",
				Example:        "aichaind q datamarket dataset 1",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
			},
			{
				RpcMethod: "Datasets",
				Use:       "datasets",
				Short:     "List datasets, all or one owner's (--owner)",
				Example:   "aichaind q datamarket datasets --owner aic1...\naichaind q datamarket datasets --page-limit 10",
			},
			{
				RpcMethod:      "DatasetVersion",
				Use:            "dataset-version [dataset-id] [version]",
				Short:          "Show one version of a dataset (content root, sha256, shape)",
				Example:        "aichaind q datamarket dataset-version 1 2",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "dataset_id"}, {ProtoField: "version"}},
			},
			{
				RpcMethod:      "License",
				Use:            "license [id]",
				Short:          "Show a licence",
				Example:        "aichaind q datamarket license 1",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}},
			},
			{
				RpcMethod: "Licenses",
				Use:       "licenses",
				Short:     "List licences, all or one licensee's (--licensee)",
				Example:   "aichaind q datamarket licenses --licensee aic1...",
			},
			{
				RpcMethod:      "HasAccess",
				Use:            "has-access [dataset-id] [address]",
				Short:          "Tell whether an address may read a dataset now (--dataset-version, default current)",
				Example:        "aichaind q datamarket has-access 1 aic1...\naichaind q datamarket has-access 1 aic1... --dataset-version 2",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "dataset_id"}, {ProtoField: "address"}},
				// "version" would clash with the node config's version key that the CLI binds to flags.
				FlagOptions: map[string]*autocliv1.FlagOptions{"version": {Name: "dataset-version", Usage: "dataset version (0 = current)"}},
			},
			{
				RpcMethod:      "ContentCommit",
				Use:            "content-commit [commitment] [owner]",
				Short:          "Show an owner's commitment to a file not yet listed (commit-dataset; its hex digits are in the tx's event content_committed): its height, expiry and content key",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "commitment"}, {ProtoField: "owner"}},
			},
		},
	}
}

// txCommands describes the tx commands; autocli adds them to the custom ones
// (list-dataset, update-dataset, purchase-license, renew-license,
// update-dataset-shares).
func txCommands() *autocliv1.ServiceCommandDescriptor {
	return &autocliv1.ServiceCommandDescriptor{
		Service:              "aichain.datamarket.v1.Msg",
		EnhanceCustomCommand: true,
		RpcCommandOptions: []*autocliv1.RpcCommandOptions{
			// commit-dataset, list-dataset and update-dataset are custom
			// commands that read the .npy file.
			{RpcMethod: "CommitContent", Skip: true},
			{RpcMethod: "ListDataset", Skip: true},
			{RpcMethod: "UpdateDataset", Skip: true},
			{
				RpcMethod:      "DelistDataset",
				Use:            "delist-dataset [dataset-id]",
				Short:          "Delist a dataset: no new sales, existing licences stay valid",
				Example:        "aichaind tx datamarket delist-dataset 1 --from alice",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "dataset_id"}},
			},
			// purchase-license, renew-license and update-dataset-shares are custom
			// commands: max_price defaults to the price queried now; shares are
			// ADDRESS:WEIGHT arguments.
			{RpcMethod: "PurchaseLicense", Skip: true},
			{RpcMethod: "RenewLicense", Skip: true},
			{RpcMethod: "UpdateDatasetShares", Skip: true},
			{
				RpcMethod:      "TransferLicense",
				Use:            "transfer-license [license-id] [recipient]",
				Short:          "Give a transferable licence to another account",
				Example:        "aichaind tx datamarket transfer-license 1 aic1... --from bob",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "license_id"}, {ProtoField: "recipient"}},
			},
			{
				RpcMethod:      "TransferDataset",
				Use:            "transfer-dataset [dataset-id] [new-owner]",
				Short:          "Offer a dataset to another account (not a module account), which takes it with accept-dataset; licences stay valid, shares do not change",
				Example:        "aichaind tx datamarket transfer-dataset 1 aic1... --from alice",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "dataset_id"}, {ProtoField: "new_owner"}},
			},
			{
				RpcMethod: "AcceptDataset",
				Use:       "accept-dataset [dataset-id] [offer-seq]",
				Short:     "Take a dataset offered to you with transfer-dataset: you become its owner",
				Long: "Take a dataset offered to you with transfer-dataset: you become its owner. offer-seq is the offer " +
					"you accept (the dataset's offer_seq, in q datamarket dataset <id>): if the owner withdrew it and offered " +
					"again since, the acceptance is refused, so read the dataset again before you accept.",
				Example:        "aichaind tx datamarket accept-dataset 1 1 --from bob",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "dataset_id"}, {ProtoField: "offer_seq"}},
			},
			{
				RpcMethod:      "CancelDatasetTransfer",
				Use:            "cancel-dataset-transfer [dataset-id]",
				Short:          "Withdraw your pending offer of a dataset",
				Example:        "aichaind tx datamarket cancel-dataset-transfer 1 --from alice",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "dataset_id"}},
			},
			{
				RpcMethod:      "UpdateParams",
				Use:            "update-params-proposal [params]",
				Short:          "Submit a governance proposal to change the datamarket params",
				Example:        `aichaind tx datamarket update-params-proposal '{"market_fee_bps":300,"max_offers":8,"max_name_len":128,"max_description_len":2048,"max_uri_len":512,"max_term_blocks":"10000000","max_expiries_per_block":200}' --from alice --deposit 10000000uaic`,
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
				GovProposal:    true,
			},
		},
	}
}

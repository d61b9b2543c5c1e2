package stakingrewards

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// AutoCLIOptions implements autocli.HasAutoCLIConfig.
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
				Short:     "Show the staking-rewards params (lock tiers, limits)",
				Example:   "aichaind q stakingrewards params",
			},
			{
				RpcMethod:      "Lock",
				Use:            "lock [lock-id]",
				Short:          "Show one lock",
				Example:        "aichaind q stakingrewards lock 1",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "lock_id"}},
			},
			{
				RpcMethod:      "Locks",
				Use:            "locks [owner]",
				Short:          "List an owner's locks",
				Example:        "aichaind q stakingrewards locks aic1... --page-limit 10",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "owner"}},
			},
			{
				RpcMethod:      "PendingRewards",
				Use:            "pending-rewards [owner]",
				Short:          "Show what a claim by the owner would pay now",
				Example:        "aichaind q stakingrewards pending-rewards aic1...",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "owner"}},
			},
			{
				RpcMethod:      "VotingPower",
				Use:            "voting-power [address]",
				Short:          "Show an address's governance power: delegated stake plus lock weight",
				Example:        "aichaind q stakingrewards voting-power aic1...",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "address"}},
			},
			{
				RpcMethod: "Totals",
				Use:       "totals",
				Short:     "Show locked and unlocking totals, total weight and the reward accounting",
				Example:   "aichaind q stakingrewards totals",
			},
		},
	}
}

// txCommands describes the tx commands.
func txCommands() *autocliv1.ServiceCommandDescriptor {
	return &autocliv1.ServiceCommandDescriptor{
		Service: types.Msg_serviceDesc.ServiceName,
		RpcCommandOptions: []*autocliv1.RpcCommandOptions{
			{
				RpcMethod: "Lock",
				Use:       "lock [amount] [duration]",
				Short:     "Lock tokens for one of the params' tiers (a duration such as 168h)",
				Example:   "aichaind tx stakingrewards lock 1000000000uaic 8760h --from alice",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{
					{ProtoField: "amount"}, {ProtoField: "duration"},
				},
			},
			{
				RpcMethod: "ExtendLock",
				Use:       "extend-lock [lock-id] [duration]",
				Short:     "Move a lock to a longer tier",
				Example:   "aichaind tx stakingrewards extend-lock 1 2160h --from alice",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{
					{ProtoField: "lock_id"}, {ProtoField: "duration"},
				},
			},
			{
				RpcMethod:      "BeginUnlock",
				Use:            "begin-unlock [lock-id]",
				Short:          "Start a lock's unlocking period (its weight drops to zero)",
				Example:        "aichaind tx stakingrewards begin-unlock 1 --from alice",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "lock_id"}},
			},
			{
				RpcMethod:      "Withdraw",
				Use:            "withdraw [lock-id]",
				Short:          "Withdraw an unlocked lock's tokens once its duration has passed since begin-unlock",
				Example:        "aichaind tx stakingrewards withdraw 1 --from alice",
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "lock_id"}},
			},
			{
				RpcMethod: "ClaimRewards",
				Use:       "claim-rewards",
				Short:     "Claim the rewards of all your locks",
				Example:   "aichaind tx stakingrewards claim-rewards --from alice",
			},
			{
				RpcMethod: "UpdateParams",
				Use:       "update-params-proposal [params]",
				Short:     "Submit a governance proposal to change the staking-rewards params",
				Long: "Submit a governance proposal to replace the staking-rewards params. The params are JSON; in this " +
					"command a multiplier is written in its 18-decimal integer form (1.25 = \"1250000000000000000\"). " +
					"`aichaind tx gov submit-proposal proposal.json` with a MsgUpdateParams takes the decimal form (\"1.25\"). " +
					"reward_denoms lists the denoms besides lock_denom whose reward-pool coins reach lockers (an IBC voucher's ibc/<hash>); " +
					"the params replace the old ones whole, so a proposal that omits it unlists every such denom.",
				Example:        `aichaind tx stakingrewards update-params-proposal '{"lock_tiers":[{"duration":"604800s","multiplier":"1000000000000000000"},{"duration":"31536000s","multiplier":"2000000000000000000"}],"lock_denom":"uaic","min_lock_amount":"1000000","max_locks_per_owner":100,"max_withdrawals_per_block":100,"min_vote_lock_duration":"1814400s"}' --deposit 10000000uaic --title "Lock tiers" --summary "Two tiers" --from alice`,
				PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "params"}},
				GovProposal:    true,
			},
		},
	}
}

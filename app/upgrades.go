package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	storetypes "cosmossdk.io/store/types"
	upgradetypes "cosmossdk.io/x/upgrade/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
)

// Upgrade is a named software upgrade: the name a gov upgrade plan uses (and
// cosmovisor's upgrades/<name>/ folder), the migrations it runs, and the
// stores it adds or removes.
type Upgrade struct {
	Name string
	// CreateHandler returns the handler that runs at the upgrade height in
	// the new binary; nil runs the module migrations that module version
	// bumps ask for (RunMigrations).
	CreateHandler func(app *App) upgradetypes.UpgradeHandler
	// StoreUpgrades are the stores the upgrade adds, renames or deletes; an
	// added store is mounted by the new binary from the start.
	StoreUpgrades storetypes.StoreUpgrades
}

// Upgrades lists every named upgrade this binary can apply. To add one:
// append an Upgrade here (or from an init in a file of its own), name it in a
// MsgSoftwareUpgrade proposal, and ship the binary under cosmovisor's
// upgrades/<name>/bin. e2e/upgrade_test.go rehearses the whole path with a
// test upgrade (upgrades_rehearsal.go, built only with -tags upgrade_rehearsal).
var Upgrades = []Upgrade{
	// v2-ibc brings IBC to a chain that started without it: core IBC, the
	// 07-tendermint client, ICS-20 transfer and interchain accounts. Their
	// stores are added at the upgrade height and RunMigrations initialises
	// each new module from its default genesis (the interchain accounts
	// host's with ICAHostAllowMessages: icaModule).
	{Name: UpgradeIBC, StoreUpgrades: storetypes.StoreUpgrades{Added: ibcStoreKeys}},
	// v3-verification runs the migrations of the verification and
	// throughput work on a chain already past v2-ibc: x/compute 4→11
	// (verification_fee_per_sample, beacon_window_blocks; validators then
	// register beacon keys with MsgRegisterBeaconKey; the provider index
	// loses its entries of jobs without a winner; the beacon keys are
	// counted; verdict_grace_blocks; each voter's verdict kept, a tally
	// restarted and its window ending no sooner than verification_blocks
	// after the upgrade, for the verdicts to be cast again; each live
	// job given the params in force at the upgrade as the terms it keeps,
	// JobParamTerms, timeout_jail_threshold among them; terms lacking it
	// filled; a verifying job's counted verdicts filed apart from its
	// record), x/modelregistry 1→5 (a name's latest version kept by
	// folded name; each weights file filed as its first model's; each
	// name's look-alike skeleton filed, its first model's; the params'
	// weights_commit_delay_blocks and weights_commit_ttl_blocks at their
	// defaults: new weights are registered only after their creator's
	// commitment), x/datamarket 2→6 (the pairs of dataset and licensee
	// that held a licence; the licences valid now, filed by expiry; each
	// version's content root and sha256 filed as its dataset's; the params'
	// content_commit_delay_blocks and content_commit_ttl_blocks at their
	// defaults: new content is listed only after its owner's commitment) and x/staking-rewards 1→4 (per-owner reward index;
	// reward_denoms, listing x/compute's allowed_denoms and the fee denoms
	// the plan's info names, RewardFeeDenoms; the other denoms distributed
	// leave the reward index and every paid index, what lockers had accrued
	// of them moved to their pending rewards; governance
	// weight only for locks of at least min_vote_lock_duration, 21 days;
	// a max_withdrawals_per_block over 10,000, which version 1 allowed,
	// lowered to it). No store is
	// added. It also brings the
	// queue heads (modkit.Queue): no migration, as each queue stores its
	// head on its first drain after the upgrade; and auctions without a
	// cap (x/compute's param max_bids_per_job, field 4, becomes
	// close_batch_size with the same stored value; a job in REVEAL at the
	// upgrade starts its close's sweep from its first commitment; no
	// migration), and verification fees paid by each validator's share of
	// the set's power, the rest burned (Stats gains verification_fees_burned,
	// empty until the first burn; no migration), and a denom newly listed
	// in x/staking-rewards' reward_denoms earning only from its listing
	// (its backlog to the community pool; no migration), and a fraud slash
	// that takes at once only the bond its other live jobs leave free, the
	// rest owed (x/compute's Provider.slash_owed, field 12, empty until
	// then; no migration: a provider slashed before keeps a lock capped at
	// its bond, whose releases clamp at zero as before, a lock below what
	// its jobs hold that genesis and the invariants accept until they end:
	// types.LegacyCappedLock), and mlp-f32 jobs
	// charged their outputs and kernel calls besides their products
	// (workload.MLPWork; no migration: a job keeps the work it recorded),
	// new mlp-f32 jobs refused on a model registered without its layer
	// widths (its work unknown: its jobs skipped the work bounds; no
	// migration: a job created on one before keeps its recorded work),
	// and dataset and model transfers that their recipient must accept
	// (x/datamarket's Dataset.pending_owner, field 18, and x/modelregistry's
	// Model.pending_owner, field 19, empty until an offer; no migration;
	// MsgAcceptDataset, MsgCancelDatasetTransfer, MsgAcceptOwnership and
	// MsgCancelOwnershipTransfer are new, and an interchain accounts host
	// allow list kept from before lists none of them until governance adds
	// them: an offer to such an account stands until its owner withdraws it),
	// and model availability bonds (x/compute's ModelBonds, prefix 52, empty;
	// Job.model_bond, model_bonder and model_uri, fields 53 to 55, empty on
	// every job from before, which locks none, keeps the old abort rule
	// and fetches its weights from its model's uri alone; no
	// migration; MsgPostModelBond and MsgWithdrawModelBond are new, and the
	// same holds for the allow list: after the upgrade, another account's
	// mlp or gpt job with a paid dataset needs its model owner's bond),
	// and validators' verification sidecar URLs (x/compute's
	// VerifierEndpoints, prefix 53, empty until a validator sends
	// MsgSetVerifierEndpoint; no migration; the message is a validator
	// operator's and is left out of the interchain accounts host allow list),
	// and dataset rows keys (x/datamarket's Dataset.rows_sha256, field 20,
	// DatasetVersion.rows_sha256, field 10, and RowsShas, prefix 23, empty
	// on every dataset from before, which keeps the two file digests' rule
	// until its owner publishes its file again with the key; no migration:
	// MsgListDataset and MsgUpdateDataset now require rows_sha256, and
	// MsgCommitContent rows_commitment and rows_key, so a commitment made
	// before the upgrade lists nothing after it and its owner commits again).
	// First it stores the module
	// accounts no one has asked for yet and restores any that someone turned
	// into an ordinary account (ensureModuleAccounts), and replaces an
	// interchain accounts host allow list of every message ("*") with
	// ICAHostAllowMessages.
	{Name: UpgradeVerification, CreateHandler: verificationUpgradeHandler},
}

// verificationUpgradeHandler restores the module accounts
// (ensureModuleAccounts), restricts the interchain accounts host
// (restrictICAHost), then runs the module migrations.
func verificationUpgradeHandler(app *App) upgradetypes.UpgradeHandler {
	migrate := defaultUpgradeHandler(app)
	return func(ctx context.Context, plan upgradetypes.Plan, fromVM module.VersionMap) (module.VersionMap, error) {
		app.planFeeDenoms = planFeeDenoms(sdk.UnwrapSDKContext(ctx), plan)
		defer func() { app.planFeeDenoms = nil }()
		restored, err := app.ensureModuleAccounts(ctx)
		if err != nil {
			return nil, err
		}
		if len(restored) > 0 {
			sdk.UnwrapSDKContext(ctx).Logger().Info("restored module accounts squatted by ordinary accounts", "upgrade", plan.Name, "accounts", restored)
		}
		if app.restrictICAHost(ctx) {
			sdk.UnwrapSDKContext(ctx).Logger().Info("interchain accounts hosted here now run only the allowed messages", "upgrade", plan.Name, "allowed", len(ICAHostAllowMessages()))
		}
		return migrate(ctx, plan, fromVM)
	}
}

// UpgradeVerification is the name of the upgrade that brings buyer-chosen
// assurance, the sampling beacon and O(1) reward claims to a running chain.
const UpgradeVerification = "v3-verification"

// UpgradeIBC is the name of the upgrade that adds IBC to a running chain.
const UpgradeIBC = "v2-ibc"

// defaultUpgradeHandler runs the module migrations that module version bumps ask for.
func defaultUpgradeHandler(app *App) upgradetypes.UpgradeHandler {
	return func(ctx context.Context, _ upgradetypes.Plan, fromVM module.VersionMap) (module.VersionMap, error) {
		return app.ModuleManager.RunMigrations(ctx, app.configurator, fromVM)
	}
}

// upgradeStoreKeys are the stores that the known upgrades add: the binary
// mounts them whether or not the upgrade has run yet (a store that does not
// exist yet is created by the upgrade's store loader at its height).
func upgradeStoreKeys() []string {
	var out []string
	for _, u := range Upgrades {
		out = append(out, u.StoreUpgrades.Added...)
	}
	return out
}

func (app *App) setUpgradeHandlers() {
	for _, u := range Upgrades {
		create := u.CreateHandler
		if create == nil {
			create = defaultUpgradeHandler
		}
		app.UpgradeKeeper.SetUpgradeHandler(u.Name, create(app))
	}

	upgradeInfo, err := app.UpgradeKeeper.ReadUpgradeInfoFromDisk()
	if err != nil {
		panic(fmt.Errorf("read upgrade info from disk: %w", err))
	}
	if upgradeInfo.Name == "" || app.UpgradeKeeper.IsSkipHeight(upgradeInfo.Height) {
		return
	}
	for _, u := range Upgrades {
		if u.Name == upgradeInfo.Name {
			storeUpgrades := u.StoreUpgrades
			app.SetStoreLoader(upgradetypes.UpgradeStoreLoader(upgradeInfo.Height, &storeUpgrades))
		}
	}
}

// RewardFeeDenoms are the denoms governance chose for fees: x/compute's
// allowed_denoms, which jobs pay their escrow, protocol fee, model and
// dataset fees in, then the denoms the v3-verification plan names (its
// info, planFeeDenoms: a licence's or a model's fee denom, which may be any
// denom). x/staking-rewards' 2→3 migration lists them in reward_denoms and
// drops every other denom version 2 distributed. No record could rank
// denoms instead: the pool is open to gifts, a licence or a model may be
// sold between two accounts of one party, and a failed payout reaches the
// pool in its own denom (TestAttackSelfSoldJunkLicencesDropTheMarketFeeDenom).
func (app *App) RewardFeeDenoms(ctx sdk.Context) ([]string, error) {
	params, err := app.ComputeKeeper.Params.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("x/compute params: %w", err)
	}
	return append(slices.Clone(params.AllowedDenoms), app.planFeeDenoms...), nil
}

// PlanInfo is what the v3-verification upgrade reads from its plan's info, a
// JSON object whose other keys (cosmovisor's "binaries") it ignores:
//
//	{"reward_fee_denoms": ["ibc/…"], "binaries": {…}}
//
// reward_fee_denoms are fee denoms x/staking-rewards keeps distributing
// besides x/compute's allowed_denoms: those a licence or a model is priced
// in (at most 16 listed in all, allowed_denoms first).
type PlanInfo struct {
	RewardFeeDenoms []string `json:"reward_fee_denoms"`
}

// planFeeDenoms are the valid denoms of the plan info's reward_fee_denoms.
// An info that is not such an object (a URL, as cosmovisor also takes)
// names none, and a denom that is not valid is skipped: the proposal passed
// already, and the upgrade must not halt the chain on it. Both are logged.
func planFeeDenoms(ctx sdk.Context, plan upgradetypes.Plan) []string {
	var info PlanInfo
	if err := json.Unmarshal([]byte(plan.Info), &info); err != nil {
		if strings.HasPrefix(strings.TrimSpace(plan.Info), "{") {
			ctx.Logger().Error("upgrade plan info is not JSON: no reward fee denoms read from it", "upgrade", plan.Name, "err", err)
		}
		return nil
	}
	var out []string
	for _, d := range info.RewardFeeDenoms {
		if err := sdk.ValidateDenom(d); err != nil {
			ctx.Logger().Error("upgrade plan names an invalid reward fee denom: skipped", "upgrade", plan.Name, "denom", d, "err", err)
			continue
		}
		out = append(out, d)
	}
	return out
}

package app

import (
	"context"
	"encoding/json"
	"slices"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/x/feegrant"
	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	ica "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts"
	icagenesistypes "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/genesis/types"
	icahosttypes "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/host/types"
	icatypes "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/types"
	ibctransfertypes "github.com/cosmos/ibc-go/v10/modules/apps/transfer/types"
	ibcerrors "github.com/cosmos/ibc-go/v10/modules/core/errors"

	vetypes "github.com/aichain/aichain/app/ve/types"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
	stakingrewardstypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// Interchain accounts hosted here run the messages of ICAHostAllowMessages
// only, where ibc-go's default host params allow every message ("*"). An
// interchain account's messages skip the ante handler and are checked only
// for their signers; a message with no signer (ve's MsgInjectVerdicts, which
// only the proposer's transaction 0 may carry) passes that check, so "*"
// would let any counterparty chain's account run it. Its handler does nothing
// today (the pre-blocker reads transaction 0 itself), but the list keeps it
// so whatever the handler becomes. Left out besides: each module's
// MsgUpdateParams (only governance signs them), MsgRegisterBeaconKey and
// MsgSetVerifierEndpoint (a validator operator's, and no interchain account
// creates a validator), and
// authz MsgExec (it would run, as the account's grantee, messages this list
// does not name; MsgGrant and MsgRevoke are in, for a controller to give a
// hot key of its own rights on this chain).
func ICAHostAllowMessages() []string {
	msgs := []sdk.Msg{
		// The SDK: payments, stake, governance, fee grants and authz grants.
		&banktypes.MsgSend{}, &banktypes.MsgMultiSend{},
		&stakingtypes.MsgDelegate{}, &stakingtypes.MsgUndelegate{}, &stakingtypes.MsgBeginRedelegate{},
		&stakingtypes.MsgCancelUnbondingDelegation{},
		&distrtypes.MsgWithdrawDelegatorReward{}, &distrtypes.MsgSetWithdrawAddress{},
		&distrtypes.MsgFundCommunityPool{}, // rewarded denoms only (distrGuard)
		&govv1.MsgSubmitProposal{}, &govv1.MsgDeposit{}, &govv1.MsgVote{}, &govv1.MsgVoteWeighted{},
		&feegrant.MsgGrantAllowance{}, &feegrant.MsgRevokeAllowance{},
		&authz.MsgGrant{}, &authz.MsgRevoke{},
		&ibctransfertypes.MsgTransfer{},
		// aichain: everything its users sign.
		&computetypes.MsgRegisterProvider{}, &computetypes.MsgUpdateProvider{}, &computetypes.MsgUnbondProvider{},
		&computetypes.MsgCreateJob{}, &computetypes.MsgCancelJob{}, &computetypes.MsgCommitBid{},
		&computetypes.MsgRevealBid{}, &computetypes.MsgSubmitResult{}, &computetypes.MsgDisputeResult{},
		&computetypes.MsgRevealSampleSecret{},
		&computetypes.MsgAbortJob{}, &computetypes.MsgPostModelBond{}, &computetypes.MsgWithdrawModelBond{},
		&datamarkettypes.MsgCommitContent{}, &datamarkettypes.MsgListDataset{}, &datamarkettypes.MsgUpdateDataset{}, &datamarkettypes.MsgDelistDataset{},
		&datamarkettypes.MsgPurchaseLicense{}, &datamarkettypes.MsgRenewLicense{}, &datamarkettypes.MsgTransferLicense{},
		&datamarkettypes.MsgUpdateDatasetShares{}, &datamarkettypes.MsgTransferDataset{},
		&datamarkettypes.MsgAcceptDataset{}, &datamarkettypes.MsgCancelDatasetTransfer{},
		&modelregistrytypes.MsgCommitWeights{}, &modelregistrytypes.MsgRegisterModel{}, &modelregistrytypes.MsgPublishVersion{},
		&modelregistrytypes.MsgUpdateFees{}, &modelregistrytypes.MsgUpdateShares{}, &modelregistrytypes.MsgUpdateUri{},
		&modelregistrytypes.MsgDeprecateModel{}, &modelregistrytypes.MsgTransferOwnership{},
		&modelregistrytypes.MsgAcceptOwnership{}, &modelregistrytypes.MsgCancelOwnershipTransfer{},
		&stakingrewardstypes.MsgLock{}, &stakingrewardstypes.MsgExtendLock{}, &stakingrewardstypes.MsgBeginUnlock{},
		&stakingrewardstypes.MsgWithdraw{}, &stakingrewardstypes.MsgClaimRewards{},
	}
	urls := make([]string, len(msgs))
	for i, m := range msgs {
		urls[i] = sdk.MsgTypeURL(m)
	}
	return urls
}

// icaModule is ibc-go's interchain accounts module with ICAHostAllowMessages
// in its default genesis: in every genesis aichaind writes, and in the
// v2-ibc upgrade, which initialises the module from its default genesis.
type icaModule struct{ ica.AppModule }

// DefaultGenesis is ibc-go's default with the host's allow list.
func (icaModule) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	gen := icagenesistypes.DefaultGenesis()
	gen.HostGenesisState.Params.AllowMessages = ICAHostAllowMessages()
	return cdc.MustMarshalJSON(gen)
}

// icaNeverAllowed are the messages no interchain account hosted here runs,
// whatever list governance sets: the proposer's injection (no signer) and
// authz MsgExec (messages the list does not name). icaHostRouter refuses
// them on every execution; the params are only where ibc-go looks first.
var icaNeverAllowed = []string{sdk.MsgTypeURL(&vetypes.MsgInjectVerdicts{}), sdk.MsgTypeURL(&authz.MsgExec{})}

// icaHostRouter is the message router of the interchain accounts host: the
// app's, with icaNeverAllowed refused. The host's allow list is a param
// governance may set to anything ("*" included), and a list checked only
// when an upgrade ran (restrictICAHost) let a later proposal open the
// injection to every counterparty's accounts again
// (TestAttackICAHostGovernanceListRunsTheInjectionApp); the host runs each
// message through this router, so no params value reaches them.
type icaHostRouter struct{ icatypes.MessageRouter }

func (r icaHostRouter) Handler(msg sdk.Msg) baseapp.MsgServiceHandler {
	if url := sdk.MsgTypeURL(msg); slices.Contains(icaNeverAllowed, url) {
		return func(sdk.Context, sdk.Msg) (*sdk.Result, error) {
			return nil, errorsmod.Wrapf(ibcerrors.ErrUnauthorized, "%s is never run by an interchain account hosted here", url)
		}
	}
	return r.MessageRouter.Handler(msg)
}

// restrictICAHost replaces a host allow list of every message ("*", a chain
// past v2-ibc before this list) with ICAHostAllowMessages, and takes
// icaNeverAllowed out of a list governance chose (the rest of it left as it
// is), adding the commitment a listed publication needs from now on
// (icaCommitFor): an interchain account that could list a dataset or
// register a model could no longer, its commitment refused, until
// governance added it. It reports whether it changed the params.
func (app *App) restrictICAHost(ctx context.Context) bool {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	params := app.ICAHostKeeper.GetParams(sdkCtx)
	allowed := ICAHostAllowMessages()
	if !slices.Contains(params.AllowMessages, icahosttypes.AllowAllHostMsgs) {
		allowed = slices.DeleteFunc(slices.Clone(params.AllowMessages), func(m string) bool { return slices.Contains(icaNeverAllowed, m) })
		for _, c := range icaCommitFor() {
			if !slices.Contains(allowed, c.commit) && slices.ContainsFunc(c.publications, func(m string) bool { return slices.Contains(allowed, m) }) {
				allowed = append(allowed, c.commit)
			}
		}
		if slices.Equal(allowed, params.AllowMessages) {
			return false
		}
	}
	params.AllowMessages = allowed
	app.ICAHostKeeper.SetParams(sdkCtx, params)
	return true
}

// icaCommitFor is each commitment message with the publications that need
// it since v3-verification (a slice: the order it appends them in is the
// same on every node).
func icaCommitFor() []struct {
	commit       string
	publications []string
} {
	return []struct {
		commit       string
		publications []string
	}{
		{sdk.MsgTypeURL(&datamarkettypes.MsgCommitContent{}), []string{sdk.MsgTypeURL(&datamarkettypes.MsgListDataset{}),
			sdk.MsgTypeURL(&datamarkettypes.MsgUpdateDataset{})}},
		{sdk.MsgTypeURL(&modelregistrytypes.MsgCommitWeights{}), []string{sdk.MsgTypeURL(&modelregistrytypes.MsgRegisterModel{}),
			sdk.MsgTypeURL(&modelregistrytypes.MsgPublishVersion{})}},
	}
}

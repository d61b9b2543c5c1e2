package app_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	upgradetypes "cosmossdk.io/x/upgrade/types"
	"github.com/cosmos/gogoproto/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	icagenesistypes "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/genesis/types"
	icahosttypes "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/host/types"
	icatypes "github.com/cosmos/ibc-go/v10/modules/apps/27-interchain-accounts/types"
	clienttypes "github.com/cosmos/ibc-go/v10/modules/core/02-client/types"
	channeltypes "github.com/cosmos/ibc-go/v10/modules/core/04-channel/types"
	ibcerrors "github.com/cosmos/ibc-go/v10/modules/core/errors"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	vetypes "github.com/aichain/aichain/app/ve/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// icaFixture is an interchain account on ta's host, controlled over an open
// ordered channel by a port on a counterparty chain, as the channel
// handshake leaves it (the handshake itself is ibc-go's, run by the e2e
// relayer tests; here only its resulting state is written).
type icaFixture struct {
	ta      *apptesting.TestApp
	account sdk.AccAddress
	port    string
	seq     uint64
}

func newICAFixture(t *testing.T, ta *apptesting.TestApp) *icaFixture {
	t.Helper()
	const conn, channel = "connection-0", "channel-0"
	f := &icaFixture{ta: ta, account: sdk.AccAddress("mallory's ica account"[:20]), port: "icacontroller-mallory"}
	md := icatypes.NewMetadata(icatypes.Version, conn, conn, f.account.String(), icatypes.EncodingProtobuf, icatypes.TxTypeSDKMultiMsg)
	version, err := icatypes.ModuleCdc.MarshalJSON(&md)
	if err != nil {
		t.Fatal(err)
	}
	ta.IBCKeeper.ChannelKeeper.SetChannel(ta.Ctx, icatypes.HostPortID, channel, channeltypes.NewChannel(
		channeltypes.OPEN, channeltypes.ORDERED, channeltypes.NewCounterparty(f.port, channel), []string{conn}, string(version)))
	ta.ICAHostKeeper.SetInterchainAccountAddress(ta.Ctx, conn, f.port, f.account.String())
	ta.ICAHostKeeper.SetActiveChannelID(ta.Ctx, conn, f.port, channel)
	return f
}

// execute delivers one ICS-27 packet carrying msgs to the host, as the
// relayer's MsgRecvPacket would.
func (f *icaFixture) execute(t *testing.T, msgs ...proto.Message) error {
	t.Helper()
	data, err := icatypes.SerializeCosmosTx(f.ta.AppCodec(), msgs, icatypes.EncodingProtobuf)
	if err != nil {
		t.Fatal(err)
	}
	f.seq++
	pd := icatypes.InterchainAccountPacketData{Type: icatypes.EXECUTE_TX, Data: data}
	packet := channeltypes.NewPacket(pd.GetBytes(), f.seq, f.port, "channel-0", icatypes.HostPortID, "channel-0",
		clienttypes.NewHeight(0, uint64(f.ta.Ctx.BlockHeight())+100), 0)
	_, err = f.ta.ICAHostKeeper.OnRecvPacket(f.ta.Ctx, packet)
	return err
}

// TestAttackInterchainAccountRunsTheInjection: an interchain account's
// messages skip the ante handler; ibc-go checks only that the account signs
// each of them, and ve's MsgInjectVerdicts (transaction 0 of a block, put
// there by its proposer) has no signer at all. With ibc-go's default host
// params ("*", every message), mallory's account on any chain with a
// channel to aichain ran it (its handler is a no-op today). The test shows
// it refused even under "*" (icaHostRouter, whatever the params), then the
// default genesis's allow list refusing it (ibc-go's ErrUnauthorized)
// while the account's payments still go through, to the coin, and the
// v3-verification upgrade restricting a chain that still had "*".
func TestAttackInterchainAccountRunsTheInjection(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	alice := ta.Accounts[0]
	ica := newICAFixture(t, ta)
	inject := &vetypes.MsgInjectVerdicts{Height: ta.Ctx.BlockHeight() - 1}

	params := ta.ICAHostKeeper.GetParams(ta.Ctx)
	ta.ICAHostKeeper.SetParams(ta.Ctx, icahosttypes.NewParams(true, []string{icahosttypes.AllowAllHostMsgs}))
	if err := ica.execute(t, inject); !errors.Is(err, ibcerrors.ErrUnauthorized) {
		t.Fatalf("with every message allowed, the injection from an interchain account: %v, want ErrUnauthorized", err)
	}

	ta.ICAHostKeeper.SetParams(ta.Ctx, params) // the default genesis's
	if err := ica.execute(t, inject); !errors.Is(err, ibcerrors.ErrUnauthorized) {
		t.Fatalf("the injection from an interchain account: %v, want ErrUnauthorized", err)
	}
	pay := sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1_000))
	if err := ta.BankKeeper.SendCoins(ta.Ctx, alice.Address, ica.account, pay); err != nil {
		t.Fatal(err)
	}
	aliceBefore := ta.Balance(alice.Address, app.BondDenom)
	if err := ica.execute(t, banktypes.NewMsgSend(ica.account, alice.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 400)))); err != nil {
		t.Fatalf("a payment from the interchain account: %v", err)
	}
	if got := ta.Balance(alice.Address, app.BondDenom); !got.Equal(aliceBefore.AddRaw(400)) {
		t.Fatalf("alice %s → %s, want +400", aliceBefore, got)
	}
	if got := ta.Balance(ica.account, app.BondDenom); got.Int64() != 600 {
		t.Fatalf("the interchain account holds %s, want 600", got)
	}

	// A chain that took v2-ibc with ibc-go's default: the upgrade restricts it.
	ta.ICAHostKeeper.SetParams(ta.Ctx, icahosttypes.NewParams(true, []string{icahosttypes.AllowAllHostMsgs}))
	runVerificationUpgrade(t, ta)
	if got := ta.ICAHostKeeper.GetParams(ta.Ctx).AllowMessages; !slices.Equal(got, app.ICAHostAllowMessages()) {
		t.Fatalf("after %s the host allows %v", app.UpgradeVerification, got)
	}
	if err := ica.execute(t, inject); !errors.Is(err, ibcerrors.ErrUnauthorized) {
		t.Fatalf("the injection after the upgrade: %v, want ErrUnauthorized", err)
	}

	// A list governance chose that names the injection (say, every message
	// registered): the upgrade takes it out and leaves the rest.
	send := sdk.MsgTypeURL(&banktypes.MsgSend{})
	ta.ICAHostKeeper.SetParams(ta.Ctx, icahosttypes.NewParams(true, []string{send, sdk.MsgTypeURL(inject)}))
	runVerificationUpgrade(t, ta)
	if got := ta.ICAHostKeeper.GetParams(ta.Ctx).AllowMessages; !slices.Equal(got, []string{send}) {
		t.Fatalf("a governance list naming the injection, after %s: %v", app.UpgradeVerification, got)
	}

	// A list that lets accounts list datasets and publish model versions:
	// since the upgrade those need a commitment, which the list gains.
	list, publish := sdk.MsgTypeURL(&datamarkettypes.MsgListDataset{}), sdk.MsgTypeURL(&modelregistrytypes.MsgPublishVersion{})
	ta.ICAHostKeeper.SetParams(ta.Ctx, icahosttypes.NewParams(true, []string{send, list, publish}))
	runVerificationUpgrade(t, ta)
	want := []string{send, list, publish, sdk.MsgTypeURL(&datamarkettypes.MsgCommitContent{}), sdk.MsgTypeURL(&modelregistrytypes.MsgCommitWeights{})}
	if got := ta.ICAHostKeeper.GetParams(ta.Ctx).AllowMessages; !slices.Equal(got, want) {
		t.Fatalf("a governance list with publications, after %s: %v, want %v", app.UpgradeVerification, got, want)
	}
}

// TestICAHostAllowListCoversTheUsersMessages: the genesis aichaind writes
// (and the v2-ibc upgrade's, from the same default) has the host allow
// list; every name on it is a message this app routes; and every aichain
// message is on it or left out on purpose, so a new message is decided,
// not forgotten.
func TestICAHostAllowListCoversTheUsersMessages(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	var gen icagenesistypes.GenesisState
	ta.AppCodec().MustUnmarshalJSON(ta.DefaultGenesis()[icatypes.ModuleName], &gen)
	allowed := gen.HostGenesisState.Params.AllowMessages
	if !slices.Equal(allowed, app.ICAHostAllowMessages()) {
		t.Fatalf("default genesis host allow list %v", allowed)
	}
	if got := ta.ICAHostKeeper.GetParams(ta.Ctx).AllowMessages; !slices.Equal(got, allowed) {
		t.Fatalf("a chain from the default genesis allows %v", got)
	}
	for _, url := range allowed {
		if ta.MsgServiceRouter().HandlerByTypeURL(url) == nil {
			t.Errorf("%s is allowed but no handler routes it", url)
		}
	}
	leftOut := map[string]bool{
		"/aichain.ve.v1.MsgInjectVerdicts":           true,
		"/aichain.compute.v1.MsgRegisterBeaconKey":   true,
		"/aichain.compute.v1.MsgSetVerifierEndpoint": true,
		"/aichain.compute.v1.MsgUpdateParams":        true,
		"/aichain.datamarket.v1.MsgUpdateParams":     true,
		"/aichain.modelregistry.v1.MsgUpdateParams":  true,
		"/aichain.stakingrewards.v1.MsgUpdateParams": true,
	}
	seen := 0
	for _, url := range ta.InterfaceRegistry().ListImplementations(sdk.MsgInterfaceProtoName) {
		if !strings.HasPrefix(url, "/aichain.") || strings.HasSuffix(url, "Response") {
			continue
		}
		seen++
		if slices.Contains(allowed, url) == leftOut[url] {
			t.Errorf("%s: allowed %v, left out %v: decide one", url, slices.Contains(allowed, url), leftOut[url])
		}
	}
	if seen < 30 {
		t.Fatalf("only %d aichain messages registered", seen)
	}
}

// runVerificationUpgrade runs the v3-verification upgrade's handler on ta,
// from the module versions fromVM (the current ones if none is given).
func runVerificationUpgrade(t *testing.T, ta *apptesting.TestApp, fromVM ...module.VersionMap) {
	t.Helper()
	runVerificationPlan(t, ta, "", fromVM...)
}

// runVerificationPlan is runVerificationUpgrade with a plan whose info is info.
func runVerificationPlan(t *testing.T, ta *apptesting.TestApp, info string, fromVM ...module.VersionMap) {
	t.Helper()
	from := ta.ModuleManager.GetVersionMap()
	if len(fromVM) > 0 {
		from = fromVM[0]
	}
	for _, u := range app.Upgrades {
		if u.Name == app.UpgradeVerification {
			if _, err := u.CreateHandler(ta.App)(ta.Ctx, upgradetypes.Plan{Name: u.Name, Height: ta.Ctx.BlockHeight(), Info: info}, from); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no %s upgrade", app.UpgradeVerification)
}

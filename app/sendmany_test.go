package app_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/types/common"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestCreateJobPaysInOneTransfer: a job's creation fee and escrow leave the
// requester in one x/bank transfer (modkit.SendMany), and its events say so
// as explorers read them: one coin_spent of the requester for both, and a
// coin_received and a transfer (sender, recipient, amount) for each of the
// reward pool (the fee) and the compute module account (the escrow).
func TestCreateJobPaysInOneTransfer(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	alice := ta.Accounts[0]
	params, err := ta.ComputeKeeper.Params.Get(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := ta.DeliverTx(alice, createMsg(alice.Address.String(), 1))
	if r.Code != 0 {
		t.Fatalf("create job: code %d (%s)", r.Code, r.Log)
	}
	fee, escrow := params.JobCreationFee, sdk.NewInt64Coin(app.BondDenom, jobMaxPrice)
	pool := authtypes.NewModuleAddress(common.RewardPoolName).String()
	compute := authtypes.NewModuleAddress(computetypes.ModuleName).String()
	var spent []string
	transfers := map[string]string{}
	for _, e := range r.Events {
		attrs := map[string]string{}
		for _, a := range e.Attributes {
			attrs[a.Key] = a.Value
		}
		switch {
		case e.Type == banktypes.EventTypeCoinSpent && attrs[banktypes.AttributeKeySpender] == alice.String():
			spent = append(spent, attrs[sdk.AttributeKeyAmount])
		case e.Type == banktypes.EventTypeTransfer && attrs[banktypes.AttributeKeySender] == alice.String():
			transfers[attrs[banktypes.AttributeKeyRecipient]] = attrs[sdk.AttributeKeyAmount]
		}
	}
	if want := sdk.NewCoins(fee).Add(escrow).String(); len(spent) != 1 || spent[0] != want {
		t.Fatalf("alice's coin_spent events %v, want one of %s", spent, want)
	}
	if len(transfers) != 2 || transfers[pool] != fee.String() || transfers[compute] != escrow.String() {
		t.Fatalf("alice's transfers %v, want %s to the reward pool and %s to compute", transfers, fee, escrow)
	}
}

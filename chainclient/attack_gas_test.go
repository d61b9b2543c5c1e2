package chainclient

import (
	"context"
	"errors"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// selfSendVia has a client pointed at n, priced as the provider agent
// prices itself without --gas-prices (NodeGasPrices), send 1 uaic to itself,
// and returns the fee and gas of every tx n received and the send's error.
func selfSendVia(t *testing.T, n *hostileNode) ([]sdk.Coins, []uint64, error) {
	t.Helper()
	return sendVia(t, n, func(self string) sdk.Msg {
		return &banktypes.MsgSend{FromAddress: self, ToAddress: self, Amount: sdk.NewCoins(sdk.NewInt64Coin("uaic", 1))}
	})
}

// sendVia is selfSendVia for the message msg makes of the client's own
// address.
func sendVia(t *testing.T, n *hostileNode, msg func(self string) sdk.Msg) ([]sdk.Coins, []uint64, error) {
	t.Helper()
	addr := serveNode(t, n)
	dir := t.TempDir()
	enc, err := MakeEncodingConfig()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, dir, nil, enc.Codec)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := kr.NewAccount("provider", testMnemonic, "", sdk.FullFundraiserPath, hd.Secp256k1)
	if err != nil {
		t.Fatal(err)
	}
	from, _ := rec.GetAddress()
	c, err := New(Config{GRPCAddr: addr, ChainID: "aichain-test-1", KeyringDir: dir, KeyringBackend: keyring.BackendTest, From: "provider"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := c.NodeGasPrices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.SetGasPrices(p)
	self, _ := sdk.Bech32ifyAddressBytes("aic", from)
	_, sendErr := c.Send(ctx, 0, msg(self))
	n.mu.Lock()
	defer n.mu.Unlock()
	var fees []sdk.Coins
	var gas []uint64
	for _, bz := range n.broadcast {
		tx, err := enc.TxConfig.TxDecoder()(bz)
		if err != nil {
			t.Fatal(err)
		}
		feeTx := tx.(sdk.FeeTx)
		fees, gas = append(fees, feeTx.GetFee()), append(gas, feeTx.GetGas())
	}
	return fees, gas, sendErr
}

// TestAttackNodeInflatesTheGas: the other knob of TestAttackNodeSetsTheFee.
// A node answering a gas price within the agent's max (the max itself) and
// a simulation of 10^12 gas had the agent sign fee = price × 1.5·10^12.
// The gas is now capped at what the tx's messages can use (MsgsGasLimit:
// before, at MaxTxGas, and the fee left over MaxFee was refused), so the
// tx signed pays at most that gas at the max price, within MaxFee.
func TestAttackNodeInflatesTheGas(t *testing.T) {
	n := &hostileNode{gasPrice: DefaultMaxGasPrice, gasUsed: 1_000_000_000_000}
	fees, gas, sendErr := selfSendVia(t, n)
	maxFee, err := sdk.ParseCoinsNormalized(DefaultMaxFee)
	if err != nil {
		t.Fatal(err)
	}
	if sendErr != nil || len(fees) != 1 || gas[0] > MsgsGasLimit(&banktypes.MsgSend{}) || !fees[0].IsAllLTE(maxFee) {
		t.Fatalf("a node simulating %d gas at the max gas price: send err %v, txs broadcast with fees %v and gas %v; "+
			"want one tx of at most %d gas and a fee within %s", n.gasUsed, sendErr, fees, gas, MsgsGasLimit(&banktypes.MsgSend{}), DefaultMaxFee)
	}
}

// A fee over MaxFee is refused before anything is signed, whatever the gas.
func TestFeeOverMaxIsRefused(t *testing.T) {
	c := &Client{}
	var err error
	if c.limits, err = parseFeeLimits(Config{MaxFee: "1000uaic"}); err != nil {
		t.Fatal(err)
	}
	if c.gasPrice, err = sdk.ParseDecCoins(DefaultMaxGasPrice); err != nil {
		t.Fatal(err)
	}
	if fees, err := c.fees(40_000); err != nil || !fees.AmountOf("uaic").Equal(sdkmath.NewInt(1000)) {
		t.Fatalf("40,000 gas at %s: fees %v, err %v; want 1000uaic", DefaultMaxGasPrice, fees, err)
	}
	if fees, err := c.fees(40_001); !errors.Is(err, ErrFeeOverLimit) {
		t.Fatalf("40,001 gas at %s: fees %v, err %v; want ErrFeeOverLimit", DefaultMaxGasPrice, fees, err)
	}
}

// An honest node's price and gas are paid as before: the limits' defaults
// leave room for any node run as the docs say.
func TestHonestNodeFeeIsPaid(t *testing.T) {
	n := &hostileNode{gasPrice: DefaultGasPrice, gasUsed: 200_000}
	fees, gas, sendErr := selfSendVia(t, n)
	if sendErr != nil || len(fees) != 1 {
		t.Fatalf("send err %v, %d txs broadcast", sendErr, len(fees))
	}
	// 200,000 × 1.5 gas at 0.0025uaic.
	if gas[0] != 300_000 || !fees[0].AmountOf("uaic").Equal(sdkmath.NewInt(750)) {
		t.Fatalf("fee %v for gas %d, want 750uaic for 300000", fees[0], gas[0])
	}
}

package chainclient

import (
	"context"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackNodeInflatesEverySubmissionsFee: TestAttackNodeSetsEveryTxFeeJustUnderTheMax
// for the message a provider agent sends for every job it wins. A tx's gas
// is capped at what its messages can use (MsgsGasLimit), and since
// MsgSubmitResult is a ChargedMsg that cap adds GasChargeBound: the verdicts
// of a full check by 100 validators of a 32 KiB job record (14,307,200
// gas), whatever the job and the set. A node that simulates a huge gas at
// the max gas price has every submission, of a gemm job on a 4-validator
// chain sampled at the floor (charged nothing for verdicts), signed with
// 15,507,200 gas: a fee of 387,680 uaic (516× the honest 750), where the
// cap (1,200,000 gas) left it 30,000 before the change; tx after tx,
// every job. The bound on what a lying node takes (at most 100× the honest
// fee, as for any other tx) no longer holds for submissions.
func TestAttackNodeInflatesEverySubmissionsFee(t *testing.T) {
	n := &hostileNode{gasPrice: DefaultMaxGasPrice, gasUsed: 1_000_000_000_000}
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
	_, sendErr := c.Send(ctx, 0, &computetypes.MsgSubmitResult{Provider: self, JobId: 1, OutputRoot: make([]byte, 32), ChunkCount: 4})
	n.mu.Lock()
	defer n.mu.Unlock()
	if sendErr != nil || len(n.broadcast) != 1 {
		t.Fatalf("send err %v, %d txs broadcast", sendErr, len(n.broadcast))
	}
	tx, err := enc.TxConfig.TxDecoder()(n.broadcast[0])
	if err != nil {
		t.Fatal(err)
	}
	feeTx := tx.(sdk.FeeTx)
	honest := sdkmath.NewInt(750) // TestHonestNodeFeeIsPaid: 300,000 gas at 0.0025uaic
	got := feeTx.GetFee().AmountOf("uaic")
	if got.GT(honest.MulRaw(100)) {
		t.Fatalf("a result submission signed with gas %d and fee %suaic (%s× the honest %suaic; the cap before ChargedMsg: %d gas): "+
			"a lying node sets every submission's fee far above what any other tx can be made to pay",
			feeTx.GetGas(), got, got.Quo(honest), honest, txBaseGas+msgGas)
	}
}

package chainclient

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client/grpc/node"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
)

// hostileNode is a node an agent talks to over gRPC that lies in the
// answers the agent prices its txs with: its minimum gas price and the gas
// a simulation used. It records the txs broadcast to it.
type hostileNode struct {
	txtypes.UnimplementedServiceServer
	authtypes.UnimplementedQueryServer

	gasPrice string
	gasUsed  uint64

	mu        sync.Mutex
	broadcast [][]byte
}

// hostileNodeConfig is the node service of hostileNode.
type hostileNodeConfig struct {
	node.UnimplementedServiceServer
	n *hostileNode
}

func (c *hostileNodeConfig) Config(context.Context, *node.ConfigRequest) (*node.ConfigResponse, error) {
	return &node.ConfigResponse{MinimumGasPrice: c.n.gasPrice}, nil
}

func (n *hostileNode) Simulate(context.Context, *txtypes.SimulateRequest) (*txtypes.SimulateResponse, error) {
	return &txtypes.SimulateResponse{GasInfo: &sdk.GasInfo{GasUsed: n.gasUsed}}, nil
}

func (n *hostileNode) BroadcastTx(_ context.Context, req *txtypes.BroadcastTxRequest) (*txtypes.BroadcastTxResponse, error) {
	n.mu.Lock()
	n.broadcast = append(n.broadcast, req.TxBytes)
	n.mu.Unlock()
	return &txtypes.BroadcastTxResponse{TxResponse: &sdk.TxResponse{TxHash: "AB"}}, nil
}

func (n *hostileNode) AccountInfo(_ context.Context, req *authtypes.QueryAccountInfoRequest) (*authtypes.QueryAccountInfoResponse, error) {
	return &authtypes.QueryAccountInfoResponse{Info: &authtypes.BaseAccount{Address: req.Address, AccountNumber: 3, Sequence: 1}}, nil
}

// serveNode serves n on a free 127.0.0.1 port until the test ends.
func serveNode(t *testing.T, n *hostileNode) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	txtypes.RegisterServiceServer(s, n)
	node.RegisterServiceServer(s, &hostileNodeConfig{n: n})
	authtypes.RegisterQueryServer(s, n)
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(s.Stop)
	return ln.Addr().String()
}

// TestAttackNodeSetsTheFee: hostile party: the node an agent
// (the provider agent, started without --gas-prices) is pointed at, e.g. a
// public RPC node run by a validator. The agent takes its gas price from
// the node's Config (NodeGasPrices, cmd/aichain-provider/run.go) and its gas
// from the node's simulation (Simulate × 1.5), and signs fee = price × gas
// with no bound on either: the node names the fee. Here it answers an
// ordinary simulation (200,000 gas, within any block gas limit) and a
// minimum gas price of 10^7 uaic (4·10^9 times the default 0.0025), and
// the agent signs a 1-uaic self-send with a fee of 3·10^12 uaic, 3 million
// AIC, which the node may broadcast (the gas price alone does it; the
// simulated gas is a second knob up to the block gas limit): tuned to the
// account's balance (a query away), the whole balance goes to the fee
// collector (the node's validator takes its share), the provider loses it.
// Correct behaviour: the client bounds what it signs (a maximum fee or gas
// price and gas, configured or derived from the chain's block gas limit),
// and refuses a tx over it.
func TestAttackNodeSetsTheFee(t *testing.T) {
	hostile := &hostileNode{gasPrice: "10000000uaic", gasUsed: 200_000}
	fees, gas, sendErr := selfSendVia(t, hostile)
	if !errors.Is(sendErr, ErrFeeOverLimit) {
		t.Errorf("send at the node's gas price %s: err %v, want ErrFeeOverLimit", hostile.gasPrice, sendErr)
	}
	// A sane bound for a 1-uaic self-send: 1 AIC of fee.
	limit := sdkmath.NewInt(1_000_000)
	for i, fee := range fees {
		if fee.AmountOf("uaic").GT(limit) {
			t.Fatalf("the agent signed and gave the node a 1-uaic self-send with a fee of %s and gas %d "+
				"(node: min gas price %s, simulated gas %d; send err %v): the node sets the fee, unbounded",
				fee, gas[i], hostile.gasPrice, hostile.gasUsed, sendErr)
		}
	}
}

// TestAttackNodeSetsEveryTxFeeJustUnderTheMax: the way around
// TestAttackNodeSetsTheFee's fix. The fix bounds the price (0.25uaic, 100×
// the default) and the fee of one tx (5 AIC), but the node still chooses
// both within them, for every tx: a node answering the max gas price and a
// simulation of 13,333,333 gas (≤ MaxTxGas, so not capped) has a 1-uaic
// self-send signed with a fee of 5,000,000 uaic, 6,667× the 750 uaic the
// same send costs at an honest node (TestHonestNodeFeeIsPaid). An agent
// sends bids, commits, reveals and results every few blocks, so a node
// (remote, or hostile) drains its account 5 AIC a tx with no limit on the
// total, to the fee collector. Correct behaviour: the gas a simulation
// reports is bounded by what the messages can use (or the fee by a
// multiple of the honest one), or the fees spent are capped over a span.
func TestAttackNodeSetsEveryTxFeeJustUnderTheMax(t *testing.T) {
	n := &hostileNode{gasPrice: DefaultMaxGasPrice, gasUsed: 13_333_333}
	fees, gas, sendErr := selfSendVia(t, n)
	if sendErr != nil || len(fees) != 1 {
		t.Fatalf("send err %v, %d txs broadcast", sendErr, len(fees))
	}
	honest := sdkmath.NewInt(750) // TestHonestNodeFeeIsPaid: 300,000 gas at 0.0025uaic
	got := fees[0].AmountOf("uaic")
	if got.GT(honest.MulRaw(100)) {
		t.Fatalf("a 1-uaic self-send signed with gas %d and fee %suaic (%s× the honest %suaic): "+
			"the node still sets each tx's fee, up to the 5 AIC max, tx after tx",
			gas[0], got, got.Quo(honest), honest)
	}
}

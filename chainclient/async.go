package chainclient

import (
	"context"
	"errors"
	"fmt"
	"math"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/client/grpc/node"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
)

// DefaultGasPrice is what `aichaind init` writes as a node's
// minimum-gas-prices: the price an agent pays when its node does not say.
const DefaultGasPrice = "0.0025uaic"

// Errors of an asynchronous send.
var (
	// ErrSimulation is a tx the node refuses to simulate: a message in it
	// would fail. A refusal for the account's sequence is ErrWrongSequence
	// instead (sequence.go).
	ErrSimulation = errors.New("simulation failed")
	// ErrWrongSequence is a tx refused for its account sequence (the SDK's
	// ErrWrongSequence, sdk/32): the error is a *SequenceError.
	ErrWrongSequence = errors.New("wrong account sequence")
	// ErrNoKey is a signing call on a query-only client.
	ErrNoKey = errors.New("chainclient: no signing key (From is empty)")
)

// Sent is a tx accepted into the node's mempool and not yet known to be in
// a block.
type Sent struct {
	Hash     string
	Sequence uint64
	Gas      uint64
}

// NodeGasPrices returns the node's minimum gas prices (its app.toml; the
// node reports a zero price as none), or DefaultGasPrice if the node does
// not answer the query.
func (c *Client) NodeGasPrices(ctx context.Context) (sdk.DecCoins, error) {
	res, err := node.NewServiceClient(c.Conn).Config(ctx, &node.ConfigRequest{})
	if err != nil {
		return sdk.ParseDecCoins(DefaultGasPrice)
	}
	if res.MinimumGasPrice == "" {
		return sdk.DecCoins{}, nil
	}
	p, err := sdk.ParseDecCoins(res.MinimumGasPrice)
	if err != nil {
		return nil, fmt.Errorf("the node's minimum gas price %q: %w", res.MinimumGasPrice, err)
	}
	return p, nil
}

// SetGasPrices sets the price of the client's transactions.
func (c *Client) SetGasPrices(p sdk.DecCoins) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gasPrice = p
}

// GasPrices returns the price of the client's transactions.
func (c *Client) GasPrices() sdk.DecCoins {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gasPrice
}

// Simulate returns the gas msgs use, as the node simulates them with the
// next sequence; ErrSimulation if the node refuses them at the sequence it
// expects, ErrWrongSequence (a *SequenceError) if the sequence is not that
// one (sequence.go): then Resync with that error and simulate again — at
// once when it names the expected sequence (Found), in a later block when
// it does not.
func (c *Client) Simulate(ctx context.Context, msgs ...sdk.Msg) (uint64, error) {
	if c.kr == nil {
		return 0, ErrNoKey
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.haveSeq {
		if err := c.refreshAccount(ctx); err != nil {
			return 0, err
		}
	}
	return c.simulateChecked(ctx, msgs)
}

func (c *Client) factory(seq uint64) tx.Factory {
	return tx.Factory{}.WithChainID(c.cfg.ChainID).WithKeybase(c.kr).WithTxConfig(c.Enc.TxConfig).
		WithAccountNumber(c.accNum).WithSequence(seq).WithSignMode(signing.SignMode_SIGN_MODE_DIRECT)
}

// simulateAt simulates msgs signed with sequence seq.
func (c *Client) simulateAt(ctx context.Context, seq uint64, msgs []sdk.Msg) (uint64, error) {
	sim, err := c.factory(seq).WithGas(0).BuildSimTx(msgs...)
	if err != nil {
		return 0, fmt.Errorf("build simulation tx: %w", err)
	}
	res, err := c.txSvc.Simulate(ctx, &txtypes.SimulateRequest{TxBytes: sim})
	if err != nil {
		// The node not answering, or busy (its simulation queue full:
		// codes.ResourceExhausted, which anyone can cause for free), says
		// nothing of the messages: an error to retry, never a refusal
		// (TestAttackSimulationQueueFullDropsGoodBids).
		switch status.Code(err) {
		case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
			return 0, err
		}
		if ctx.Err() != nil {
			return 0, err
		}
		return 0, fmt.Errorf("%w: %v", ErrSimulation, err)
	}
	return uint64(math.Ceil(float64(res.GasInfo.GasUsed) * c.cfg.GasAdjustment)), nil
}

// Send signs msgs with the next sequence, with the gas simulated (gas > 0:
// that gas, no simulation), and broadcasts them without waiting for a
// block. The sequence advances when the node's mempool accepts the tx. A tx
// refused for its sequence (in simulation or by CheckTx) is sent once more
// at the sequence the node expects, when the canary finds it (sequence.go);
// else it returns ErrWrongSequence.
func (c *Client) Send(ctx context.Context, gas uint64, msgs ...sdk.Msg) (Sent, error) {
	if c.kr == nil {
		return Sent{}, ErrNoKey
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.haveSeq {
		if err := c.refreshAccount(ctx); err != nil {
			return Sent{}, err
		}
	}
	for attempt := 0; ; attempt++ {
		g, err := gas, error(nil)
		if g == 0 {
			g, err = c.simulateChecked(ctx, msgs)
		}
		if err == nil {
			g = c.capGas(ctx, g, msgs) // the node's simulation does not choose the gas alone (fees.go)
			var hash string
			if hash, err = c.signAndBroadcast(ctx, g, msgs); err == nil {
				s := Sent{Hash: hash, Sequence: c.seq, Gas: g}
				c.seq, c.seqChecked = c.seq+1, false
				return s, nil
			}
		}
		if attempt > 0 || !c.realign(ctx, err) {
			return Sent{}, err
		}
	}
}

// ResyncSequence re-reads the account's sequence from the node (after a tx
// left the mempool without being included).
func (c *Client) ResyncSequence(ctx context.Context) error {
	return c.Resync(ctx, nil)
}

func (c *Client) signAndBroadcast(ctx context.Context, gas uint64, msgs []sdk.Msg) (string, error) {
	txf := c.factory(c.seq).WithGas(gas)
	fees, err := c.fees(gas) // within the operator's limits, whatever the node said (fees.go)
	if err != nil {
		return "", err
	}
	if !fees.IsZero() {
		txf = txf.WithFees(fees.String())
	}
	txb, err := txf.BuildUnsignedTx(msgs...)
	if err != nil {
		return "", err
	}
	if err := tx.Sign(ctx, txf, c.cfg.From, txb, true); err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	bz, err := c.Enc.TxConfig.TxEncoder()(txb.GetTx())
	if err != nil {
		return "", err
	}
	res, err := c.txSvc.BroadcastTx(ctx, &txtypes.BroadcastTxRequest{TxBytes: bz, Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC})
	if err != nil {
		return "", fmt.Errorf("broadcast: %w", err)
	}
	r := res.TxResponse
	if r.Code == sdkerrors.ErrWrongSequence.ABCICode() && r.Codespace == sdkerrors.ErrWrongSequence.Codespace() {
		c.seqChecked = false
		return "", &SequenceError{Used: c.seq, Log: r.RawLog, fromCheckTx: true}
	}
	if r.Code != 0 {
		return "", fmt.Errorf("%w: CheckTx %s/%d: %s", ErrTxFailed, r.Codespace, r.Code, r.RawLog)
	}
	return r.TxHash, nil
}

// TxResult returns the result of a tx in a block, or found false if the
// node has not indexed it (yet).
func (c *Client) TxResult(ctx context.Context, hash string) (*sdk.TxResponse, bool, error) {
	res, err := c.txSvc.GetTx(ctx, &txtypes.GetTxRequest{Hash: hash})
	if status.Code(err) == codes.NotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return res.TxResponse, res.TxResponse != nil, nil
}

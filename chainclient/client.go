// Package chainclient is the Go client that aichain's off-chain agents (the
// provider agent, the verifier sidecar) use to talk to a node: gRPC queries,
// and transactions signed with a keyring key and broadcast over gRPC —
// either waited for until they are in a block (Broadcast), or sent with a
// tracked account sequence without waiting (Send), many in flight at once.
package chainclient

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/app/params"
)

// ErrTxFailed is a transaction the chain refused (CheckTx) or that failed in
// its block (DeliverTx); the error says the code and log.
var ErrTxFailed = errors.New("transaction failed")

// Config configures a Client.
type Config struct {
	GRPCAddr       string // node gRPC address, host:port
	ChainID        string // chain-id
	KeyringDir     string // where the keyring lives (a node home)
	KeyringBackend string // test | file | os
	From           string // key name
	GasPrices      string // e.g. "0uaic"; fees = gas × price
	// MaxGasPrices is the highest gas price the client signs, one price per
	// denom it pays fees in (default DefaultMaxGasPrice), and MaxFee the
	// largest fee of one tx (default DefaultMaxFee): over either, a tx is
	// refused with ErrFeeOverLimit (fees.go).
	MaxGasPrices  string
	MaxFee        string
	GasAdjustment float64       // simulated gas × this; default 1.5
	TxTimeout     time.Duration // how long to wait for inclusion; default 30 s
}

// Client is a connection to one node plus one signing key.
type Client struct {
	cfg     Config
	Conn    *grpc.ClientConn
	Enc     params.EncodingConfig
	kr      keyring.Keyring
	addr    sdk.AccAddress
	txSvc   txtypes.ServiceClient
	auth    authtypes.QueryClient
	mu      sync.Mutex // serialises signing: one sequence at a time
	seq     uint64
	accNum  uint64
	haveSeq bool
	// seqChecked: the node's check state took seq (the canary or messages
	// simulated at it) since the last account read, accepted tx or
	// RecheckSequence (sequence.go).
	seqChecked bool
	gasPrice   sdk.DecCoins
	limits     feeLimits
	// blockGas is the block's max_gas (0: none), once blockGasKnown (fees.go).
	blockGas      uint64
	blockGasKnown bool
}

// New connects to the node and opens the keyring; From may be empty for a
// query-only client.
func New(cfg Config) (*Client, error) {
	if cfg.GasAdjustment <= 0 {
		cfg.GasAdjustment = 1.5
	}
	if cfg.TxTimeout <= 0 {
		cfg.TxTimeout = 30 * time.Second
	}
	enc, err := MakeEncodingConfig()
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(cfg.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", cfg.GRPCAddr, err)
	}
	c := &Client{
		cfg: cfg, Conn: conn, Enc: enc,
		txSvc: txtypes.NewServiceClient(conn),
		auth:  authtypes.NewQueryClient(conn),
	}
	if c.limits, err = parseFeeLimits(cfg); err != nil {
		return nil, errors.Join(err, conn.Close())
	}
	if cfg.GasPrices != "" {
		if c.gasPrice, err = sdk.ParseDecCoins(cfg.GasPrices); err != nil {
			return nil, errors.Join(fmt.Errorf("gas prices %q: %w", cfg.GasPrices, err), conn.Close())
		}
		if err := c.CheckGasPrices(c.gasPrice); err != nil {
			return nil, errors.Join(err, conn.Close())
		}
	}
	if cfg.From != "" {
		c.kr, err = keyring.New(sdk.KeyringServiceName(), cfg.KeyringBackend, cfg.KeyringDir, nil, enc.Codec)
		if err != nil {
			return nil, fmt.Errorf("keyring in %s: %w", cfg.KeyringDir, err)
		}
		rec, err := c.kr.Key(cfg.From)
		if err != nil {
			return nil, fmt.Errorf("key %q in %s: %w", cfg.From, cfg.KeyringDir, err)
		}
		if c.addr, err = rec.GetAddress(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.Conn.Close() }

// Address is the signing key's address.
func (c *Client) Address() sdk.AccAddress { return c.addr }

// Keyring is the client's keyring (to sign other payloads with the same key).
func (c *Client) Keyring() keyring.Keyring { return c.kr }

// KeyName is the signing key's name.
func (c *Client) KeyName() string { return c.cfg.From }

func (c *Client) refreshAccount(ctx context.Context) error {
	res, err := c.auth.AccountInfo(ctx, &authtypes.QueryAccountInfoRequest{Address: c.addr.String()})
	if err != nil {
		return fmt.Errorf("account %s: %w", c.addr, err)
	}
	c.accNum, c.seq, c.haveSeq, c.seqChecked = res.Info.AccountNumber, res.Info.Sequence, true, false
	return nil
}

// Broadcast signs msgs with the client's key, broadcasts them, waits until
// the tx is in a block and returns its result. A tx refused by CheckTx or
// failed in its block returns ErrTxFailed with the code and log.
func (c *Client) Broadcast(ctx context.Context, msgs ...sdk.Msg) (*sdk.TxResponse, error) {
	sent, err := c.Send(ctx, 0, msgs...)
	if err != nil {
		return nil, err
	}
	return c.WaitTx(ctx, sent.Hash)
}

// WaitTx waits until the tx with this hash is in a block.
func (c *Client) WaitTx(ctx context.Context, hash string) (*sdk.TxResponse, error) {
	deadline := time.Now().Add(c.cfg.TxTimeout)
	for {
		res, found, err := c.TxResult(ctx, hash)
		if err == nil && found {
			if res.Code != 0 {
				return res, fmt.Errorf("%w: tx %s code %d: %s", ErrTxFailed, hash, res.Code, res.RawLog)
			}
			return res, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("tx %s not in a block after %s", hash, c.cfg.TxTimeout)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

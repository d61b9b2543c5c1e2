// Package chainclient is the Go client that aichain's off-chain agents (the
// provider agent, the verifier sidecar) use to talk to a node: gRPC queries,
// and transactions signed with a keyring key and broadcast over gRPC, each
// waited for until it is in a block.
package chainclient

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/app/params"
)

// ErrTxFailed is a transaction the chain refused (CheckTx) or that failed in
// its block (DeliverTx); the error says the code and log.
var ErrTxFailed = errors.New("transaction failed")

// Config configures a Client.
type Config struct {
	GRPCAddr       string        // node gRPC address, host:port
	ChainID        string        // chain-id
	KeyringDir     string        // where the keyring lives (a node home)
	KeyringBackend string        // test | file | os
	From           string        // key name
	GasPrices      string        // e.g. "0uaic"; fees = gas × price
	GasAdjustment  float64       // simulated gas × this; default 1.5
	TxTimeout      time.Duration // how long to wait for inclusion; default 30 s
}

// Client is a connection to one node plus one signing key.
type Client struct {
	cfg      Config
	Conn     *grpc.ClientConn
	Enc      params.EncodingConfig
	kr       keyring.Keyring
	addr     sdk.AccAddress
	txSvc    txtypes.ServiceClient
	auth     authtypes.QueryClient
	mu       sync.Mutex // serialises signing: one sequence at a time
	seq      uint64
	accNum   uint64
	haveSeq  bool
	gasPrice sdk.DecCoins
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
	if cfg.GasPrices != "" {
		if c.gasPrice, err = sdk.ParseDecCoins(cfg.GasPrices); err != nil {
			return nil, fmt.Errorf("gas prices %q: %w", cfg.GasPrices, err)
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
	c.accNum, c.seq, c.haveSeq = res.Info.AccountNumber, res.Info.Sequence, true
	return nil
}

// Broadcast signs msgs with the client's key, broadcasts them, waits until
// the tx is in a block and returns its result. A tx refused by CheckTx or
// failed in its block returns ErrTxFailed with the code and log. On an
// account-sequence mismatch it re-reads the account and tries once more.
func (c *Client) Broadcast(ctx context.Context, msgs ...sdk.Msg) (*sdk.TxResponse, error) {
	if c.kr == nil {
		return nil, errors.New("chainclient: no signing key (From is empty)")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		if !c.haveSeq || attempt > 0 {
			if err := c.refreshAccount(ctx); err != nil {
				return nil, err
			}
		}
		hash, err := c.signAndSend(ctx, msgs)
		if err != nil {
			lastErr = err
			if strings.Contains(err.Error(), "account sequence mismatch") || strings.Contains(err.Error(), "incorrect account sequence") {
				c.haveSeq = false
				continue
			}
			return nil, err
		}
		c.seq++
		return c.WaitTx(ctx, hash)
	}
	return nil, lastErr
}

func (c *Client) signAndSend(ctx context.Context, msgs []sdk.Msg) (string, error) {
	txf := tx.Factory{}.
		WithChainID(c.cfg.ChainID).
		WithKeybase(c.kr).
		WithTxConfig(c.Enc.TxConfig).
		WithAccountNumber(c.accNum).
		WithSequence(c.seq).
		WithSignMode(signing.SignMode_SIGN_MODE_DIRECT)

	sim, err := txf.WithGas(0).BuildSimTx(msgs...)
	if err != nil {
		return "", fmt.Errorf("build simulation tx: %w", err)
	}
	simRes, err := c.txSvc.Simulate(ctx, &txtypes.SimulateRequest{TxBytes: sim})
	if err != nil {
		return "", fmt.Errorf("%w: simulation: %v", ErrTxFailed, err)
	}
	gas := uint64(math.Ceil(float64(simRes.GasInfo.GasUsed) * c.cfg.GasAdjustment))
	txf = txf.WithGas(gas)
	if !c.gasPrice.IsZero() {
		fees := sdk.NewCoins()
		for _, p := range c.gasPrice {
			amt := p.Amount.MulInt(sdkmath.NewIntFromUint64(gas)).Ceil().TruncateInt()
			fees = fees.Add(sdk.NewCoin(p.Denom, amt))
		}
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
	if res.TxResponse.Code != 0 {
		return "", fmt.Errorf("%w: CheckTx code %d: %s", ErrTxFailed, res.TxResponse.Code, res.TxResponse.RawLog)
	}
	return res.TxResponse.TxHash, nil
}

// WaitTx waits until the tx with this hash is in a block.
func (c *Client) WaitTx(ctx context.Context, hash string) (*sdk.TxResponse, error) {
	deadline := time.Now().Add(c.cfg.TxTimeout)
	for {
		res, err := c.txSvc.GetTx(ctx, &txtypes.GetTxRequest{Hash: hash})
		if err == nil && res.TxResponse != nil {
			if res.TxResponse.Code != 0 {
				return res.TxResponse, fmt.Errorf("%w: tx %s code %d: %s", ErrTxFailed, hash, res.TxResponse.Code, res.TxResponse.RawLog)
			}
			return res.TxResponse, nil
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

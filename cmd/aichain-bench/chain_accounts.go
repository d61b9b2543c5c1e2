package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app/params"
	"github.com/aichain/aichain/chainclient"
)

// account is one of the benchmark's funded accounts: a key derived from its
// index (the same accounts every run), its account number and the sequence
// of the next transaction signed for it.
type account struct {
	priv *secp256k1.PrivKey
	addr sdk.AccAddress
	bech string
	num  uint64
	seq  uint64
}

func newAccounts(n int) []*account { return derivedAccounts("aichain-bench-chain", n) }

// derivedAccounts are n accounts whose keys derive from seed and their
// index.
func derivedAccounts(seed string, n int) []*account {
	out := make([]*account, n)
	for i := range out {
		priv := secp256k1.GenPrivKeyFromSecret([]byte(fmt.Sprintf("%s-%d", seed, i)))
		addr := sdk.AccAddress(priv.PubKey().Address())
		out[i] = &account{priv: priv, addr: addr, bech: addr.String()}
	}
	return out
}

// signer pre-signs transactions offline (SIGN_MODE_DIRECT, no fee: the
// localnet's minimum gas price is zero).
type signer struct {
	chainID string
	enc     params.EncodingConfig
}

// sign signs msgs for a with its next sequence and returns the tx bytes and
// their hash (upper-case hex, as the node reports it).
func (s signer) sign(a *account, gas uint64, msgs ...sdk.Msg) ([]byte, string, error) {
	txb, err := s.unsigned(a, gas, msgs...)
	if err != nil {
		return nil, "", err
	}
	pub := a.priv.PubKey()
	data := authsigning.SignerData{ChainID: s.chainID, AccountNumber: a.num, Sequence: a.seq, PubKey: pub, Address: a.bech}
	sig, err := tx.SignWithPrivKey(context.Background(), signing.SignMode_SIGN_MODE_DIRECT, data, txb, a.priv, s.enc.TxConfig, a.seq)
	if err != nil {
		return nil, "", err
	}
	if err := txb.SetSignatures(sig); err != nil {
		return nil, "", err
	}
	bz, err := s.enc.TxConfig.TxEncoder()(txb.GetTx())
	if err != nil {
		return nil, "", err
	}
	a.seq++
	sum := sha256.Sum256(bz)
	return bz, strings.ToUpper(hex.EncodeToString(sum[:])), nil
}

// unsigned is a tx of msgs from a with its next sequence and an empty
// signature: what sign signs, and what a simulation takes.
func (s signer) unsigned(a *account, gas uint64, msgs ...sdk.Msg) (client.TxBuilder, error) {
	txb := s.enc.TxConfig.NewTxBuilder()
	if err := txb.SetMsgs(msgs...); err != nil {
		return nil, err
	}
	txb.SetGasLimit(gas)
	empty := signing.SignatureV2{PubKey: a.priv.PubKey(), Data: &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT}, Sequence: a.seq}
	return txb, txb.SetSignatures(empty)
}

// fundChunk is the most outputs one funding transaction carries (a block's
// gas and a tx's bytes bound it), in multi-sends of at most fundPerMsg
// outputs: the client caps a tx's gas by its messages (chainclient
// MsgsGasLimit, 1,000,000 a message), and a multi-send uses over 11,000 gas
// an output to a new account (one of 100 outputs ran out of 1,100,000).
const (
	fundChunk  = 1_000
	fundPerMsg = 40
)

// fundMsgs are the multi-sends from `from` that give each of accs `each`:
// one tx's worth (at most fundChunk accounts), fundPerMsg outputs a message.
func fundMsgs(from string, accs []*account, each int64) []sdk.Msg {
	amt := sdk.NewCoins(coin(each))
	var msgs []sdk.Msg
	for start := 0; start < len(accs); start += fundPerMsg {
		part := accs[start:min(start+fundPerMsg, len(accs))]
		out := make([]banktypes.Output, len(part))
		for i, a := range part {
			out[i] = banktypes.Output{Address: a.bech, Coins: amt}
		}
		total := sdk.NewCoins(sdk.NewCoin(denom, math.NewInt(each).MulRaw(int64(len(part)))))
		msgs = append(msgs, &banktypes.MsgMultiSend{Inputs: []banktypes.Input{{Address: from, Coins: total}}, Outputs: out})
	}
	return msgs
}

// fund sends each account funds from the localnet key (alice), fundChunk
// accounts a transaction, waiting for each to be in a block.
func fund(ctx context.Context, alice *chainclient.Client, accs []*account, each int64) error {
	for start := 0; start < len(accs); start += fundChunk {
		chunk := accs[start:min(start+fundChunk, len(accs))]
		if _, err := alice.Broadcast(ctx, fundMsgs(alice.Address().String(), chunk, each)...); err != nil {
			return err
		}
	}
	return nil
}

// refresh reads every account's number and sequence from the node, a few
// accounts at once.
func refresh(ctx context.Context, q authtypes.QueryClient, accs []*account) error {
	const workers = 4
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(accs) && errs[w] == nil; i += workers {
				a := accs[i]
				res, err := q.AccountInfo(ctx, &authtypes.QueryAccountInfoRequest{Address: a.bech})
				if err != nil {
					errs[w] = fmt.Errorf("account %s: %w", a.bech, err)
					break
				}
				a.num, a.seq = res.Info.AccountNumber, res.Info.Sequence
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// signed is one pre-signed transaction.
type signed struct {
	bytes []byte
	hash  string
}

// broadcastOutcome is what the node's CheckTx said of a phase's txs.
type broadcastOutcome struct {
	accepted []string // hashes in the mempool
	rejected int
	firstErr string
	elapsed  time.Duration
}

// broadcast sends every account's txs, in sequence order, from one goroutine
// per account at once, over gRPC (sync mode: each returns after CheckTx).
// An account stops at its first refused tx (the rest would have the wrong
// sequence), and all stop at the deadline or when ctx ends.
func broadcast(ctx context.Context, svc txtypes.ServiceClient, perAccount [][]signed, deadline time.Time) broadcastOutcome {
	var (
		mu  sync.Mutex
		out broadcastOutcome
		wg  sync.WaitGroup
	)
	start := time.Now()
	for _, txs := range perAccount {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k, t := range txs {
				if ctx.Err() != nil || time.Now().After(deadline) {
					return
				}
				res, err := broadcastOne(ctx, svc, t.bytes, deadline)
				mu.Lock()
				if err == nil && res.TxResponse.Code == 0 {
					out.accepted = append(out.accepted, t.hash)
					mu.Unlock()
					continue
				}
				out.rejected += len(txs) - k
				if out.firstErr == "" {
					out.firstErr = errors.Join(err, rejection(res)).Error()
				}
				mu.Unlock()
				return
			}
		}()
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	return out
}

// broadcastOne broadcasts tx (sync), and again every 20 ms while the
// node's mempool is full (as a client that keeps its sequence order must),
// until deadline.
func broadcastOne(ctx context.Context, svc txtypes.ServiceClient, tx []byte, deadline time.Time) (*txtypes.BroadcastTxResponse, error) {
	for {
		res, err := svc.BroadcastTx(ctx, &txtypes.BroadcastTxRequest{TxBytes: tx, Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC})
		if err != nil || !mempoolFull(res) || time.Now().After(deadline) {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// mempoolFull reports whether the node refused a tx because its mempool
// was full (the SDK's code for it, which the gRPC broadcast returns).
func mempoolFull(res *txtypes.BroadcastTxResponse) bool {
	return res != nil && res.TxResponse != nil && res.TxResponse.Codespace == sdkerrors.ErrMempoolIsFull.Codespace() &&
		res.TxResponse.Code == sdkerrors.ErrMempoolIsFull.ABCICode()
}

func rejection(res *txtypes.BroadcastTxResponse) error {
	if res == nil || res.TxResponse == nil {
		return nil
	}
	return fmt.Errorf("CheckTx %s/%d: %s", res.TxResponse.Codespace, res.TxResponse.Code, res.TxResponse.RawLog)
}

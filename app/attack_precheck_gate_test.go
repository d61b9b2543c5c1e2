package app

import (
	"context"
	"errors"
	"math/rand"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/peer"

	sdkmath "cosmossdk.io/math"
	txsigning "cosmossdk.io/x/tx/signing"

	"github.com/cosmos/cosmos-sdk/client"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// fixtureGate is what the memo fixture's CheckTx checks before the
// signatures: height 9, the default max memo characters, no min gas prices.
var fixtureGate = checkTxGate{height: 9, maxMemo: 256}

// paidTx is f.tx with a fee of 1,000uaic for its 100,000 gas.
func (f *memoFixture) paidTx(chainID string, seq uint64, amount int64) sdk.Tx {
	f.t.Helper()
	msg := banktypes.NewMsgSend(f.addr, f.addr, sdk.NewCoins(sdk.NewInt64Coin("uaic", amount)))
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(1)), f.enc.TxConfig, []sdk.Msg{msg},
		sdk.NewCoins(sdk.NewInt64Coin(BondDenom, 1_000)), 100_000, chainID, []uint64{7}, []uint64{seq}, f.priv)
	if err != nil {
		f.t.Fatal(err)
	}
	return tx
}

// TestAttackPrecheckExpiredForgeriesBurnVictimsTries: a (signer, sequence)
// gets precheckTries prechecks because "a forgery at the right sequence is
// verified by CheckTx under the app's lock anyway" (sigprecheck.go). That
// holds only for a forgery that reaches the signature check. Mallory sets
// her forgeries' timeout_height to a past height (or a timeout timestamp
// past, a memo over the limit, a fee under min-gas-prices or in another
// denom), and CheckTx refuses each before any account read or signature
// verification: free for her, no work for the node under the lock. Four
// such broadcasts in Alice's name at her public next sequence must not take
// her prechecks, nor be verified by the precheck for nothing.
func TestAttackPrecheckExpiredForgeriesBurnVictimsTries(t *testing.T) {
	noop := func(c sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return c, nil }
	for _, c := range []struct {
		name  string
		spoil func(client.TxBuilder) // what the forgery says that CheckTx refuses
		check sdk.AnteDecorator
		want  error
	}{
		{"timeout height passed", func(b client.TxBuilder) { b.SetTimeoutHeight(1) }, ante.NewTxTimeoutHeightDecorator(), sdkerrors.ErrTxTimeoutHeight},
		{"timeout timestamp passed", func(b client.TxBuilder) {
			b.SetTimeoutTimestamp(time.Unix(1_700_000_000, 0))
			b.SetTimeoutHeight(0) // the SDK's builder re-encodes the body only when the height is set
		},
			ante.NewTxTimeoutHeightDecorator(), sdkerrors.ErrTxTimeout},
		{"memo over the limit", func(b client.TxBuilder) { b.SetMemo(strings.Repeat("m", 257)) }, nil, sdkerrors.ErrMemoTooLarge},
		{"fee under min gas prices", func(b client.TxBuilder) { b.SetFeeAmount(sdk.NewCoins(sdk.NewInt64Coin(BondDenom, 999))) },
			ante.NewDeductFeeDecorator(nil, nil, nil, nil), sdkerrors.ErrInsufficientFee},
		{"fee in another denom", func(b client.TxBuilder) { b.SetFeeAmount(sdk.NewCoins(sdk.NewInt64Coin("uatom", 1_000_000))) },
			feeDenomDecorator{}, sdkerrors.ErrInvalidCoins},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newMemoFixture(t, 16)
			f.ctx = f.ctx.WithBlockTime(time.Unix(1_800_000_000, 0)).WithMinGasPrices(sdk.NewDecCoins(sdk.NewDecCoinFromDec(BondDenom, sdkmath.LegacyMustNewDecFromStr("0.01"))))
			f.checkTxMode() // Alice's tx at sequence 3 passed CheckTx: her next is 4 (block height 9)
			check := c.check
			if check == nil {
				check = ante.NewValidateMemoDecorator(f.ak)
			}

			built := 0
			f.d.pre.handler = txsigning.NewHandlerMap(countingDirect{built: &built})
			inner := &slowBroadcast{release: make(chan struct{})}
			close(inner.release)
			svc := newLimitedTxService(inner, broadcastSlots, f.d.pre)
			mallory := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.ParseIP("203.0.113.66"), Port: 40000}})
			alice := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.ParseIP("198.51.100.7"), Port: 40000}})

			for i := range precheckTries {
				b, err := f.enc.TxConfig.WrapTxBuilder(f.forged(f.paidTx("memo-1", 4, int64(100+i))))
				if err != nil {
					t.Fatal(err)
				}
				c.spoil(b)
				forgery := b.GetTx()
				// What CheckTx does with it: refused before the accounts or
				// any signature.
				if _, err := check.AnteHandle(f.ctx, forgery, false, noop); !errors.Is(err, c.want) {
					t.Fatalf("forgery %d: CheckTx's decorator says %v, want %v", i, err, c.want)
				}
				if _, err := svc.BroadcastTx(mallory, &txtypes.BroadcastTxRequest{TxBytes: f.bytes(forgery), Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC}); err != nil {
					t.Fatal(err)
				}
			}
			forgeriesVerified := built

			honest := f.paidTx("memo-1", 4, 1)
			if _, err := svc.BroadcastTx(alice, &txtypes.BroadcastTxRequest{TxBytes: f.bytes(honest), Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC}); err != nil {
				t.Fatal(err)
			}
			if !f.inMemo(honest) {
				t.Fatalf("Alice's genuine transaction at her next sequence was not prechecked: %d broadcasts of forgeries "+
					"in her name (%s: each refused by CheckTx before any signature check, no verification under the lock, "+
					"no fee) took all %d of her tries; the precheck verified %d forgeries for nothing",
					precheckTries, c.name, precheckTries, forgeriesVerified)
			}
			if forgeriesVerified != 0 {
				t.Fatalf("the precheck verified %d forgeries CheckTx refuses before its signature check (%s)", forgeriesVerified, c.name)
			}
		})
	}
}

// The precheck checks timeouts against the last block finalized, not only
// the last CheckTx that passed (a quiet node's may be many blocks old), and
// skips every transaction while what CheckTx checks is unknown.
func TestPrecheckGateFollowsBlocks(t *testing.T) {
	f := newMemoFixture(t, 16)
	f.checkTxMode() // height 9
	built := 0
	f.d.pre.handler = txsigning.NewHandlerMap(countingDirect{built: &built})
	f.d.pre.block(12, time.Time{})
	b, err := f.enc.TxConfig.WrapTxBuilder(f.forged(f.tx("memo-1", 4, 2)))
	if err != nil {
		t.Fatal(err)
	}
	b.SetTimeoutHeight(11) // passed at 12, not at 9
	f.d.pre.run(f.bytes(b.GetTx()))
	if built != 0 {
		t.Fatal("a forgery whose timeout height passed with the last block finalized was prechecked")
	}
	honest := f.tx("memo-1", 4, 1)
	f.d.pre.run(f.bytes(honest))
	if !f.inMemo(honest) {
		t.Fatal("the genuine transaction was not prechecked")
	}

	unknown := newSigPrecheck(newSigMemo(16), f.enc.TxConfig.TxDecoder(), f.d.pre.handler)
	unknown.learn("memo-1", checkTxGate{}, []signerState{{addr: string(f.addr), accNum: 7, pk: f.priv.PubKey(), seq: 5}})
	unknown.block(12, time.Time{})
	unknown.run(f.bytes(f.tx("memo-1", 5, 1)))
	if built != 1 || len(unknown.memo.set) != 0 {
		t.Fatal("a transaction was prechecked while the max memo characters CheckTx checks were unknown")
	}
}

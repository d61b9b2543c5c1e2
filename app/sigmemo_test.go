package app

import (
	"context"
	"errors"
	"math/rand"
	"testing"
	"time"

	"cosmossdk.io/core/address"
	"cosmossdk.io/log"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// memoAccounts is an ante.AccountKeeper over a map: the accounts the
// signature checks read.
type memoAccounts struct {
	accs map[string]*authtypes.BaseAccount
}

func (m memoAccounts) GetParams(context.Context) authtypes.Params { return authtypes.DefaultParams() }
func (m memoAccounts) GetAccount(_ context.Context, addr sdk.AccAddress) sdk.AccountI {
	if a, ok := m.accs[string(addr)]; ok {
		c := *a
		return &c
	}
	return nil
}
func (m memoAccounts) SetAccount(_ context.Context, acc sdk.AccountI) {
	m.accs[string(acc.GetAddress())] = acc.(*authtypes.BaseAccount)
}
func (m memoAccounts) GetModuleAddress(string) sdk.AccAddress { return nil }
func (m memoAccounts) AddressCodec() address.Codec {
	return addresscodec.NewBech32Codec(sdk.GetConfig().GetBech32AccountAddrPrefix())
}
func (m memoAccounts) UnorderedTransactionsEnabled() bool                        { return false }
func (m memoAccounts) RemoveExpiredUnorderedNonces(sdk.Context) error            { return nil }
func (m memoAccounts) TryAddUnorderedNonce(sdk.Context, []byte, time.Time) error { return nil }

// memoFixture is one signer (account number 7, sequence 3) and a
// decorator with an empty memo.
type memoFixture struct {
	t    *testing.T
	enc  EncodingConfig
	priv *secp256k1.PrivKey
	addr sdk.AccAddress
	ak   memoAccounts
	d    memoSigVerifyDecorator
	ctx  sdk.Context
}

func newMemoFixture(t *testing.T, size int) *memoFixture {
	enc := MakeEncodingConfig()
	priv := secp256k1.GenPrivKey()
	addr := sdk.AccAddress(priv.PubKey().Address())
	acc := authtypes.NewBaseAccount(addr, priv.PubKey(), 7, 3)
	ak := memoAccounts{accs: map[string]*authtypes.BaseAccount{string(addr): acc}}
	handler := enc.TxConfig.SignModeHandler()
	pre := newSigPrecheck(newSigMemo(size), enc.TxConfig.TxDecoder(), handler)
	f := &memoFixture{t: t, enc: enc, priv: priv, addr: addr, ak: ak,
		d:   memoSigVerifyDecorator{verify: ante.NewSigVerificationDecorator(ak, handler), ak: ak, handler: handler, memo: pre.memo, pre: pre},
		ctx: sdk.NewContext(nil, cmtproto.Header{ChainID: "memo-1", Height: 9}, false, log.NewNopLogger()).WithIsSigverifyTx(true),
	}
	return f
}

// tx is a bank send of amount signed by the fixture's signer for chainID at
// sequence seq.
func (f *memoFixture) tx(chainID string, seq uint64, amount int64) sdk.Tx {
	f.t.Helper()
	msg := banktypes.NewMsgSend(f.addr, f.addr, sdk.NewCoins(sdk.NewInt64Coin("uaic", amount)))
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(1)), f.enc.TxConfig, []sdk.Msg{msg}, nil, 100_000,
		chainID, []uint64{7}, []uint64{seq}, f.priv)
	if err != nil {
		f.t.Fatal(err)
	}
	return tx
}

// forged is a copy of tx with its signature's last byte changed.
func (f *memoFixture) forged(orig sdk.Tx) sdk.Tx {
	f.t.Helper()
	bz, err := f.enc.TxConfig.TxEncoder()(orig)
	if err != nil {
		f.t.Fatal(err)
	}
	tx, err := f.enc.TxConfig.TxDecoder()(bz)
	if err != nil {
		f.t.Fatal(err)
	}
	b, err := f.enc.TxConfig.WrapTxBuilder(tx)
	if err != nil {
		f.t.Fatal(err)
	}
	sigs, err := tx.(authsigning.Tx).GetSignaturesV2()
	if err != nil {
		f.t.Fatal(err)
	}
	d := *sigs[0].Data.(*signing.SingleSignatureData)
	d.Signature = append([]byte(nil), d.Signature...)
	d.Signature[len(d.Signature)-1] ^= 1
	sigs[0].Data = &d
	if err := b.SetSignatures(sigs...); err != nil {
		f.t.Fatal(err)
	}
	return b.GetTx()
}

// check runs the decorator on tx; passed reports whether it went on to the
// next decorator.
func (f *memoFixture) check(tx sdk.Tx) (passed bool, err error) {
	ctx, err := f.d.AnteHandle(f.ctx, tx, false, func(c sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) {
		if !c.IsSigverifyTx() {
			f.t.Error("the next decorator must see signature checks on again")
		}
		passed = true
		return c, nil
	})
	if err == nil {
		learnPassed(ctx, f.d.pre) // the rest of the ante handler passed too
	}
	return passed, err
}

func (f *memoFixture) memoLen() int { return len(f.d.memo.set) }

// A verified signature enters the memo; a forged one is refused and does not.
func TestSigMemoRemembersOnlyVerified(t *testing.T) {
	f := newMemoFixture(t, 16)
	if ok, err := f.check(f.tx("memo-1", 3, 1)); !ok || err != nil {
		t.Fatalf("valid tx: passed %v, %v", ok, err)
	}
	if f.memoLen() != 1 {
		t.Fatalf("memo holds %d, want 1", f.memoLen())
	}
	if ok, err := f.check(f.forged(f.tx("memo-1", 3, 2))); ok || !errors.Is(err, sdkerrors.ErrUnauthorized) {
		t.Fatalf("forged tx: passed %v, %v; want ErrUnauthorized", ok, err)
	}
	if f.memoLen() != 1 {
		t.Fatalf("a refused signature entered the memo (%d entries)", f.memoLen())
	}
}

// An attacker takes a transaction the node has verified and changes its
// signature, or sends the same message signed for another chain: neither
// matches the memo, so both are verified and refused.
func TestAttackSigMemoForgedTwin(t *testing.T) {
	f := newMemoFixture(t, 16)
	valid := f.tx("memo-1", 3, 1)
	if ok, err := f.check(valid); !ok || err != nil {
		t.Fatalf("valid tx: %v %v", ok, err)
	}
	if ok, err := f.check(f.forged(valid)); ok || !errors.Is(err, sdkerrors.ErrUnauthorized) {
		t.Fatalf("forged twin of a remembered tx: passed %v, %v; want ErrUnauthorized", ok, err)
	}
	if ok, err := f.check(f.tx("other-chain-1", 3, 1)); ok || !errors.Is(err, sdkerrors.ErrUnauthorized) {
		t.Fatalf("same tx signed for another chain: passed %v, %v; want ErrUnauthorized", ok, err)
	}
	if ok, err := f.check(valid); !ok || err != nil {
		t.Fatalf("the remembered tx again: %v %v", ok, err)
	}
}

// A remembered transaction replayed after its sequence was used is refused:
// the memo skips only the curve arithmetic, not the sequence check.
func TestAttackSigMemoReplayAfterSequenceUsed(t *testing.T) {
	f := newMemoFixture(t, 16)
	tx := f.tx("memo-1", 3, 1)
	if ok, err := f.check(tx); !ok || err != nil {
		t.Fatalf("valid tx: %v %v", ok, err)
	}
	f.ak.accs[string(f.addr)].Sequence = 4
	if ok, err := f.check(tx); ok || !errors.Is(err, sdkerrors.ErrWrongSequence) {
		t.Fatalf("replay: passed %v, %v; want ErrWrongSequence", ok, err)
	}
}

// What the memo holds is trusted without verification: a key put in by
// hand lets a forged signature through. This is why only the SDK's
// decorator, after it verified a signature, adds to the memo.
func TestSigMemoHitSkipsVerification(t *testing.T) {
	f := newMemoFixture(t, 16)
	forged := f.forged(f.tx("memo-1", 3, 1))
	keys := f.memoKeys(forged)
	if len(keys) != 1 {
		t.Fatalf("keys: %v", keys)
	}
	f.d.memo.addAll(keys)
	if ok, err := f.check(forged); !ok || err != nil {
		t.Fatalf("a remembered key must skip verification: passed %v, %v", ok, err)
	}
}

// Simulation and ReCheckTx go the SDK's way and leave the memo alone.
func TestSigMemoIgnoresSimulateAndRecheck(t *testing.T) {
	f := newMemoFixture(t, 16)
	next := func(c sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return c, nil }
	if _, err := f.d.AnteHandle(f.ctx, f.tx("memo-1", 3, 1), true, next); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.AnteHandle(f.ctx.WithIsReCheckTx(true), f.tx("memo-1", 3, 1), false, next); err != nil {
		t.Fatal(err)
	}
	if f.memoLen() != 0 {
		t.Fatalf("memo holds %d after simulate and recheck", f.memoLen())
	}
}

// The memo is bounded: past its size, the oldest entry leaves first.
func TestSigMemoForgetsOldest(t *testing.T) {
	m := newSigMemo(2)
	a, b, c := sigMemoKey("t", []byte{1}, []byte{2}, []byte{3}), sigMemoKey("t", []byte{1}, []byte{2, 3}, nil), sigMemoKey("t", nil, []byte{1, 2}, []byte{3})
	if a == b || b == c || a == c {
		t.Fatal("keys of different parts must differ")
	}
	m.addAll([][32]byte{a, b})
	m.addAll([][32]byte{c})
	if m.has(a) || !m.has(b) || !m.has(c) || len(m.set) != 2 {
		t.Fatalf("after a, b, c in a memo of 2: %v", m.set)
	}
	none := newSigMemo(0)
	none.addAll([][32]byte{a})
	if none.has(a) {
		t.Fatal("a memo of size 0 remembered a key")
	}
}

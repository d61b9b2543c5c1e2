package keeper_test

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"testing"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// moves records balances of one denom, to assert each one's change to the coin.
type moves struct {
	f      *fixture
	denom  string
	addrs  []sdk.AccAddress
	before []sdkmath.Int
}

func (f *fixture) moves(denom string, addrs ...sdk.AccAddress) moves {
	m := moves{f: f, denom: denom, addrs: addrs}
	for _, a := range addrs {
		m.before = append(m.before, f.ta.Balance(a, denom))
	}
	return m
}

func (m moves) expect(t *testing.T, what string, deltas ...sdkmath.Int) {
	t.Helper()
	for i, a := range m.addrs {
		if got := m.f.ta.Balance(a, m.denom).Sub(m.before[i]); !got.Equal(deltas[i]) {
			t.Fatalf("%s: balance %d (%s) changed by %s, want %s", what, i, a, got, deltas[i])
		}
	}
}

func ints(v ...int64) []sdkmath.Int {
	out := make([]sdkmath.Int, len(v))
	for i, x := range v {
		out[i] = sdkmath.NewInt(x)
	}
	return out
}

// payJob pays a job's model fee as x/compute does at settlement, out of the
// mint module's account (standing in for x/compute's escrow), which first
// receives the fee.
func (f *fixture) payJob(t *testing.T, id uint64, terms common.ModelTerms, rows uint64) {
	t.Helper()
	if err := f.ta.BankKeeper.MintCoins(f.ta.Ctx, minttypes.ModuleName, terms.Fee); err != nil {
		t.Fatal(err)
	}
	if err := f.k.PayModelFee(f.ta.Ctx, id, minttypes.ModuleName, terms.Fee, terms.Shares, rows); err != nil {
		t.Fatalf("pay model %d: %v", id, err)
	}
}

// Alice sells Mallory an old version (v1) of her model name. Mallory tries
// to take the name over: publish its next version (so that requesters who
// run the name's latest version pay Mallory's model), register it in
// another case, and change the latest version's fees, shares, status or
// owner. Each is refused and changes nothing; a job on the latest version
// pays Alice to the coin and Mallory nothing.
func TestAttackOldVersionBuyerHijacksName(t *testing.T) {
	f := setup(t)
	alice, mallory := f.addr(0), f.addr(1)
	v1 := f.register(t, registerMsg(alice, "llama", "1"))
	res, err := f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(alice, "llama", "2")))
	if err != nil {
		t.Fatal(err)
	}
	v2 := res.ModelId
	f.give(t, alice, v1, mallory)
	state := f.snapshot(t)
	_, err = f.srv.PublishVersion(f.ta.Ctx, publishMsg(registerMsg(mallory, "llama", "3")))
	wantErr(t, err, types.ErrNotOwner, "the old version's owner publishes the next version")
	_, err = f.srv.RegisterModel(f.ta.Ctx, registerMsg(mallory, "LLAMA", "3"))
	wantErr(t, err, types.ErrNameTaken, "the name in another case")
	_, err = f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: mallory, ModelId: v2, FeePerJob: coins(1)})
	wantErr(t, err, types.ErrNotOwner, "fees of the latest version")
	_, err = f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: mallory, ModelId: v2, Shares: []common.Share{{Address: mallory, Weight: 1}}})
	wantErr(t, err, types.ErrNotOwner, "shares of the latest version")
	_, err = f.srv.DeprecateModel(f.ta.Ctx, &types.MsgDeprecateModel{Owner: mallory, ModelId: v2})
	wantErr(t, err, types.ErrNotOwner, "deprecating the latest version")
	_, err = f.srv.TransferOwnership(f.ta.Ctx, &types.MsgTransferOwnership{Owner: mallory, ModelId: v2, NewOwner: f.addr(2)})
	wantErr(t, err, types.ErrNotOwner, "giving the latest version away")
	if f.snapshot(t) != state {
		t.Fatal("refused hijack attempts changed state")
	}
	latest, err := f.k.LatestVersion(f.ta.Ctx, "llama")
	if err != nil || latest.Id != v2 || latest.Owner != alice {
		t.Fatalf("latest version of llama: %+v, %v", latest, err)
	}
	terms, err := f.k.ModelTermsForJob(f.ta.Ctx, latest.Id, 1000)
	if err != nil {
		t.Fatal(err)
	}
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	m := f.moves(denom, f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, pool)
	f.payJob(t, latest.Id, terms, 1000)
	// 1000 + 50 per 1k rows = 1050: 52 (5%, floor) to the pool, 998 to Alice.
	m.expect(t, "a job on the latest version", ints(998, 0, 52)...)
}

// Alice registers a model with Bob as an equal revenue share. A requester's
// job takes the model's terms at creation and escrows that fee. Before it
// settles, Alice raises the fee tenfold and makes herself the only share,
// hoping the settlement pays her all of it (and charges more than was
// escrowed). The settlement pays the snapshot: the escrowed 1050, half of
// the rest to Bob, to the coin; the new terms apply to later jobs only.
func TestAttackOwnerCutsShareHolderFromEscrowedJob(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	id := f.register(t, registerMsg(alice, "m", "1", common.Share{Address: alice, Weight: 1}, common.Share{Address: bob, Weight: 1}))
	escrowed, err := f.k.ModelTermsForJob(f.ta.Ctx, id, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: alice, ModelId: id, FeePerJob: coins(10_000), FeePer1kRows: coins(500)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.UpdateShares(f.ta.Ctx, &types.MsgUpdateShares{Owner: alice, ModelId: id, Shares: []common.Share{{Address: alice, Weight: 1}}}); err != nil {
		t.Fatal(err)
	}
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	payer := authtypes.NewModuleAddress(minttypes.ModuleName)
	m := f.moves(denom, f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, pool, payer)
	f.payJob(t, id, escrowed, 1000)
	// 1050: 52 to the pool, 998 split 499 / 499; the payer ends where it began.
	m.expect(t, "the escrowed job", ints(499, 499, 52, 0)...)
	later, err := f.k.ModelTermsForJob(f.ta.Ctx, id, 1000)
	if err != nil || !later.Fee.Equal(coins(10_500)) || len(later.Shares) != 1 {
		t.Fatalf("a later job's terms: %+v, %v", later, err)
	}
}

// noPanic runs f and returns a panic as an error.
func noPanic(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

// An attacker runs a chain of its own and sends aichain, over IBC, a
// voucher of 2^255 units. As model owner it prices its model in it; as
// requester it escrows that fee in a job that an honest provider wins. At
// settlement PayModelFee's platform fee (amount × bps) passed the 256 bits
// of an Int and panicked: x/compute's settlement queue retried the job at
// every block for ever, the provider never paid nor its collateral freed.
// The split no longer overflows (common.FeePart); a fee past
// common.MaxAmountBits, which the sums after it could not hold, is refused: at registration and fee
// update, in a job's terms (a huge per-row fee times the rows too, whose
// rounding up also overflowed), and at payment, as an error that moves
// nothing (x/compute then pays the reward pool instead, and goes on).
func TestAttackHugeFeePanicsSettlement(t *testing.T) {
	f := setup(t)
	alice := f.addr(0)
	const voucher = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
	huge := sdk.NewCoins(sdk.NewCoin(voucher, sdkmath.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 255))))
	id := f.register(t, registerMsg(alice, "m", "1"))
	if err := f.ta.BankKeeper.MintCoins(f.ta.Ctx, minttypes.ModuleName, huge); err != nil {
		t.Fatal(err)
	}
	pool, payer := authtypes.NewModuleAddress(common.RewardPoolName), authtypes.NewModuleAddress(minttypes.ModuleName)
	m := f.moves(voucher, f.ta.Accounts[0].Address, pool, payer)
	state := f.snapshot(t)
	err := noPanic(func() error {
		return f.k.PayModelFee(f.ta.Ctx, id, minttypes.ModuleName, huge, []common.Share{{Address: alice, Weight: 1}}, 1)
	})
	wantErr(t, err, types.ErrFeePayment, "settling a job with a 2^255 fee")
	m.expect(t, "the refused payment", ints(0, 0, 0)...)
	if f.snapshot(t) != state {
		t.Fatal("the refused payment recorded usage")
	}
	r := registerMsg(alice, "huge", "1")
	r.FeePerJob = huge
	_, err = f.srv.RegisterModel(f.ta.Ctx, r)
	wantErr(t, err, types.ErrInvalidFees, "registering a 2^255 fee")
	_, err = f.srv.UpdateFees(f.ta.Ctx, &types.MsgUpdateFees{Owner: alice, ModelId: id, FeePerJob: huge})
	wantErr(t, err, types.ErrInvalidFees, "raising the fee to 2^255")
	// (2^256-1)/(2^64-1) per 1k rows, an amount below the bound, times
	// 2^64-1 rows is 2^256-1 exactly.
	perRow := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	perRow.Quo(perRow, new(big.Int).SetUint64(math.MaxUint64))
	r = registerMsg(alice, "per-row", "1")
	r.FeePerJob, r.FeePer1kRows = nil, sdk.NewCoins(sdk.NewCoin(voucher, sdkmath.NewIntFromBigInt(perRow)))
	perRowID := f.register(t, r)
	err = noPanic(func() error {
		_, err := f.k.ModelTermsForJob(f.ta.Ctx, perRowID, math.MaxUint64)
		return err
	})
	wantErr(t, err, types.ErrInvalidFees, "a job whose per-row fee overflows")
}

// A genesis (a chain restarted from a doctored export) starts the model id
// sequence at 2^64-1 beside Alice's model 1. Mallory registers twice: the
// sequence wrapped past 2^64-1 to 0, and the second registration was given
// id 1 again and overwrote Alice's model, so that jobs naming model 1 paid
// Mallory. Ids never wrap: registrations are refused (ErrIDsExhausted),
// model 1 stays Alice's and a job on it pays her to the coin.
func TestAttackGenesisModelIDWrapOverwritesModel(t *testing.T) {
	f := setup(t)
	alice, mallory := f.addr(0), f.addr(1)
	id := f.register(t, registerMsg(alice, "llama", "1"))
	gs, err := f.k.ExportGenesis(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	gs.NextModelId = math.MaxUint64
	if err := f.k.InitGenesis(f.ta.Ctx, gs); err != nil {
		t.Fatalf("import: %v", err)
	}
	for _, name := range []string{"squat-a", "squat-b"} {
		_, err := f.srv.RegisterModel(f.ta.Ctx, registerMsg(mallory, name, "1"))
		if err != nil && !errors.Is(err, types.ErrIDsExhausted) {
			t.Fatalf("register %s: %v", name, err)
		}
	}
	if m := f.model(t, id); m.Owner != alice || m.Name != "llama" {
		t.Fatalf("model %d after the wrap: owner %s, name %s; want Alice's llama", id, m.Owner, m.Name)
	}
	terms, err := f.k.ModelTermsForJob(f.ta.Ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	m := f.moves(denom, f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, pool)
	f.payJob(t, id, terms, 0)
	m.expect(t, "a job on model 1", ints(950, 0, 50)...)
	_, err = f.srv.RegisterModel(f.ta.Ctx, registerMsg(mallory, "squat-c", "1"))
	wantErr(t, err, types.ErrIDsExhausted, "a registration past the last id")
}

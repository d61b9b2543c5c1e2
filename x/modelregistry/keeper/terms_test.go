package keeper_test

import (
	"errors"
	"math/big"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

func TestModelTermsForJob(t *testing.T) {
	f := setup(t)
	alice := f.addr(0)
	id := f.register(t, registerMsg(alice, "m", "1")) // 1000 per job + 50 per 1k rows
	for _, c := range []struct {
		rows uint64
		want int64
	}{
		{0, 1000},
		{1, 1001},    // ceil(50/1000) = 1
		{999, 1050},  // ceil(49950/1000) = 50
		{1000, 1050}, // exactly 50
		{1001, 1051}, // ceil(50050/1000) = 51
		{1500, 1075},
		{1_000_000, 51_000},
	} {
		terms, err := f.k.ModelTermsForJob(f.ta.Ctx, id, c.rows)
		if err != nil {
			t.Fatal(err)
		}
		if !terms.Fee.Equal(coins(c.want)) {
			t.Errorf("fee for %d rows = %s, want %duaic", c.rows, terms.Fee, c.want)
		}
	}
	_, err := f.k.ModelTermsForJob(f.ta.Ctx, 77, 1)
	wantErr(t, err, types.ErrModelNotFound, "unknown model")

	// Multi-denom fees and a free model.
	fee, err := types.JobFee(sdk.NewCoins(sdk.NewInt64Coin("uaaa", 5)), sdk.NewCoins(sdk.NewInt64Coin(denom, 3), sdk.NewInt64Coin("uaaa", 1)), 2500)
	if err != nil {
		t.Fatal(err)
	}
	if want := sdk.NewCoins(sdk.NewInt64Coin("uaaa", 8), sdk.NewInt64Coin(denom, 8)); !fee.Equal(want) {
		t.Fatalf("multi-denom fee %s, want %s", fee, want)
	}
	if fee, err := types.JobFee(nil, nil, 12345); err != nil || !fee.IsZero() {
		t.Fatalf("free model fee %s %v", fee, err)
	}
	// An absurd per-row fee overflows with an error, not a panic.
	huge := sdk.NewCoins(sdk.NewCoin(denom, math.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 250))))
	if _, err := types.JobFee(nil, huge, 1<<40); !errors.Is(err, types.ErrInvalidFees) {
		t.Fatalf("overflowing fee: %v", err)
	}
}

// TestPayModelFeeRandomShares pays many fees over random share sets out of a
// real module account: the shares' receipts plus the platform fee always sum
// exactly to the fee, the platform fee goes to the reward pool, and usage adds up.
func TestPayModelFeeRandomShares(t *testing.T) {
	f := setup(t)
	alice := f.addr(0)
	id := f.register(t, registerMsg(alice, "m", "1"))
	ctx := f.ta.Ctx
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	from := authtypes.NewModuleAddress(minttypes.ModuleName)
	params, err := f.k.Params.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}

	r := rand.New(rand.NewSource(42))
	var (
		totalRows uint64
		revenue   = sdk.NewCoins()
	)
	const trials = 150
	for trial := 0; trial < trials; trial++ {
		n := 1 + r.Intn(common.MaxShares)
		shares := make([]common.Share, n)
		for i := range shares {
			shares[i] = common.Share{Address: newAddr(), Weight: uint32(1 + r.Intn(1_000_000))}
		}
		fee := coins(1 + r.Int63n(1<<40))
		if trial%3 == 0 { // a second denom too
			fee = fee.Add(sdk.NewInt64Coin("uother", 1+r.Int63n(1000)))
		}
		rows := uint64(r.Int63n(1 << 20))
		if err := f.ta.BankKeeper.MintCoins(ctx, minttypes.ModuleName, fee); err != nil {
			t.Fatal(err)
		}
		poolBefore := f.ta.BankKeeper.GetAllBalances(ctx, pool)
		fromBefore := f.ta.BankKeeper.GetAllBalances(ctx, from)

		if err := f.k.PayModelFee(ctx, id, minttypes.ModuleName, fee, shares, rows); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		totalRows += rows
		revenue = revenue.Add(fee...)

		platform := f.ta.BankKeeper.GetAllBalances(ctx, pool).Sub(poolBefore...)
		if want := common.FeePart(fee, params.PlatformFeeBps); !platform.Equal(want) {
			t.Fatalf("trial %d: reward pool got %s, want %s", trial, platform, want)
		}
		received := sdk.NewCoins()
		for _, s := range shares {
			received = received.Add(f.ta.BankKeeper.GetAllBalances(ctx, sdk.MustAccAddressFromBech32(s.Address))...)
		}
		if got := received.Add(platform...); !got.Equal(fee) {
			t.Fatalf("trial %d: shares %s + platform %s = %s, want the fee %s", trial, received, platform, got, fee)
		}
		if spent := fromBefore.Sub(f.ta.BankKeeper.GetAllBalances(ctx, from)...); !spent.Equal(fee) {
			t.Fatalf("trial %d: paying module spent %s, want %s", trial, spent, fee)
		}
	}
	u := f.model(t, id).Usage
	if u.Jobs != trials || u.Rows != totalRows || !u.Revenue.Equal(revenue) {
		t.Fatalf("usage %+v, want %d jobs, %d rows, revenue %s", u, trials, totalRows, revenue)
	}
	res, err := f.q.Usage(ctx, &types.QueryUsageRequest{ModelId: id})
	if err != nil || res.Usage.Jobs != trials {
		t.Fatalf("usage query: %v %v", res, err)
	}
	if !hasEvent(ctx, "aichain.modelregistry.v1.EventModelFeePaid") {
		t.Fatal("no EventModelFeePaid")
	}
}

// TestPayModelFeeFailures: a payment that cannot be made moves no coin and
// records no usage.
func TestPayModelFeeFailures(t *testing.T) {
	f := setup(t)
	alice, bob := f.addr(0), f.addr(1)
	id := f.register(t, registerMsg(alice, "m", "1"))
	ctx := f.ta.Ctx
	from := authtypes.NewModuleAddress(minttypes.ModuleName)
	if err := f.ta.BankKeeper.MintCoins(ctx, minttypes.ModuleName, coins(100)); err != nil {
		t.Fatal(err)
	}
	shares := []common.Share{{Address: alice, Weight: 1}, {Address: bob, Weight: 1}}
	before := f.snapshot(t)
	balances := func() string {
		return f.ta.BankKeeper.GetAllBalances(ctx, from).String() + "|" +
			f.ta.BankKeeper.GetAllBalances(ctx, authtypes.NewModuleAddress(common.RewardPoolName)).String() + "|" +
			f.ta.Balance(f.ta.Accounts[0].Address, denom).String() + "|" + f.ta.Balance(f.ta.Accounts[1].Address, denom).String()
	}
	balBefore := balances()

	err := f.k.PayModelFee(ctx, id, minttypes.ModuleName, coins(1_000_000), shares, 5)
	wantErr(t, err, types.ErrFeePayment, "insufficient funds in the paying module")
	err = f.k.PayModelFee(ctx, 99, minttypes.ModuleName, coins(10), shares, 5)
	wantErr(t, err, types.ErrModelNotFound, "unknown model")
	err = f.k.PayModelFee(ctx, id, minttypes.ModuleName, coins(10), []common.Share{{Address: alice, Weight: 0}}, 5)
	wantErr(t, err, types.ErrInvalidShares, "zero-weight share")
	err = f.k.PayModelFee(ctx, id, minttypes.ModuleName, sdk.Coins{sdk.Coin{Denom: denom, Amount: math.NewInt(-1)}}, shares, 5)
	wantErr(t, err, types.ErrFeePayment, "negative fee")
	if after := f.snapshot(t); after != before {
		t.Fatal("failed payments changed module state")
	}
	if after := balances(); after != balBefore {
		t.Fatalf("failed payments moved coins: %s -> %s", balBefore, after)
	}

	// A zero fee still records the use.
	if err := f.k.PayModelFee(ctx, id, minttypes.ModuleName, sdk.NewCoins(), nil, 7); err != nil {
		t.Fatal(err)
	}
	if u := f.model(t, id).Usage; u.Jobs != 1 || u.Rows != 7 || !u.Revenue.IsZero() {
		t.Fatalf("usage after a free job: %+v", u)
	}
}

// TestRevenueToModuleAccountRefused: a model owner cannot route its revenue
// into a module account (the staking bonded pool, whose balance must equal
// staking's books, the reward pool, x/compute's escrow, gov) — not at
// registration, not by a share update, not by giving it the model — and a
// share snapshot that names one is refused at payment before any coin
// moves. Balances are checked to the coin.
func TestRevenueToModuleAccountRefused(t *testing.T) {
	f := setup(t)
	alice := f.addr(0)
	ctx := f.ta.Ctx
	bonded := authtypes.NewModuleAddress(stakingtypes.BondedPoolName)
	payer := authtypes.NewModuleAddress(minttypes.ModuleName)
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	attack := []common.Share{{Address: alice, Weight: 1}, {Address: bonded.String(), Weight: 99}}
	if err := f.ta.BankKeeper.MintCoins(ctx, minttypes.ModuleName, coins(10_000)); err != nil {
		t.Fatal(err)
	}
	balances := func() []math.Int {
		var out []math.Int
		for _, a := range []sdk.AccAddress{bonded, payer, pool, f.ta.Accounts[0].Address} {
			out = append(out, f.ta.Balance(a, denom))
		}
		return out
	}
	unchanged := func(what string, before []math.Int) {
		t.Helper()
		for i, b := range balances() {
			if !b.Equal(before[i]) {
				t.Fatalf("%s: balance %d moved: %s -> %s", what, i, before[i], b)
			}
		}
	}

	before, state := balances(), f.snapshot(t)
	id := uint64(0)
	// The bonded pool (blocked by x/bank) and the reward pool (open to gifts,
	// which are fees, but no revenue share's), and any other module account.
	for i, mod := range []sdk.AccAddress{bonded, pool, authtypes.NewModuleAddress("compute"), authtypes.NewModuleAddress("gov")} {
		shares := []common.Share{{Address: alice, Weight: 1}, {Address: mod.String(), Weight: 99}}
		_, err := f.srv.RegisterModel(ctx, registerMsg(alice, "n"+strconv.Itoa(i), "1", shares...))
		wantErr(t, err, types.ErrInvalidShares, "registration with a share to "+mod.String())
		if f.snapshot(t) != state {
			t.Fatal("refused registration changed state")
		}
		unchanged("registration", before)
		if id == 0 {
			id = f.register(t, registerMsg(alice, "m", "1"))
			state = f.snapshot(t)
		}
		_, err = f.srv.UpdateShares(ctx, &types.MsgUpdateShares{Owner: alice, ModelId: id, Shares: shares})
		wantErr(t, err, types.ErrInvalidShares, "share update to "+mod.String())
		_, err = f.srv.TransferOwnership(ctx, &types.MsgTransferOwnership{Owner: alice, ModelId: id, NewOwner: mod.String()})
		wantErr(t, err, types.ErrInvalidOwner, "transfer to "+mod.String())
		if f.snapshot(t) != state {
			t.Fatal("refused share update or transfer changed state")
		}
		unchanged("share update", before)
	}
	_, err := f.srv.UpdateShares(ctx, &types.MsgUpdateShares{Owner: alice, ModelId: id,
		Shares: []common.Share{{Address: alice, Weight: 1}, {Address: strings.ToUpper(alice), Weight: 1}}})
	wantErr(t, err, types.ErrInvalidShares, "one account in two spellings")

	err = f.k.PayModelFee(ctx, id, minttypes.ModuleName, coins(1000), attack, 10)
	wantErr(t, err, types.ErrInvalidShares, "payment to a module-account share")
	if f.snapshot(t) != state {
		t.Fatal("refused payment recorded usage")
	}
	unchanged("payment", before)
	if got := f.ta.Balance(payer, denom); !got.Equal(math.NewInt(10_000)) {
		t.Fatalf("payer holds %s, want 10000", got)
	}
}

// TestFreeModelMetered (item 7): a model with no fee is still metered: its
// use is recorded (one job, the rows) with no coin moving, so a free model's
// usage is as visible as a paid one's.
func TestFreeModelMetered(t *testing.T) {
	f := setup(t)
	alice := f.addr(0)
	ctx := f.ta.Ctx
	r := registerMsg(alice, "free", "1")
	r.FeePerJob, r.FeePer1kRows = nil, nil
	id := f.register(t, r)
	terms, err := f.k.ModelTermsForJob(ctx, id, 500)
	if err != nil || !terms.Fee.IsZero() {
		t.Fatalf("terms of a free model: %+v, %v", terms, err)
	}
	payer := authtypes.NewModuleAddress(minttypes.ModuleName)
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	before := []math.Int{f.ta.Balance(payer, denom), f.ta.Balance(pool, denom), f.ta.Balance(f.ta.Accounts[0].Address, denom)}
	for i := 0; i < 2; i++ {
		if err := f.k.PayModelFee(ctx, id, minttypes.ModuleName, sdk.NewCoins(), terms.Shares, 500); err != nil {
			t.Fatal(err)
		}
	}
	for i, a := range []sdk.AccAddress{payer, pool, f.ta.Accounts[0].Address} {
		if got := f.ta.Balance(a, denom); !got.Equal(before[i]) {
			t.Fatalf("balance %d moved: %s -> %s", i, before[i], got)
		}
	}
	u := f.model(t, id).Usage
	if u.Jobs != 2 || u.Rows != 1000 || !u.Revenue.IsZero() {
		t.Fatalf("usage of a free model: %+v, want 2 jobs, 1000 rows, no revenue", u)
	}
	res, err := f.q.Usage(ctx, &types.QueryUsageRequest{ModelId: id})
	if err != nil || res.Usage.Jobs != 2 {
		t.Fatalf("usage query: %+v, %v", res, err)
	}
}

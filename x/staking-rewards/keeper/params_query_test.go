package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

func TestUpdateParams(t *testing.T) {
	f := setup(t, 1)
	authority := f.k.GetAuthority()
	p := types.DefaultParams()
	p.MinLockAmount = math.NewInt(5)

	_, err := f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: f.ta.Accounts[0].String(), Params: p})
	expectErr(t, err, types.ErrInvalidSigner)
	bad := p
	bad.LockTiers = []types.LockTier{{Duration: year, Multiplier: math.LegacyNewDec(2)}, {Duration: week, Multiplier: math.LegacyOneDec()}}
	_, err = f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: authority, Params: bad})
	expectErr(t, err, types.ErrInvalidParams)
	bad = p
	bad.LockTiers = nil
	_, err = f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: authority, Params: bad})
	expectErr(t, err, types.ErrInvalidParams)
	got, _ := f.k.GetParams(f.ta.Ctx)
	if !got.MinLockAmount.Equal(types.DefaultParams().MinLockAmount) {
		t.Fatal("params changed by a failed update")
	}

	if _, err := f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: authority, Params: p}); err != nil {
		t.Fatal(err)
	}
	got, _ = f.k.GetParams(f.ta.Ctx)
	if !got.MinLockAmount.Equal(math.NewInt(5)) {
		t.Fatalf("min lock amount %s after update", got.MinLockAmount)
	}

	// The lock denom must be the bond denom (lock weight is added to bonded
	// stake in the tally), with locks or without.
	bad = p
	bad.LockDenom = "ufoo"
	_, err = f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: authority, Params: bad})
	expectErr(t, err, types.ErrInvalidParams)
	f.mustLock(f.ta.Accounts[0].Address, 1_000_000, week)
	_, err = f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: authority, Params: bad})
	expectErr(t, err, types.ErrInvalidParams)
	// A genesis with another lock denom is refused too.
	gs := types.DefaultGenesis()
	gs.Params.LockDenom = "ufoo"
	g := setup(t, 1)
	if err := g.k.InitGenesis(g.ta.Ctx, gs); !types.ErrInvalidParams.Is(err) {
		t.Fatalf("a genesis locking ufoo: %v", err)
	}
}

// TestEveryTierWeighsAtLeastOne (item 12): a tier whose multiplier turns a
// minimum lock into weight 0 would let locks exist that earn nothing and
// count nothing (and, for sums over weight, divide by nothing): refused.
func TestEveryTierWeighsAtLeastOne(t *testing.T) {
	p := types.DefaultParams()
	p.MinLockAmount = math.NewInt(1)
	p.LockTiers[0].Multiplier = math.LegacyNewDecWithPrec(5, 1) // 1 × 0.5 → weight 0
	if err := p.Validate(); !types.ErrInvalidParams.Is(err) {
		t.Fatalf("a tier weighing 0: %v", err)
	}
	p.MinLockAmount = math.NewInt(2) // 2 × 0.5 → weight 1
	if err := p.Validate(); err != nil {
		t.Fatalf("every tier weighs at least 1: %v", err)
	}
}

func TestParamsValidate(t *testing.T) {
	if err := types.DefaultParams().Validate(); err != nil {
		t.Fatalf("default params invalid: %v", err)
	}
	mut := []func(p *types.Params){
		func(p *types.Params) { p.LockDenom = "" },
		func(p *types.Params) { p.MinLockAmount = math.ZeroInt() },
		func(p *types.Params) { p.MaxLocksPerOwner = 0 },
		func(p *types.Params) { p.MaxWithdrawalsPerBlock = 0 },
		func(p *types.Params) { p.MaxWithdrawalsPerBlock = types.MaxWithdrawalsPerBlockLimit + 1 },
		func(p *types.Params) { p.LockTiers[0].Multiplier = math.LegacyZeroDec() },
		func(p *types.Params) { p.LockTiers[1].Multiplier = math.LegacyNewDecWithPrec(5, 1) },
		func(p *types.Params) { p.LockTiers[0].Duration = 0 },
		func(p *types.Params) { p.LockTiers[3].Multiplier = math.LegacyNewDec(11) },
	}
	for i, m := range mut {
		p := types.DefaultParams()
		m(&p)
		if err := p.Validate(); !types.ErrInvalidParams.Is(err) {
			t.Errorf("mutation %d: want ErrInvalidParams, got %v", i, err)
		}
	}
	p := types.DefaultParams()
	p.MaxWithdrawalsPerBlock = types.MaxWithdrawalsPerBlockLimit
	if err := p.Validate(); err != nil {
		t.Fatalf("max_withdrawals_per_block at its bound: %v", err)
	}
}

func TestQueries(t *testing.T) {
	f := setup(t, 2)
	alice := f.ta.Accounts[0].Address
	var ids []uint64
	for i := 0; i < 5; i++ {
		ids = append(ids, f.mustLock(alice, 1_000_000, week))
	}
	f.mustLock(f.ta.Accounts[1].Address, 1_000_000, week)

	if _, err := f.q.Lock(f.ta.Ctx, &types.QueryLockRequest{LockId: 77}); err == nil {
		t.Fatal("want NotFound for lock 77")
	}
	if _, err := f.q.Locks(f.ta.Ctx, nil); err == nil {
		t.Fatal("want an error for a nil request")
	}
	if _, err := f.q.Locks(f.ta.Ctx, &types.QueryLocksRequest{Owner: "bad"}); err == nil {
		t.Fatal("want an error for a bad owner")
	}
	var got []uint64
	var key []byte
	for page := 0; ; page++ {
		res, err := f.q.Locks(f.ta.Ctx, &types.QueryLocksRequest{Owner: alice.String(), Pagination: pageReq(key, 2)})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range res.Locks {
			got = append(got, l.Id)
		}
		key = res.Pagination.NextKey
		if key == nil {
			break
		}
		if page > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(got) != len(ids) {
		t.Fatalf("paginated locks %v, want %v", got, ids)
	}
	for i := range ids {
		if got[i] != ids[i] {
			t.Fatalf("paginated locks %v, want %v", got, ids)
		}
	}
	tot, err := f.q.Totals(f.ta.Ctx, &types.QueryTotalsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if tot.Totals.LockCount != 6 || !tot.Totals.Weight.Equal(math.NewInt(6_000_000)) || !tot.BondedTokens.IsPositive() {
		t.Fatalf("totals %+v", tot)
	}
	// Week locks earn rewards but do not vote (min_vote_lock_duration, 21 days).
	vp, err := f.q.VotingPower(f.ta.Ctx, &types.QueryVotingPowerRequest{Address: alice.String()})
	if err != nil {
		t.Fatal(err)
	}
	if !vp.LockWeight.IsZero() || !vp.Total.IsZero() || !tot.Totals.VoteWeight.IsZero() {
		t.Fatalf("voting power %+v, total vote weight %s: week locks vote", vp, tot.Totals.VoteWeight)
	}
	// Extended to a year, one of them votes with its new weight (×2).
	if err := f.extend(alice, ids[0], year); err != nil {
		t.Fatal(err)
	}
	f.checkInvariants()
	vp, err = f.q.VotingPower(f.ta.Ctx, &types.QueryVotingPowerRequest{Address: alice.String()})
	if err != nil {
		t.Fatal(err)
	}
	if !vp.LockWeight.Equal(math.NewInt(2_000_000)) || !vp.Total.Equal(math.LegacyNewDec(2_000_000)) {
		t.Fatalf("voting power after the extension %+v", vp)
	}
	if p, err := f.q.Params(f.ta.Ctx, &types.QueryParamsRequest{}); err != nil || len(p.Params.LockTiers) != 4 {
		t.Fatalf("params %v %v", p, err)
	}
}

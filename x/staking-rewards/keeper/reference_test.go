package keeper_test

import (
	"errors"
	"math/big"
	"math/rand"
	"sort"
	"testing"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// refModel is a brute-force reference of the reward rules with exact
// rationals: at every sync point (each block's end, and before every lock,
// extend, begin-unlock and claim) the pool's undistributed coins are split
// over the locks in proportion to their weights (with no weight they wait,
// and a lock that ends the no-weight period first sends their whole coins to
// the community pool); a claim pays the floor of the owner's entitlement and
// returns its fraction to the undistributed coins.
type refModel struct {
	weights       map[uint64]*big.Int // lock id -> weight (0 when unlocking)
	owners        map[uint64]string
	entitled      map[string]map[string]*big.Rat // owner -> denom -> amount
	undistributed map[string]*big.Rat
	community     map[string]*big.Int // sent to the community pool
}

func newRef() *refModel {
	return &refModel{
		weights: map[uint64]*big.Int{}, owners: map[uint64]string{},
		entitled: map[string]map[string]*big.Rat{}, undistributed: map[string]*big.Rat{},
		community: map[string]*big.Int{},
	}
}

func (r *refModel) sync() {
	total := new(big.Int)
	for _, w := range r.weights {
		total.Add(total, w)
	}
	if total.Sign() == 0 {
		return
	}
	ids := make([]uint64, 0, len(r.weights))
	for id := range r.weights {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for denom, amt := range r.undistributed {
		if amt.Sign() == 0 {
			continue
		}
		for _, id := range ids {
			share := new(big.Rat).Mul(amt, new(big.Rat).SetFrac(r.weights[id], total))
			r.add(r.owners[id], denom, share)
		}
		r.undistributed[denom] = new(big.Rat)
	}
}

// beforeLock is a lock's sync: with no weight, the undistributed whole coins
// go to the community pool.
func (r *refModel) beforeLock() {
	r.sync()
	for _, w := range r.weights {
		if w.Sign() > 0 {
			return
		}
	}
	for denom, amt := range r.undistributed {
		whole := new(big.Int).Quo(amt.Num(), amt.Denom())
		if r.community[denom] == nil {
			r.community[denom] = new(big.Int)
		}
		r.community[denom].Add(r.community[denom], whole)
		amt.Sub(amt, new(big.Rat).SetInt(whole))
	}
}

func (r *refModel) add(owner, denom string, x *big.Rat) {
	m := r.entitled[owner]
	if m == nil {
		m = map[string]*big.Rat{}
		r.entitled[owner] = m
	}
	if m[denom] == nil {
		m[denom] = new(big.Rat)
	}
	m[denom].Add(m[denom], x)
}

func (r *refModel) deposit(c sdk.Coin) {
	if r.undistributed[c.Denom] == nil {
		r.undistributed[c.Denom] = new(big.Rat)
	}
	r.undistributed[c.Denom].Add(r.undistributed[c.Denom], new(big.Rat).SetInt(c.Amount.BigInt()))
}

// claimable is floor(entitled) per denom, after a sync.
func (r *refModel) claimable(owner string) map[string]*big.Int {
	out := map[string]*big.Int{}
	for denom, x := range r.entitled[owner] {
		out[denom] = new(big.Int).Quo(x.Num(), x.Denom())
	}
	return out
}

func (r *refModel) claim(owner string) {
	for denom, x := range r.entitled[owner] {
		floor := new(big.Rat).SetInt(new(big.Int).Quo(x.Num(), x.Denom()))
		frac := new(big.Rat).Sub(x, floor)
		if r.undistributed[denom] == nil {
			r.undistributed[denom] = new(big.Rat)
		}
		r.undistributed[denom].Add(r.undistributed[denom], frac)
	}
	delete(r.entitled, owner)
}

// TestRewardsAgainstReference drives random sequences of locks, extensions,
// unlocks, fee deposits in two denoms, claims and blocks, and compares every
// payout and pending-rewards query with the reference (to within 1 unit, the
// effect of the index's 18-decimal truncation on where a boundary falls),
// checking the invariants after every step and conservation at the end.
func TestRewardsAgainstReference(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		t.Run("seed", func(t *testing.T) { runReference(t, seed, 150) })
	}
}

func runReference(t *testing.T, seed int64, steps int) {
	f := setup(t, 5)
	f.listRewardDenoms("ufoo")
	rng := rand.New(rand.NewSource(seed))
	ref := newRef()
	owners := []sdk.AccAddress{f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address, f.ta.Accounts[3].Address}
	payer := f.ta.Accounts[4].Address
	params, _ := f.k.GetParams(f.ta.Ctx)
	tiers := params.LockTiers
	deposited := map[string]math.Int{"uaic": math.ZeroInt(), "ufoo": math.ZeroInt()}
	paidTotal := map[string]math.Int{"uaic": math.ZeroInt(), "ufoo": math.ZeroInt()}
	maxDiff := int64(0)

	compare := func(owner sdk.AccAddress, got sdk.Coins, what string) {
		t.Helper()
		want := ref.claimable(owner.String())
		for _, denom := range []string{"uaic", "ufoo"} {
			w := want[denom]
			if w == nil {
				w = new(big.Int)
			}
			d := new(big.Int).Sub(got.AmountOf(denom).BigInt(), w)
			if d.CmpAbs(big.NewInt(1)) > 0 {
				t.Fatalf("seed %d %s of %s: got %s%s, reference %s", seed, what, owner, got.AmountOf(denom), denom, w)
			}
			if a := d.Int64(); a > maxDiff || -a > maxDiff {
				if a < 0 {
					a = -a
				}
				maxDiff = a
			}
		}
	}

	for step := 0; step < steps; step++ {
		owner := owners[rng.Intn(len(owners))]
		switch op := rng.Intn(10); {
		case op < 2: // lock
			amount := int64(1_000_000 + rng.Intn(50_000_000))
			tier := tiers[rng.Intn(len(tiers))]
			id, err := f.lock(owner, amount, tier.Duration)
			if err != nil {
				if errors.Is(err, types.ErrTooManyLocks) {
					continue
				}
				t.Fatal(err)
			}
			ref.beforeLock()
			ref.weights[id] = mustLockWeight(t, math.NewInt(amount), tier.Multiplier).BigInt()
			ref.owners[id] = owner.String()
		case op < 3: // extend or begin unlock one of the owner's locked locks
			var locked []types.Lock
			_ = f.k.Locks.Walk(f.ta.Ctx, nil, func(_ uint64, l types.Lock) (bool, error) {
				if l.Owner == owner.String() && !l.IsUnlocking() {
					locked = append(locked, l)
				}
				return false, nil
			})
			if len(locked) == 0 {
				continue
			}
			l := locked[rng.Intn(len(locked))]
			ref.sync()
			if rng.Intn(2) == 0 && l.Duration < tiers[len(tiers)-1].Duration {
				next := tiers[len(tiers)-1]
				if err := f.deliver(func(ctx sdk.Context) error {
					_, err := f.ms.ExtendLock(ctx, &types.MsgExtendLock{Owner: l.Owner, LockId: l.Id, Duration: next.Duration})
					return err
				}); err != nil {
					t.Fatal(err)
				}
				ref.weights[l.Id] = mustLockWeight(t, l.Amount.Amount, next.Multiplier).BigInt()
			} else {
				if err := f.deliver(func(ctx sdk.Context) error {
					_, err := f.ms.BeginUnlock(ctx, &types.MsgBeginUnlock{Owner: l.Owner, LockId: l.Id})
					return err
				}); err != nil {
					t.Fatal(err)
				}
				ref.weights[l.Id] = new(big.Int)
			}
		case op < 6: // fees
			denom := "uaic"
			amt := int64(1 + rng.Intn(5_000_000))
			if rng.Intn(3) == 0 {
				denom, amt = "ufoo", int64(1+rng.Intn(1_000))
			}
			c := sdk.NewInt64Coin(denom, amt)
			if denom == "uaic" {
				f.deposit(payer, sdk.NewCoins(c))
			} else {
				f.mintToPool(sdk.NewCoins(c))
			}
			deposited[denom] = deposited[denom].Add(c.Amount)
			ref.deposit(c)
		case op < 8: // claim (and check the query first)
			ref.sync()
			q, err := f.q.PendingRewards(f.ta.Ctx, &types.QueryPendingRewardsRequest{Owner: owner.String()})
			if err != nil {
				t.Fatal(err)
			}
			compare(owner, q.Rewards, "pending query")
			paid, err := f.claim(owner)
			if err != nil && !errors.Is(err, types.ErrNoRewards) {
				t.Fatal(err)
			}
			compare(owner, paid, "claim")
			if err == nil {
				ref.claim(owner.String())
			}
			for _, c := range paid {
				paidTotal[c.Denom] = paidTotal[c.Denom].Add(c.Amount)
			}
		default: // next block: the EndBlocker syncs
			f.ta.NextBlockAfter(time.Duration(1+rng.Intn(10)) * time.Second)
			ref.sync()
		}
		f.checkInvariants()
	}

	// Conservation: whatever was deposited was paid, went to the community
	// pool while no lock had weight, or is still in the pool.
	pool := f.poolBalance()
	for denom, dep := range deposited {
		community := math.ZeroInt()
		if c := ref.community[denom]; c != nil {
			community = math.NewIntFromBigInt(c)
		}
		if got := paidTotal[denom].Add(community).Add(pool.AmountOf(denom)); !got.Equal(dep) {
			t.Fatalf("seed %d %s: paid %s + community %s + pool %s != deposited %s", seed, denom, paidTotal[denom], community, pool.AmountOf(denom), dep)
		}
	}
	t.Logf("seed %d: max |chain − reference| per payout = %d", seed, maxDiff)
}

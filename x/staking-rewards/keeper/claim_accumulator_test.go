package keeper_test

import (
	"errors"
	"math/rand"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// perLockModel is the version-1 reward accounting, computed outside the
// keeper: a paid index per lock, settled into the owner's pending balance
// when that lock changes, and a claim that pays the truncation of pending +
// Σ over the owner's locks of weight × (index − paid). It reads the keeper's
// reward index after each step (SyncRewards did not change), so that the
// per-owner accumulator's payouts can be compared with it to the coin.
type perLockModel struct {
	weight  map[uint64]math.Int
	owner   map[uint64]string
	paid    map[uint64]sdk.DecCoins
	pending map[string]sdk.DecCoins
}

func newPerLockModel() *perLockModel {
	return &perLockModel{
		weight: map[uint64]math.Int{}, owner: map[uint64]string{},
		paid: map[uint64]sdk.DecCoins{}, pending: map[string]sdk.DecCoins{},
	}
}

func (m *perLockModel) settle(id uint64, index sdk.DecCoins) {
	diff := index.Sub(m.paid[id])
	m.pending[m.owner[id]] = m.pending[m.owner[id]].Add(diff.MulDec(math.LegacyNewDecFromInt(m.weight[id]))...)
	m.paid[id] = index
}

// claim returns what a version-1 claim would pay; pay says to apply it.
func (m *perLockModel) claim(owner string, index sdk.DecCoins, pay bool) sdk.Coins {
	total := m.pending[owner]
	for id, o := range m.owner {
		if o == owner {
			total = total.Add(index.Sub(m.paid[id]).MulDec(math.LegacyNewDecFromInt(m.weight[id]))...)
		}
	}
	coins, _ := total.TruncateDecimal()
	if pay && !coins.IsZero() {
		for id, o := range m.owner {
			if o == owner {
				m.paid[id] = index
			}
		}
		delete(m.pending, owner)
	}
	return coins
}

// TestClaimMatchesPerLockAccounting drives random histories (owners with 1
// to 60 locks, extensions, unlocks, fees in two denoms, blocks) and checks
// every claim pays exactly what the per-lock accounting pays.
func TestClaimMatchesPerLockAccounting(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		t.Run("", func(t *testing.T) { runPerLockComparison(t, seed, 250) })
	}
}

func runPerLockComparison(t *testing.T, seed int64, steps int) {
	f := setup(t, 4)
	f.listRewardDenoms("ufoo")
	rng := rand.New(rand.NewSource(seed))
	owners := []sdk.AccAddress{f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address}
	payer := f.ta.Accounts[3].Address
	params, _ := f.k.GetParams(f.ta.Ctx)
	tiers := params.LockTiers
	m := newPerLockModel()
	index := func() sdk.DecCoins {
		i, err := f.k.GetRewardIndex(f.ta.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	claims := 0
	for step := 0; step < steps; step++ {
		owner := owners[rng.Intn(len(owners))]
		switch op := rng.Intn(10); {
		case op < 4: // lock (an owner gathers many)
			tier := tiers[rng.Intn(len(tiers))]
			amount := math.NewInt(int64(1_000_000 + rng.Intn(9_000_000)))
			id, err := f.lock(owner, amount.Int64(), tier.Duration)
			if errors.Is(err, types.ErrTooManyLocks) {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			m.weight[id], m.owner[id], m.paid[id] = mustLockWeight(t, amount, tier.Multiplier), owner.String(), index()
		case op < 5: // extend or begin unlock
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
			last := tiers[len(tiers)-1]
			err := f.deliver(func(ctx sdk.Context) error {
				if rng.Intn(2) == 0 && l.Duration < last.Duration {
					return f.k.ExtendLock(ctx, owner, l.Id, last.Duration)
				}
				_, err := f.k.BeginUnlock(ctx, owner, l.Id)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			m.settle(l.Id, index())
			got, _ := f.k.GetLock(f.ta.Ctx, l.Id)
			m.weight[l.Id] = got.Weight
		case op < 7: // fees
			f.deposit(payer, sdk.NewCoins(uaic(int64(1+rng.Intn(3_000_000)))))
			if rng.Intn(3) == 0 {
				f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin("ufoo", int64(1+rng.Intn(999)))))
			}
		case op < 9: // claim: the same coins as the per-lock accounting
			paid, err := f.claim(owner)
			if err != nil && !errors.Is(err, types.ErrNoRewards) {
				t.Fatal(err)
			}
			want := m.claim(owner.String(), index(), err == nil)
			if !paid.Equal(want) {
				t.Fatalf("seed %d step %d: claim of %s paid %s, per-lock accounting %s", seed, step, owner, paid, want)
			}
			if err == nil {
				claims++
			}
		default:
			f.ta.NextBlock()
		}
		f.checkInvariants()
	}
	if claims == 0 {
		t.Fatalf("seed %d: no claim paid anything", seed)
	}
}

// TestClaimGasIndependentOfLocks: a claim by an owner with 100 locks uses
// exactly the gas of a claim by an owner with one lock of the same total
// (same weight, same fees, so the same values are read and written).
func TestClaimGasIndependentOfLocks(t *testing.T) {
	gas := func(n int) uint64 {
		f := setup(t, 2)
		owner, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address
		for i := 0; i < n; i++ {
			f.mustLock(owner, int64(100_000_000/n), year)
		}
		f.deposit(payer, sdk.NewCoins(uaic(7_777_777)))
		f.ta.NextBlock()
		f.deposit(payer, sdk.NewCoins(uaic(1_234_567)))
		ctx, _ := f.ta.Ctx.CacheContext()
		ctx = ctx.WithGasMeter(storeGasMeter())
		if _, err := f.ms.ClaimRewards(ctx, &types.MsgClaimRewards{Owner: owner.String()}); err != nil {
			t.Fatal(err)
		}
		return ctx.GasMeter().GasConsumed()
	}
	one, hundred := gas(1), gas(100)
	t.Logf("claim gas: 1 lock %d, 100 locks %d", one, hundred)
	if one != hundred {
		t.Fatalf("claim gas depends on the number of locks: 1 lock %d, 100 locks %d", one, hundred)
	}
}

package keeper_test

import (
	"context"
	"errors"
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"

	"fmt"
	"math/rand"

	"cosmossdk.io/math"
	"github.com/aichain/aichain/app/apptesting"
)

// TestRevenueToModuleAccountRefused: a dataset owner cannot route licence or
// per-job revenue into a module account (the staking bonded pool, whose
// balance must equal staking's books, or the reward pool). Listing with such a share is refused;
// and a dataset that carries one anyway (written before the check existed)
// can neither sell a licence nor be paid a per-job fee. Every refusal is the
// typed ErrInvalidShares and moves no coin, to the coin.
func TestRevenueToModuleAccountRefused(t *testing.T) {
	s := setup(t)
	owner := s.owner.String()
	bonded := authtypes.NewModuleAddress(stakingtypes.BondedPoolName)
	escrow := authtypes.NewModuleAddress(govtypes.ModuleName) // stands in for x/compute's escrow
	attack := []common.Share{{Address: owner, Weight: 1}, {Address: bonded.String(), Weight: 99}}

	// The bonded pool (blocked by x/bank) and the reward pool (open to
	// gifts, which are fees, but no revenue share's): both refused.
	rewardPool := authtypes.NewModuleAddress(common.RewardPoolName)
	for _, mod := range []sdk.AccAddress{bonded, rewardPool} {
		m := listMsg(owner, perpetual(1000, false), perJob(500))
		m.Shares = []common.Share{{Address: owner, Weight: 1}, {Address: mod.String(), Weight: 99}}
		before := s.snap(bonded)
		if _, err := s.ms.ListDataset(s.ta.Ctx, m); !errors.Is(err, types.ErrInvalidShares) {
			t.Fatalf("listing with a share to %s: %v, want ErrInvalidShares", mod, err)
		}
		s.unchanged(before, "refused listing", bonded)
	}

	// A dataset that carries such a share anyway.
	id := s.list(listMsg(owner, perpetual(1000, false), perJob(500)))
	d, err := s.k.GetDataset(s.ta.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	d.Shares = attack
	if err := s.k.Datasets.Set(s.ta.Ctx, id, d); err != nil {
		t.Fatal(err)
	}
	if err := s.ta.BankKeeper.SendCoinsFromAccountToModule(s.ta.Ctx, s.other.Address, govtypes.ModuleName, coins(5000)); err != nil {
		t.Fatal(err)
	}
	before := s.snap(bonded, escrow)
	_, err = s.ms.PurchaseLicense(s.ta.Ctx, &types.MsgPurchaseLicense{Buyer: s.buyer.String(), DatasetId: id, MaxPrice: ample})
	if !errors.Is(err, types.ErrInvalidShares) {
		t.Fatalf("purchase paying a module-account share: %v, want ErrInvalidShares", err)
	}
	s.unchanged(before, "refused purchase", bonded, escrow)
	err = s.k.PayDatasetFee(s.ta.Ctx, id, govtypes.ModuleName, coins(500), attack)
	if !errors.Is(err, types.ErrInvalidShares) {
		t.Fatalf("per-job fee to a module-account share: %v, want ErrInvalidShares", err)
	}
	s.unchanged(before, "refused per-job fee", bonded, escrow)
	if got := s.ta.Balance(escrow, denom); !got.Equal(coins(5000).AmountOf(denom)) {
		t.Fatalf("escrow holds %s, want 5000", got)
	}
}

// TestSplitRoundingConserves buys licences at random prices from datasets
// with random shares: the buyer pays exactly the price, and the pool and the
// shares receive exactly the price between them (no coin lost or created).
func TestSplitRoundingConserves(t *testing.T) {
	s := setup(t)
	r := rand.New(rand.NewSource(42))
	for trial := 0; trial < 25; trial++ {
		n := 1 + r.Intn(6)
		accs := make([]apptesting.Account, n)
		shares := make([]common.Share, n)
		for i := range shares {
			accs[i] = s.ta.NewAccount(coins(1))
			shares[i] = common.Share{Address: accs[i].String(), Weight: uint32(1 + r.Intn(1000))}
		}
		price := 1 + r.Int63n(1_000_003)
		m := listMsg(s.owner.String(), perpetual(price, false))
		m.Sha256 = shaOf(fmt.Sprint("trial", trial))
		m.Shares = shares
		id := s.list(m)
		buyer := s.ta.NewAccount(coins(price))
		before := make([]math.Int, n)
		for i, a := range accs {
			before[i] = s.ta.Balance(a.Address, denom)
		}
		poolBefore := s.ta.Balance(s.pool, denom)
		s.buy(buyer.String(), id, 0)
		if !s.ta.Balance(buyer.Address, denom).IsZero() {
			t.Fatalf("trial %d: buyer kept %s", trial, s.ta.Balance(buyer.Address, denom))
		}
		received := s.ta.Balance(s.pool, denom).Sub(poolBefore)
		if want := common.FeePart(coins(price), types.DefaultMarketFeeBps).AmountOf(denom); !received.Equal(want) {
			t.Fatalf("trial %d: pool got %s, want %s", trial, received, want)
		}
		for i, a := range accs {
			received = received.Add(s.ta.Balance(a.Address, denom).Sub(before[i]))
		}
		if !received.Equal(math.NewInt(price)) {
			t.Fatalf("trial %d: %d shares received %s in all, price %d", trial, n, received, price)
		}
	}
}

// TestPayAllOrNothingRealBank: modkit.Payout.Pay opens no cache context of
// its own (a purchase is its transaction's to undo, a per-job fee its
// caller's cache context's): it relies on x/bank's InputOutputCoins checking
// every recipient before it writes a balance. With a send restriction (as a
// module's hook may add) that refuses the second share's recipient, a
// purchase made directly on the block's context fails, and in that context
// no coin moved: buyer, reward pool and both shares unchanged to the coin,
// and no licence recorded.
func TestPayAllOrNothingRealBank(t *testing.T) {
	s := setup(t)
	c1, c2 := s.ta.NewAccount(coins(1)), s.ta.NewAccount(coins(1))
	m := listMsg(s.owner.String(), rental(10, 10_000))
	m.Shares = []common.Share{{Address: c1.String(), Weight: 2}, {Address: c2.String(), Weight: 1}}
	id := s.list(m)
	refused := errors.New("recipient restricted")
	s.ta.BankKeeper.AppendSendRestriction(func(_ context.Context, _, to sdk.AccAddress, _ sdk.Coins) (sdk.AccAddress, error) {
		if to.Equals(c2.Address) {
			return nil, refused
		}
		return to, nil
	})
	before := s.snap(c1.Address, c2.Address)
	_, err := s.ms.PurchaseLicense(s.ta.Ctx, &types.MsgPurchaseLicense{Buyer: s.buyer.String(), DatasetId: id, MaxPrice: ample})
	if !errors.Is(err, refused) {
		t.Fatalf("purchase paying a restricted share: %v, want the restriction's error", err)
	}
	s.unchanged(before, "purchase refused by a send restriction", c1.Address, c2.Address)
}

package keeper_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/aichain/aichain/testutil/events"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

// licenceKey is the raw store key of a licence (LicensesKey ‖ uint64be id).
func licenceKey(id uint64) []byte {
	return append(append([]byte{}, types.LicensesKey...), encodeUint64(id)...)
}

func encodeUint64(id uint64) []byte {
	bz := make([]byte, 8)
	if _, err := collections.Uint64Key.Encode(bz, id); err != nil {
		panic(err)
	}
	return bz
}

// TestExpiryQueueEntryFailureRetried: three rentals fall due in one block and
// the middle one cannot be handled (its stored record does not decode). The
// other two are marked expired in that block; the failed one leaves no trace
// but its queue entry, re-queued at the next height with an
// EventQueueEntryRetried; once its record is readable again it is marked in
// the next block. No coin moves at any point.
func TestExpiryQueueEntryFailureRetried(t *testing.T) {
	s := setup(t)
	id := s.list(listMsg(s.owner.String(), rental(2, 1000)))
	buyers := []sdk.AccAddress{s.buyer.Address, s.other.Address, s.ta.NewAccount(coins(5000)).Address}
	var lids []uint64
	for _, b := range buyers {
		lids = append(lids, s.buy(b.String(), id, 0).LicenseId)
	}
	expiry := s.ta.Ctx.BlockHeight() + 2
	for s.ta.Ctx.BlockHeight() < expiry {
		s.ta.NextBlock()
	}
	watch := append([]sdk.AccAddress{s.owner.Address, s.pool}, buyers...)
	balances := func() []math.Int {
		var out []math.Int
		for _, a := range watch {
			out = append(out, s.ta.Balance(a, denom))
		}
		return out
	}
	before := balances()

	// Licence lids[1] cannot be read: the handler fails for it alone.
	store := s.ta.Ctx.KVStore(s.ta.GetKey(types.StoreKey))
	failed := lids[1]
	good := store.Get(licenceKey(failed))
	garbage := []byte("not a licence")
	store.Set(licenceKey(failed), garbage)

	ctx := s.ta.Ctx.WithEventManager(sdk.NewEventManager())
	if err := s.k.EndBlocker(ctx); err != nil {
		t.Fatalf("EndBlocker: %v", err)
	}
	for _, lid := range []uint64{lids[0], lids[2]} {
		if l, err := s.k.GetLicense(ctx, lid); err != nil || !l.Expired {
			t.Fatalf("licence %d in the failing block: %+v, %v", lid, l, err)
		}
	}
	expired := events.Typed[types.EventLicenseExpired](t, ctx)
	if len(expired) != 2 || expired[0].LicenseId != lids[0] || expired[1].LicenseId != lids[2] {
		t.Fatalf("expired events %+v, want licences %d and %d", expired, lids[0], lids[2])
	}
	retried := events.Typed[common.EventQueueEntryRetried](t, ctx)
	if len(retried) != 1 || retried[0].Module != types.ModuleName || retried[0].Queue != "expiry_queue" ||
		retried[0].Id != fmt.Sprint(failed) || retried[0].Due != fmt.Sprint(expiry) || retried[0].RetryAt != fmt.Sprint(expiry+1) ||
		retried[0].Error == "" {
		t.Fatalf("retried events %+v", retried)
	}
	// Nothing of the failed entry was kept but the entry, at the next height.
	if got := store.Get(licenceKey(failed)); !bytes.Equal(got, garbage) {
		t.Fatalf("failed licence's record was rewritten: %x", got)
	}
	var queued []collectionsPair
	if err := s.k.ExpiryQueue.Walk(ctx, nil, func(key collectionsPair) (bool, error) {
		queued = append(queued, key)
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(queued) != 1 || queued[0].K1() != expiry+1 || queued[0].K2() != failed {
		t.Fatalf("queue after the failing block: %v, want only (%d, %d)", queued, expiry+1, failed)
	}

	// Fixed, it is handled in the next block.
	store.Set(licenceKey(failed), good)
	s.ta.NextBlock()
	ctx = s.ta.Ctx.WithEventManager(sdk.NewEventManager())
	if err := s.k.EndBlocker(ctx); err != nil {
		t.Fatalf("EndBlocker: %v", err)
	}
	if l, err := s.k.GetLicense(ctx, failed); err != nil || !l.Expired {
		t.Fatalf("retried licence: %+v, %v", l, err)
	}
	if ev := events.Typed[types.EventLicenseExpired](t, ctx); len(ev) != 1 || ev[0].LicenseId != failed {
		t.Fatalf("expired events of the retry: %+v", ev)
	}
	if has, err := s.k.ExpiryQueue.Has(ctx, collections.Join(expiry+1, failed)); err != nil || has {
		t.Fatalf("retried entry still queued: %v %v", has, err)
	}
	for i, b := range balances() {
		if !b.Equal(before[i]) {
			t.Fatalf("balance of %s moved: %s -> %s", watch[i], before[i], b)
		}
	}
}

// TestStaleExpiryEntryIsNoop: an entry whose licence was renewed since (its
// expiry is later) or no longer exists is dropped without effect.
func TestStaleExpiryEntryIsNoop(t *testing.T) {
	s := setup(t)
	id := s.list(listMsg(s.owner.String(), rental(5, 1000)))
	lid := s.buy(s.buyer.String(), id, 0).LicenseId
	h := s.ta.Ctx.BlockHeight()
	stale := []collectionsPair{collections.Join(h, lid), collections.Join(h, uint64(999))}
	for _, key := range stale {
		if err := s.k.ExpiryQueue.Set(s.ta.Ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	before, err := s.k.GetLicense(s.ta.Ctx, lid)
	if err != nil {
		t.Fatal(err)
	}
	ctx := s.ta.Ctx.WithEventManager(sdk.NewEventManager())
	if err := s.k.EndBlocker(ctx); err != nil {
		t.Fatalf("EndBlocker: %v", err)
	}
	if after, _ := s.k.GetLicense(ctx, lid); after.Expired || after.ExpiresHeight != before.ExpiresHeight {
		t.Fatalf("licence changed by a stale entry: %+v", after)
	}
	if len(ctx.EventManager().Events()) != 0 {
		t.Fatalf("stale entries emitted %v", ctx.EventManager().Events())
	}
	for _, key := range stale {
		if has, _ := s.k.ExpiryQueue.Has(ctx, key); has {
			t.Fatalf("stale entry %v still queued", key)
		}
	}
	if has, _ := s.k.ExpiryQueue.Has(ctx, collections.Join(before.ExpiresHeight, lid)); !has {
		t.Fatal("the licence's own entry was lost")
	}
}

// TestExpiryQueueCap: with max_expiries_per_block = 2, five licences due at
// the same height are marked over three blocks.
func TestExpiryQueueCap(t *testing.T) {
	s := setup(t)
	p := types.DefaultParams()
	p.ContentCommitDelayBlocks = 0 // the test chain lists without commitments (apptesting)
	p.MaxExpiriesPerBlock = 2
	if err := s.k.Params.Set(s.ta.Ctx, p); err != nil {
		t.Fatal(err)
	}
	id := s.list(listMsg(s.owner.String(), rental(1, 10)))
	var ids []uint64
	for i := 0; i < 5; i++ {
		ids = append(ids, s.buy(s.ta.NewAccount(coins(100)).String(), id, 0).LicenseId)
	}
	expired := func() int {
		n := 0
		for _, lid := range ids {
			l, _ := s.k.GetLicense(s.ta.Ctx, lid)
			if l.Expired {
				n++
			}
		}
		return n
	}
	s.ta.NextBlock() // height h+1 = expiry; its EndBlocker marks 2
	s.ta.NextBlock()
	if n := expired(); n != 2 {
		t.Fatalf("after the first due block: %d marked, want 2", n)
	}
	s.ta.NextBlock()
	if n := expired(); n != 4 {
		t.Fatalf("after the second: %d marked, want 4", n)
	}
	s.ta.NextBlock()
	if n := expired(); n != 5 {
		t.Fatalf("after the third: %d marked, want 5", n)
	}
}

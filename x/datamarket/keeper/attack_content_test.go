package keeper_test

import (
	"strings"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

// ledger records balances, to assert each one's change to the coin.
type ledger struct {
	s      *suite
	addrs  []sdk.AccAddress
	before []math.Int
}

func (s *suite) ledger(addrs ...sdk.AccAddress) ledger {
	l := ledger{s: s, addrs: addrs}
	for _, a := range addrs {
		l.before = append(l.before, s.ta.Balance(a, denom))
	}
	return l
}

// expect checks that address i's balance changed by deltas[i].
func (l ledger) expect(what string, deltas ...int64) {
	l.s.t.Helper()
	for i, a := range l.addrs {
		if got := l.s.ta.Balance(a, denom).Sub(l.before[i]); !got.Equal(math.NewInt(deltas[i])) {
			l.s.t.Fatalf("%s: balance %d (%s) changed by %s, want %d", what, i, a, got, deltas[i])
		}
	}
}

// TestCopiedListingRefused (issue 17, item 1, chain side): an attacker lists
// "its" dataset with the content root or the sha256 of another owner's file
// — of its current version or of any older one — to become the owner of a
// dataset id under which a dataserver would serve that file, and to sell it.
// The chain refuses every such listing and version with ErrContentTaken; no
// coin moves and no state changes. The owner of a file may publish it again
// only as a new version of the same dataset.
func TestCopiedListingRefused(t *testing.T) {
	s := setup(t)
	owner, thief := s.owner.String(), s.other.String()
	orig := listMsg(owner, perpetual(1000, false))
	id := s.list(orig)
	thiefsOwn := s.list(listMsg(thief, perpetual(1, false)))

	copyOf := func(mut func(m *types.MsgListDataset)) func() error {
		return func() error {
			m := listMsg(thief, perpetual(1, false))
			mut(m)
			_, err := s.ms.ListDataset(s.ta.Ctx, m)
			return err
		}
	}
	s.expectFail("same root and sha256", types.ErrContentTaken, copyOf(func(m *types.MsgListDataset) {
		m.ContentRoot, m.Sha256 = orig.ContentRoot, orig.Sha256
	}))
	s.expectFail("same root, other sha256 (a re-encoded header, at the same rows_per_chunk)", types.ErrContentTaken,
		copyOf(func(m *types.MsgListDataset) { m.ContentRoot = orig.ContentRoot }))
	s.expectFail("same sha256, other root", types.ErrContentTaken, copyOf(func(m *types.MsgListDataset) { m.Sha256 = orig.Sha256 }))
	s.expectFail("as a new version of the thief's own dataset", types.ErrContentTaken, func() error {
		_, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
			Owner: thief, DatasetId: thiefsOwn, Rows: 150, Cols: 4, RowsPerChunk: 16,
			ContentRoot: orig.ContentRoot, Sha256: orig.Sha256, RowsSha256: rowsOf(orig.Sha256),
		})
		return err
	})
	// The owner itself may not list the file twice either: once a file is a
	// dataset's, a second dataset of it would be a second id to sell it under.
	s.expectFail("the owner lists it again", types.ErrContentTaken, func() error {
		m := listMsg(owner, perpetual(1, false))
		m.ContentRoot, m.Sha256 = orig.ContentRoot, orig.Sha256
		_, err := s.ms.ListDataset(s.ta.Ctx, m)
		return err
	})

	// A new version: the old version's file stays the owner's.
	v2 := &types.MsgUpdateDataset{Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: rootOf("v2"), Sha256: shaOf("v2"), RowsSha256: rowsOf(shaOf("v2"))}
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, v2); err != nil {
		t.Fatal(err)
	}
	s.expectFail("version 1's file after version 2", types.ErrContentTaken, copyOf(func(m *types.MsgListDataset) {
		m.ContentRoot, m.Sha256 = orig.ContentRoot, orig.Sha256
	}))
	// The owner may bring version 1's file back as version 3.
	if res, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: orig.ContentRoot, Sha256: orig.Sha256, RowsSha256: rowsOf(orig.Sha256),
	}); err != nil || res.Version != 3 {
		t.Fatalf("the owner's own file as a new version: %+v, %v", res, err)
	}

	// A buyer of the thief's listing never existed: the thief has no dataset
	// of the file to sell; the owner's sale pays the owner, to the coin.
	l := s.ledger(s.owner.Address, s.other.Address, s.buyer.Address, s.pool)
	s.buy(s.buyer.String(), id, 0)
	l.expect("the owner's sale", 975, 0, -1000, 25)
}

// TestRevenueToModuleAccountRefusedEverywhere: shares may name no module
// account — not one x/bank blocks (the bonded pool, x/compute's escrow) and
// not one it leaves open (the reward pool, gov) — at listing, at a share
// update, and as a dataset's new owner. Two spellings of one address are one
// share. Every refusal is typed and moves nothing.
func TestRevenueToModuleAccountRefusedEverywhere(t *testing.T) {
	s := setup(t)
	owner := s.owner.String()
	id := s.list(listMsg(owner, perpetual(1000, false)))
	for _, name := range []string{common.RewardPoolName, stakingtypes.BondedPoolName, "compute", "gov", "stakingrewards"} {
		mod := authtypes.NewModuleAddress(name).String()
		shares := []common.Share{{Address: owner, Weight: 1}, {Address: mod, Weight: 99}}
		s.expectFail("listing paying "+name, types.ErrInvalidShares, func() error {
			m := listMsg(owner, perpetual(1000, false))
			m.Shares = shares
			_, err := s.ms.ListDataset(s.ta.Ctx, m)
			return err
		})
		s.expectFail("share update to "+name, types.ErrInvalidShares, func() error {
			_, err := s.ms.UpdateDatasetShares(s.ta.Ctx, &types.MsgUpdateDatasetShares{Owner: owner, DatasetId: id, Shares: shares})
			return err
		})
		s.expectFail("transfer to "+name, types.ErrInvalidOwner, func() error {
			_, err := s.ms.TransferDataset(s.ta.Ctx, &types.MsgTransferDataset{Owner: owner, DatasetId: id, NewOwner: mod})
			return err
		})
	}
	s.expectFail("one account in two spellings", types.ErrInvalidShares, func() error {
		_, err := s.ms.UpdateDatasetShares(s.ta.Ctx, &types.MsgUpdateDatasetShares{Owner: owner, DatasetId: id,
			Shares: []common.Share{{Address: owner, Weight: 1}, {Address: strings.ToUpper(owner), Weight: 1}}})
		return err
	})
	l := s.ledger(s.owner.Address, s.buyer.Address, s.pool)
	s.buy(s.buyer.String(), id, 0)
	l.expect("a sale after the refusals", 975, -1000, 25)
}

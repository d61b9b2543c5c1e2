package keeper_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackPushedDatasetsBecomeTheVictims: a transfer needed no consent, so
// an attacker could list datasets and give them to a dataset owner. The chain
// then named the victim as their owner, and the victim's dataset server, which
// reads every dataset its owners own (DatasetsOf, page by page, within one
// chain timeout), had to read them all at each refresh and at start: enough
// of them and the server could not start or see its owner's new listings.
// A transfer is now an offer that the recipient accepts.
func TestAttackPushedDatasetsBecomeTheVictims(t *testing.T) {
	s := setup(t)
	attacker, victim := s.other.String(), s.owner.String()
	var ids []uint64
	for range 3 {
		ids = append(ids, s.list(listMsg(attacker, perpetual(1000, false))))
	}
	l := s.ledger(s.owner.Address, s.other.Address, s.pool)
	for _, id := range ids {
		s.offer(attacker, id, victim)
	}
	got, err := s.q.Datasets(s.ta.Ctx, &types.QueryDatasetsRequest{Owner: victim})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Datasets) != 0 {
		t.Fatalf("the victim owns %d datasets it never accepted: its dataset server reads them all", len(got.Datasets))
	}
	for _, id := range ids {
		d := s.dataset(id)
		if d.Owner != attacker || d.PendingOwner != victim {
			t.Fatalf("dataset %d: owner %s, pending %s; want the attacker's, offered to the victim", id, d.Owner, d.PendingOwner)
		}
		if a := s.access(id, victim); a.HasAccess {
			t.Fatalf("an offer gives the recipient access: %+v", a)
		}
	}
	l.expect("offers", 0, 0, 0)
}

// TestDatasetTransferOffer: only the account offered a dataset takes it, only
// while the offer stands; a later offer replaces the earlier; the owner keeps
// the dataset until the offer is accepted, and may withdraw it.
func TestDatasetTransferOffer(t *testing.T) {
	s := setup(t)
	owner, buyer, other := s.owner.String(), s.buyer.String(), s.other.String()
	id := s.list(listMsg(owner, perpetual(1000, false)))
	s.expectFail("accept with no offer", types.ErrNoTransferOffer, func() error {
		_, err := s.ms.AcceptDataset(s.ta.Ctx, &types.MsgAcceptDataset{NewOwner: buyer, DatasetId: id, OfferSeq: s.dataset(id).OfferSeq})
		return err
	})
	s.expectFail("cancel with no offer", types.ErrNoTransferOffer, func() error {
		_, err := s.ms.CancelDatasetTransfer(s.ta.Ctx, &types.MsgCancelDatasetTransfer{Owner: owner, DatasetId: id})
		return err
	})
	s.expectFail("accept an unknown dataset", types.ErrDatasetNotFound, func() error {
		_, err := s.ms.AcceptDataset(s.ta.Ctx, &types.MsgAcceptDataset{NewOwner: buyer, DatasetId: 99})
		return err
	})
	s.offer(owner, id, buyer)
	if !hasEvent(s.ta.Ctx, "aichain.datamarket.v1.EventDatasetTransferOffered") {
		t.Fatal("no EventDatasetTransferOffered")
	}
	s.expectFail("accept by another account", types.ErrNoTransferOffer, func() error {
		_, err := s.ms.AcceptDataset(s.ta.Ctx, &types.MsgAcceptDataset{NewOwner: other, DatasetId: id, OfferSeq: s.dataset(id).OfferSeq})
		return err
	})
	s.expectFail("cancel by the recipient", types.ErrUnauthorized, func() error {
		_, err := s.ms.CancelDatasetTransfer(s.ta.Ctx, &types.MsgCancelDatasetTransfer{Owner: buyer, DatasetId: id})
		return err
	})
	s.expectFail("shares set by the recipient before it accepts", types.ErrUnauthorized, func() error {
		_, err := s.ms.UpdateDatasetShares(s.ta.Ctx, &types.MsgUpdateDatasetShares{Owner: buyer, DatasetId: id, Shares: []common.Share{{Address: buyer, Weight: 1}}})
		return err
	})
	// A later offer replaces the earlier: the first recipient can no longer take it.
	s.offer(owner, id, other)
	s.expectFail("accept of a replaced offer", types.ErrNoTransferOffer, func() error {
		_, err := s.ms.AcceptDataset(s.ta.Ctx, &types.MsgAcceptDataset{NewOwner: buyer, DatasetId: id, OfferSeq: s.dataset(id).OfferSeq})
		return err
	})
	if _, err := s.ms.CancelDatasetTransfer(s.ta.Ctx, &types.MsgCancelDatasetTransfer{Owner: owner, DatasetId: id}); err != nil {
		t.Fatal(err)
	}
	if !hasEvent(s.ta.Ctx, "aichain.datamarket.v1.EventDatasetTransferCancelled") {
		t.Fatal("no EventDatasetTransferCancelled")
	}
	if d := s.dataset(id); d.PendingOwner != "" || d.Owner != owner {
		t.Fatalf("after the cancel: owner %s, pending %q", d.Owner, d.PendingOwner)
	}
	s.expectFail("accept of a withdrawn offer", types.ErrNoTransferOffer, func() error {
		_, err := s.ms.AcceptDataset(s.ta.Ctx, &types.MsgAcceptDataset{NewOwner: other, DatasetId: id, OfferSeq: s.dataset(id).OfferSeq})
		return err
	})

	// Offered again, and taken under another spelling of the recipient's
	// address: the offer names the account, not a string.
	s.offer(owner, id, strings.ToUpper(buyer))
	if d := s.dataset(id); d.PendingOwner != buyer {
		t.Fatalf("pending_owner %q, want the canonical %s", d.PendingOwner, buyer)
	}
	if _, err := s.ms.AcceptDataset(s.ta.Ctx, &types.MsgAcceptDataset{NewOwner: strings.ToUpper(buyer), DatasetId: id, OfferSeq: s.dataset(id).OfferSeq}); err != nil {
		t.Fatal(err)
	}
	if d := s.dataset(id); d.Owner != buyer || d.PendingOwner != "" {
		t.Fatalf("after the accept: owner %s, pending %q", d.Owner, d.PendingOwner)
	}
	s.expectFail("the previous owner offers it again", types.ErrUnauthorized, func() error {
		_, err := s.ms.TransferDataset(s.ta.Ctx, &types.MsgTransferDataset{Owner: owner, DatasetId: id, NewOwner: other})
		return err
	})
	s.expectFail("accept twice", types.ErrNoTransferOffer, func() error {
		_, err := s.ms.AcceptDataset(s.ta.Ctx, &types.MsgAcceptDataset{NewOwner: buyer, DatasetId: id, OfferSeq: s.dataset(id).OfferSeq})
		return err
	})
}

// TestGenesisKeepsTransferOffer: an offer pending at an export stands after
// the import, and the recipient takes it there; a pending owner that is the
// owner, or not in canonical form, is refused at import.
func TestGenesisKeepsTransferOffer(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	id := s.list(listMsg(owner, perpetual(1000, false)))
	s.offer(owner, id, buyer)
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	fresh := apptesting.Setup(t, 1)
	if err := fresh.DataMarketKeeper.InitGenesis(fresh.Ctx, gs); err != nil {
		t.Fatalf("import: %v", err)
	}
	ms := keeper.NewMsgServerImpl(fresh.DataMarketKeeper)
	if _, err := ms.AcceptDataset(fresh.Ctx, &types.MsgAcceptDataset{NewOwner: buyer, DatasetId: id, OfferSeq: s.dataset(id).OfferSeq}); err != nil {
		t.Fatalf("the offer after the import: %v", err)
	}
	if d, err := fresh.DataMarketKeeper.GetDataset(fresh.Ctx, id); err != nil || d.Owner != buyer || d.PendingOwner != "" {
		t.Fatalf("after the accept on the imported chain: %+v, %v", d, err)
	}
	for _, bad := range []string{owner, strings.ToUpper(buyer), "aic1"} {
		gs.Datasets[0].PendingOwner = bad
		if err := gs.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
			t.Errorf("pending_owner %q at import: %v, want %v", bad, err, types.ErrInvalidGenesis)
		}
	}
}

func (s *suite) offer(owner string, id uint64, to string) {
	s.t.Helper()
	if _, err := s.ms.TransferDataset(s.ta.Ctx, &types.MsgTransferDataset{Owner: owner, DatasetId: id, NewOwner: to}); err != nil {
		s.t.Fatal(err)
	}
}

func (s *suite) dataset(id uint64) types.Dataset {
	s.t.Helper()
	d, err := s.k.GetDataset(s.ta.Ctx, id)
	if err != nil {
		s.t.Fatal(err)
	}
	return d
}

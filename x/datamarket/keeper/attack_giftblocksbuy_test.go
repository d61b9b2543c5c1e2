package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackFreeTrialGiftBlocksPurchase: a dataset sells a paid 1,000-block
// RENTAL (50uaic) and a free, transferable 5-block trial RENTAL. The victim
// sends its purchase of the paid rental; the attacker takes the trial for
// 0uaic and gives it to the victim ahead of it (a transfer needs no consent
// of its recipient). The purchase is refused ErrAlreadyLicensed ("renew it
// instead"): PurchaseLicense refuses a buyer holding any valid licence of the
// kind that covers the current version, whoever gave it, and a renewal of
// the gift renews the 5-block trial, not the 1,000-block rental. The
// attacker gives another trial each time one runs out (it holds none once it
// gave it, so it may take another), at no cost but fees: the victim never
// gets the rental it is paying for, and the owner never sells it.
// TransferLicense was changed so that a gift never refuses an honest resale
// (TestAttackFreeTrialGiftBlocksPaidTransfer) and says "the recipient's own
// purchases are never capped: an attacker who filled it up must not be able
// to stop it buying"; the purchase itself still is stopped. Expected: the
// purchase goes through and the owner is paid.
func TestAttackFreeTrialGiftBlocksPurchase(t *testing.T) {
	s, attacker := setupWithAttacker(t)
	owner, victim, mallory := s.owner.String(), s.buyer.String(), attacker.String()
	paid, trial := rental(1000, 50), rental(5, 0)
	trial.Transferable = true
	id := s.list(listMsg(owner, paid, trial))
	l := s.ledger(s.buyer.Address, attacker.Address, s.owner.Address, s.pool)

	gift := s.buy(mallory, id, 1)
	if _, err := s.ms.TransferLicense(s.ta.Ctx, &types.MsgTransferLicense{Licensee: mallory, LicenseId: gift.LicenseId, Recipient: victim}); err != nil {
		t.Fatal(err)
	}
	l.expect("the gift cost the attacker nothing", 0, 0, 0, 0)

	res, err := s.ms.PurchaseLicense(s.ta.Ctx, &types.MsgPurchaseLicense{
		Buyer: victim, DatasetId: id, OfferIndex: 0, MaxPrice: s.priceCap(id, 0), ExpectedOffer: &paid,
	})
	if err != nil {
		t.Fatalf("the victim's purchase of the 1,000-block rental (50uaic) after a free 5-block trial was gifted to it for 0uaic: %v", err)
	}
	l.expect("the victim paid 50 (2.5% to the pool, floor 1)", -50, 0, 49, 1)
	if a := s.access(id, victim); !a.HasAccess || a.LicenseId != res.LicenseId {
		t.Fatalf("the victim's access: %+v, want its licence %d", a, res.LicenseId)
	}
}

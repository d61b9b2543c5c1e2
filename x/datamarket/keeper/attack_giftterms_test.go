package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackGiftedOldLicenceSwapsTheJobsVersion: a dataset sells a free,
// transferable 1,000-block trial RENTAL and a PER_JOB offer at 40. The
// attacker takes the trial at version 1 (0uaic); the owner publishes version
// 2. The victim holds no licence and runs jobs that pin the current version
// (2) under the PER_JOB offer. The attacker gives the victim its trial (a
// transfer needs no consent of its recipient). DatasetTermsForJob then
// answered the victim with version 1 and no fee whatever the job pinned
// (any valid licence won over the PER_JOB offer): every job pinning version
// 2 was refused (x/compute checkPinnedVersion: ErrDatasetVersionChanged)
// while the gift ran, and the victim could not pay the owner's PER_JOB fee
// for the current version at all. Expected: a job that pins the current
// version gets it under the PER_JOB offer; one that pins the version the
// gift covers gets that, free; an unpinned job runs, as documented, on the
// newest version the requester's licences cover (it pins to choose).
func TestAttackGiftedOldLicenceSwapsTheJobsVersion(t *testing.T) {
	s, attacker := setupWithAttacker(t)
	owner, victim, mallory := s.owner.String(), s.buyer.String(), attacker.String()
	trial := rental(1000, 0)
	trial.Transferable = true
	id := s.list(listMsg(owner, trial, perJob(40)))
	l := s.ledger(attacker.Address, s.buyer.Address, s.owner.Address, s.pool)
	gift := s.buy(mallory, id, 0) // version 1, free
	s.publishVersion(id, "gift-terms-v2")

	before, err := s.k.DatasetTermsForJob(s.ta.Ctx, id, victim, 2)
	if err != nil || before.Version != 2 || !before.Fee.Equal(coins(40)) {
		t.Fatalf("the victim's terms before the gift: %+v, %v; want version 2 at 40", before, err)
	}
	if _, err := s.ms.TransferLicense(s.ta.Ctx, &types.MsgTransferLicense{Licensee: mallory, LicenseId: gift.LicenseId, Recipient: victim}); err != nil {
		t.Fatal(err)
	}
	l.expect("the gift cost the attacker nothing", 0, 0, 0, 0)

	after, err := s.k.DatasetTermsForJob(s.ta.Ctx, id, victim, 2)
	if err != nil || after.Version != 2 || !after.Fee.Equal(coins(40)) {
		t.Fatalf("a free version-1 trial gifted for 0uaic: the victim's job pinning version 2 gets %+v, %v (refused unless version 2 at 40)", after, err)
	}
	if old, err := s.k.DatasetTermsForJob(s.ta.Ctx, id, victim, 1); err != nil || old.Version != 1 || !old.Fee.IsZero() {
		t.Fatalf("pinning version 1, which the licence covers: %+v, %v; want version 1, no fee", old, err)
	}
	if unpinned, err := s.k.DatasetTermsForJob(s.ta.Ctx, id, victim, 0); err != nil || unpinned.Version != 1 || !unpinned.Fee.IsZero() {
		t.Fatalf("unpinned: %+v, %v; want the newest covered version, 1, free", unpinned, err)
	}
}

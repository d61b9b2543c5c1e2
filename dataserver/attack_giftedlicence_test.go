package dataserver

import (
	"testing"
	"time"
)

// TestAttackGiftedLicenceTakesTheWinnersReservedSlots: the reserved
// download slots go to a grant whose chain answer names a job (byJob), but
// x/datamarket HasAccess answered a licence before a job, and a transferable
// licence is given without its recipient's consent (TransferLicense). A
// rival fills the licensees' share (MaxDownloads − ReservedDownloads) with
// slow readers, as in TestAttackLicenseesHoldTheReservedDownloads, and
// transfers one more licence of the dataset to the job's winner: the
// winner's access now reads "license", its downloads are refused the
// reserve, and it is answered 503 until it aborts and forfeits its
// collateral: one extra licence undid the reserve. x/datamarket HasAccess
// now names the job whenever one grants access, a licence too.
func TestAttackGiftedLicenceTakesTheWinnersReservedSlots(t *testing.T) {
	fx := newFixture(t, true)
	_, data := bigDataset(t, fx)
	sr, stop := newSlowReader(t)
	defer stop()
	per, all, reserved := fx.srv.cfg.DownloadsPerAccount, fx.srv.cfg.MaxDownloads, fx.srv.cfg.ReservedDownloads
	held := 0
	for a := 0; a < all/per; a++ {
		holder := newAccount()
		fx.chain.grant(2, holder.addr(), 1, true)
		held += openSlowDownloads(t, fx, sr, holder, per)
	}
	if held != all-reserved {
		t.Fatalf("licensees hold %d downloads, want %d", held, all-reserved)
	}
	winner := newAccount()
	fx.chain.award(2, winner.addr(), 1, 7)
	fx.chain.grant(2, winner.addr(), 1, true) // the rival's gift: a transferred licence
	want := Expect{Sha256: fx.chain.versions[[2]uint64{2, 1}].Sha256}
	got, err := downloadRetrying(t, winner, fx.url, want, 5*time.Second)
	if err != nil || len(got) != len(data) {
		t.Fatalf("the winner of job 7, given a licence by a rival, while licensees hold %d of %d downloads (%d reserved): "+
			"%d bytes, %v: the reserve is kept from a job's winner that also holds a licence", held, all, reserved, len(got), err)
	}
}

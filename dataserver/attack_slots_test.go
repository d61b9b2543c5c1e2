package dataserver

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// TestAttackLicenseesHoldEveryDownloadSlotFromTheJobProvider: the
// server's download slots (MaxDownloads, 64) are one pool shared by every
// account with access, bounded only per account (DownloadsPerAccount, 4),
// and a download in flight is never checked against the chain again: it
// outlives its signer's access (a licence transferred, expired, a job
// closed). One transferable licence of any dataset the server serves,
// passed from account to account (16 transfers), holds all 64 slots: each
// holder opens 4 downloads and passes the licence on; a real attacker reads
// them just fast enough not to be dropped as stalled (64 KiB per
// StallTimeout) for up to the write timeout (30 min), then does it again.
// The winner of a compute job over a dataset of that server, whose access
// the chain granted at the award, is answered 503 at every retry through
// half its execution window and aborts with INPUTS_UNAVAILABLE; the
// validators' signed probes (HEAD, 204, no download slot) find the inputs
// available, so the abort is a timeout and the honest provider forfeits
// slash_fraction_timeout of its collateral (jailed after
// timeout_jail_threshold of them). A rival provider pays one licence to take
// its competitor's collateral and auctions. Now a download's access is
// asked again every AccessTTL while it runs, and the download cut when the
// chain says no; and licensees take at most MaxDownloads − ReservedDownloads
// (so the last holders here are refused at once; the winner below holds a
// licence, not job access, so the reserve does not help it:
// TestAttackLicenseesHoldTheReservedDownloads covers that).
func TestAttackLicenseesHoldEveryDownloadSlotFromTheJobProvider(t *testing.T) {
	fx := newFixture(t, true)
	path, data := bigDataset(t, fx)
	sr, stop := newSlowReader(t)
	defer stop()

	// One licence, moved from account to account: each opens its 4 downloads
	// while it holds the licence, then passes it on.
	per, all := fx.srv.cfg.DownloadsPerAccount, fx.srv.cfg.MaxDownloads
	for a := 0; a < all/per; a++ {
		holder := newAccount()
		fx.chain.grant(2, holder.addr(), 1, true)
		openSlowDownloads(t, fx, sr, holder, per)
		fx.chain.grant(2, holder.addr(), 1, false) // transferred on
	}
	time.Sleep(300 * time.Millisecond)
	t.Logf("%d downloads in flight, %d open files on %s", fx.srv.dl.InFlight(), openFilesOf(t, path), path)

	// The award: the chain grants the job's winner the pinned version. The
	// winner retries as the agent does, honouring Retry-After, for 10 s (the
	// agent retries every 3 blocks through half its execution window).
	provider := newAccount()
	fx.chain.grant(2, provider.addr(), 1, true)
	want := Expect{Sha256: fx.chain.versions[[2]uint64{2, 1}].Sha256}
	got, err := downloadRetrying(t, provider, fx.url, want, 10*time.Second)
	var busy *BusyError
	if errors.As(err, &busy) {
		t.Fatalf("the awarded provider's download, retried for 10 s: %v: accounts that held one licence between them, "+
			"and hold none now, keep every download slot (%d per account, %d in all) from the winner of a job over the dataset",
			err, per, all)
	}
	if err != nil || len(got) != len(data) {
		t.Fatalf("the awarded provider's download: %d bytes, %v", len(got), err)
	}
}

// openSlowDownloads opens n downloads of dataset 2 signed by holder, read
// by sr (slowly), and returns how many the server took (200; a 503 is the
// licensees' share taken).
func openSlowDownloads(t *testing.T, fx *fixture, sr *slowReader, holder account, n int) (held int) {
	t.Helper()
	for i := 0; i < n; i++ {
		req, _ := http.NewRequestWithContext(sr.ctx, http.MethodGet, fx.url+"/v1/datasets/2", nil)
		if err := signedreq.Sign(req, holder, fx.url, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := sr.client.Do(req)
		if err != nil {
			t.Fatalf("%s download %d: %v", holder.addr(), i, err)
		}
		sr.bodies = append(sr.bodies, func() { _ = resp.Body.Close() })
		switch resp.StatusCode {
		case http.StatusOK:
			held++
		case http.StatusServiceUnavailable:
		default:
			t.Fatalf("%s download %d: %d", holder.addr(), i, resp.StatusCode)
		}
	}
	return held
}

// downloadRetrying downloads version 1 of dataset 2 as acct, retrying busy
// answers after their Retry-After (200 ms at least) for up to within, as the
// provider agent does; it returns the last answer.
func downloadRetrying(t *testing.T, acct account, url string, want Expect, within time.Duration) ([]byte, error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, err := acct.client(url).Download(t.Context(), 2, 1, want)
		var busy *BusyError
		if errors.As(err, &busy) && time.Now().Before(deadline) {
			time.Sleep(max(busy.RetryAfter, 200*time.Millisecond))
			continue
		}
		return got, err
	}
}

// TestAttackLicenseesHoldTheReservedDownloads: re-checking access cuts the
// downloads of a licence passed on, but not those of licences bought one
// per account: 16 licensees (licences of the cheapest dataset the server
// serves), each opening its 4 downloads and reading them slowly, held all
// 64 slots, and the winner of a job over a dataset of that server was
// answered 503 until it aborted. Now ReservedDownloads (a quarter) are taken
// only by job winners (access by a live job) and bonded validators: the
// licensees fill the rest, and the winner downloads at once.
func TestAttackLicenseesHoldTheReservedDownloads(t *testing.T) {
	fx := newFixture(t, true)
	_, data := bigDataset(t, fx)
	sr, stop := newSlowReader(t)
	defer stop()
	per, all, reserved := fx.srv.cfg.DownloadsPerAccount, fx.srv.cfg.MaxDownloads, fx.srv.cfg.ReservedDownloads
	held := 0
	for a := 0; a < all/per; a++ {
		holder := newAccount()
		fx.chain.grant(2, holder.addr(), 1, true) // a licence each, kept
		held += openSlowDownloads(t, fx, sr, holder, per)
	}
	if held != all-reserved {
		t.Fatalf("licensees hold %d downloads, want %d of %d (%d reserved)", held, all-reserved, all, reserved)
	}
	winner := newAccount()
	fx.chain.award(2, winner.addr(), 1, 7)
	got, err := winner.client(fx.url).Download(t.Context(), 2, 1, Expect{Sha256: fx.chain.versions[[2]uint64{2, 1}].Sha256})
	if err != nil || len(got) != len(data) {
		t.Fatalf("a job winner's download while licensees held %d downloads: %d bytes, %v", held, len(got), err)
	}
}

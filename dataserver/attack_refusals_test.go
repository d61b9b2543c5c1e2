package dataserver

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestAttackStrangersFillRefusalsLockOutNewBuyers: the refusals' memory is
// filled by strangers (fresh keys, nothing paid: one 403 each), and from then
// on every look-up of an account not seen with access in the last 10 minutes
// is answered 503 busy without reaching the chain, while the strangers'
// look-up pool sits idle. That account is exactly a buyer who has just paid
// for a licence, or a provider just awarded a job whose inputs it must fetch
// (or forfeit its collateral). The attacker keeps the memory full at the cost
// of one refused look-up per entry per refusal TTL (Window+skew+1 s: about
// 65,536 look-ups per 66 s at the defaults, ~1,000/s), and no honest first
// request gets in. The memory is scaled down here (room for 2 strangers'
// refusals beyond the look-ups that may be in flight) only to keep the test
// short; the rule is the same at 65,536.
func TestAttackStrangersFillRefusalsLockOutNewBuyers(t *testing.T) {
	fx := newFixture(t, true)
	room := numPools * fx.srv.cfg.LookupsPerPool
	fx.srv.refused = newRefusalBook(room+2, room+2, fx.srv.cfg.refusalTTL())

	// The attacker: fresh keys asking for what they have not bought, until
	// strangers are answered busy.
	filled := 0
	for ; filled < 64; filled++ {
		status, _ := get(t, fx.signed(t, newAccount(), fx.url, "/v1/datasets/1"))
		if status == http.StatusServiceUnavailable {
			break
		}
		if status != http.StatusForbidden {
			t.Fatalf("attacker key %d: %d, want 403", filled, status)
		}
	}
	t.Logf("%d refused strangers filled the memory (%d remembered)", filled, fx.srv.refused.strangers.len())

	// An honest buyer pays for a licence to version 1, then downloads,
	// signing a new request each time it is told to retry.
	buyer := newAccount()
	fx.chain.grant(1, buyer.addr(), 1, true)
	// A provider is awarded a job over dataset 1 version 1 and fetches its inputs.
	provider := newAccount()
	fx.chain.grant(1, provider.addr(), 1, true)

	for attempt := range 3 {
		if n := len(fx.srv.lk.pools[poolStrangers]); n != 0 {
			t.Fatalf("strangers' pool holds %d look-ups", n)
		}
		status, body := get(t, fx.signed(t, buyer, fx.url, "/v1/datasets/1/chunks/0?version=1"))
		if status != http.StatusOK {
			t.Errorf("attempt %d: a buyer holding a licence, never refused before, was answered %d %s while the look-up pool was idle: "+
				"strangers' refusals lock out every new buyer", attempt, status, body)
		}
		_, err := provider.client(fx.url).Download(t.Context(), 1, 1, fx.expect())
		if err != nil {
			var busy *BusyError
			t.Errorf("attempt %d: a provider awarded a job could not fetch its inputs (busy: %v): %v", attempt, errors.As(err, &busy), err)
		}
		time.Sleep(1100 * time.Millisecond) // Retry-After: 1
	}
}

// TestAttackStrangersBurstFlushesARefusal: strangers may add a refusal only
// while the memory has room for every look-up that may be in flight
// (numPools×LookupsPerPool), but that margin counts look-ups, not requests:
// an account's further requests for other accesses (another dataset, another
// version, version 0) pass the room check at once and wait their turn
// behind its look-up in flight (awaitTurn), each then adding its own
// refusal. Eight fresh keys, each asking for the five accesses of two
// served datasets, add 40 refusals past a check that reserved room for 24,
// pushing out the oldest refusals. The victim is a licensee of version 1
// (an account that had access: looked up with no room check) that asked for
// the new version 2 before buying it; whoever holds a copy of that refused
// request (a TLS-terminating proxy's log, a plain-HTTP hop) replays it once
// the licensee has bought version 2, and reads the rows: the hole
// TestAttackRefusedProbeReplayedAfterAward closed, reopened by strangers
// without a licence.
func TestAttackStrangersBurstFlushesARefusal(t *testing.T) {
	fx := newFixture(t, true)
	_, v2 := testNPY(t, fx.dir, 12, 3, 3)
	fx.chain.list(1, 2, fx.owner.addr(), v2)
	_, f2 := testNPY(t, fx.dir, 8, 3, 2)
	fx.chain.list(2, 1, fx.owner.addr(), f2)
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	room := numPools * fx.srv.cfg.LookupsPerPool
	// Memory as the strangers leave it: at its bound for strangers (they are
	// admitted while it has room; filled as in the test above, scaled down).
	fx.srv.refused = newRefusalBook(room+2, room+2, fx.srv.cfg.refusalTTL())

	// The licensee of version 1 reads it (an account that had access), then
	// asks for version 2 before buying it; an eavesdropper keeps a copy.
	if status, body := get(t, fx.signed(t, fx.licensee, fx.url, "/v1/datasets/1/chunks/0?version=1")); status != http.StatusOK {
		t.Fatalf("licensee's version 1: %d %s", status, body)
	}
	refused := fx.signed(t, fx.licensee, fx.url, "/v1/datasets/1/chunks/0?version=2")
	if status, _ := get(t, refused.Clone(t.Context())); status != http.StatusForbidden {
		t.Fatalf("licensee's version 2 before buying it: %d", status)
	}
	// Version records in the cache (any probe reads them).
	for _, v := range [][2]uint64{{1, 1}, {1, 2}, {2, 1}} {
		if err := newAccount().client(fx.url).Holds(t.Context(), v[0], v[1]); err != nil {
			t.Fatal(err)
		}
	}
	if !fx.srv.refused.covers(accessKey{id: 1, addr: fx.licensee.addr(), version: 2}, time.Now().Unix()-1, time.Now()) {
		t.Fatal("the licensee's refusal is not remembered")
	}

	attackers := map[string]bool{}
	var keys []account
	for range fx.srv.cfg.LookupsPerPool {
		a := newAccount()
		attackers[a.addr()] = true
		keys = append(keys, a)
	}
	g := gate(t, fx, func(a string) bool { return attackers[a] })
	paths := []string{"/v1/datasets/1", "/v1/datasets/1?version=1", "/v1/datasets/1?version=2", "/v1/datasets/2", "/v1/datasets/2?version=1"}
	for _, a := range keys {
		for _, p := range paths {
			g.start(fx.signed(t, a, fx.url, p))
		}
	}
	for range keys {
		waitArrival(t, g.chain.arrived)
	}
	time.Sleep(500 * time.Millisecond) // the other requests pass the room check and wait their turn
	g.release()
	g.wg.Wait()
	close(g.results)
	counts := map[int]int{}
	for a := range g.results {
		counts[a.status]++
	}
	t.Logf("attackers' answers %v; %d refusals remembered (bound %d)", counts, fx.srv.refused.strangers.len(), room+2)

	// The licensee buys version 2; the copy is replayed within its window.
	fx.chain.grant(1, fx.licensee.addr(), 2, true)
	time.Sleep(1100 * time.Millisecond) // the refusal leaves the access cache
	status, body := get(t, refused)
	if status == http.StatusOK {
		t.Errorf("strangers' burst pushed the licensee's refusal out: its refused request, replayed after its purchase, was answered 200 (%d bytes of rows)", len(body))
	}
}

package dataserver

import (
	"net/http"
	"testing"
	"time"
)

// TestAttackRefusedProbeReplayedAfterAward: a request refused for want of
// access leaves its nonce unrecorded (by design, so that strangers cannot
// fill the replay store), so the signed request stays valid for the rest of
// its window. The provider agent's bid probe (Client.Holds: a signed
// GET /v1/datasets/{id}/chunks/0?version=V, expected to be answered 403
// before the award) is exactly such a request, and so is a buyer's download
// tried before its purchase was in a block. Whoever holds a copy of it (an
// eavesdropper on a plain-HTTP hop, a TLS-terminating proxy's logs) replays
// it after the chain grants the signer access, within the window, and reads
// the rows: the first use of the nonce is the replayer's. A request that was
// refused must not turn into a read once access opens. Now the server
// remembers each access it refused and serves no request for it signed no
// later than the refusal (refused.go); the probe has its own form, which
// never returns rows (a signed HEAD, probe.go).
func TestAttackRefusedProbeReplayedAfterAward(t *testing.T) {
	fx := newFixture(t, true)
	provider := newAccount() // bids on a job over dataset 1 version 1
	probe := fx.signed(t, provider, fx.url, "/v1/datasets/1/chunks/0?version=1")

	// Before the award: the probe is answered 403 (the server holds the
	// version, the provider may not read it yet). The eavesdropper keeps a copy.
	copyOfProbe := probe.Clone(t.Context())
	if status, body := get(t, probe); status != http.StatusForbidden {
		t.Fatalf("probe before the award: %d %s, want 403", status, body)
	}

	// The award: the chain grants the winner access to the pinned version.
	fx.chain.grant(1, provider.addr(), 1, true)
	time.Sleep(1100 * time.Millisecond) // the refusal leaves the access cache

	// The eavesdropper replays the probe it saw, well within the window.
	status, body := get(t, copyOfProbe)
	if status == http.StatusOK {
		t.Errorf("a signed request refused before the award was replayed after it and answered %d: a replayer read the provider's rows", status)
	}
	fx.assertNoByteLeaves(t, "replayed probe", body)
	// The provider itself reads its rows with a request signed anew.
	if status, body := get(t, fx.signed(t, provider, fx.url, "/v1/datasets/1/chunks/0?version=1")); status != http.StatusOK {
		t.Errorf("the provider's own request after the award: %d %s", status, body)
	}
}

package dataserver

import (
	"context"
	"testing"
)

// TestAttackDroppedRequestsCancelTheCatalogRefresh: a signed request naming
// a dataset the server does not list makes it re-read the owners' listings
// (an owner may have just listed it), at most once every 2 seconds. The
// re-read ran under the request's context: a client (a fresh key, nothing
// paid) dropping such a request at once cancelled the re-read, which still
// counted as the one of its 2 seconds; repeated every 2 seconds, it kept an
// owner's newly listed dataset 404 until the next Refresh tick (30 s). The
// re-read is now the server's: a dropped request does not cancel it.
func TestAttackDroppedRequestsCancelTheCatalogRefresh(t *testing.T) {
	fx := newFixture(t, true)
	_, f := testNPY(t, fx.dir, 10, 3, 4)
	ctx := context.Background()
	if err := fx.srv.Load(ctx); err != nil { // the file indexed, not listed yet
		t.Fatal(err)
	}
	fx.chain.list(4, 1, fx.owner.addr(), f)
	fx.chain.grant(4, fx.licensee.addr(), 1, true)
	dropped, cancel := context.WithCancel(ctx)
	cancel() // the attacker's request, dropped as it arrives
	if !fx.srv.refreshSoon(dropped) {
		t.Fatal("a dropped request's re-read of the listings failed: an attacker dropping its requests every 2 s keeps new listings unserved")
	}
	if _, err := fx.licensee.client(fx.url).Download(ctx, 4, 0, Expect{Sha256: f.Sha256}); err != nil {
		t.Fatalf("the dataset listed before the attacker's dropped request is not served: %v", err)
	}
}

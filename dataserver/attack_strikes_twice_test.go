package dataserver

import (
	"net/http"
	"testing"
	"time"
)

// TestAttackWinnerOfThreeJobsTwiceInAnHourLosesItsPool (found by the review of
// 03cdd8a): a provider's first refusal on a dataset is free for strikeFor,
// and a job's grant clears its strikes but not the first refusals it used.
// An honest provider that wins jobs over three datasets of this server in
// one block, its downloads each a block ahead of its award, keeps its pool
// (the fix); its jobs run and end. Twenty minutes later it wins three more
// jobs over the same datasets in one block, its downloads again a block
// ahead of their awards: each refusal is now a strike, three strikes, and
// it is looked up with the strangers, whose pool fresh keys fill, exactly
// the lock-out TestAttackWinnerOfThreeJobsLosesItsPool fixed, for any busy
// provider's second such block within the hour.
func TestAttackWinnerOfThreeJobsTwiceInAnHourLosesItsPool(t *testing.T) {
	fx, _, _ := twoDatasets(t)
	_, f3 := testNPY(t, fx.dir, 8, 3, 3)
	fx.chain.list(3, 1, fx.owner.addr(), f3)
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	ahead := skewClock(fx)
	provider := fx.registered(t)
	paths := []string{"/v1/datasets/1/chunks/0", "/v1/datasets/2/chunks/0", "/v1/datasets/3/chunks/0"}
	for round, job := range []uint64{10, 20} {
		for _, path := range paths {
			fx.wantNoAccess(t, provider, path) // sent a block before its award reached the node
		}
		wantPool(t, fx, provider, poolProviders, "refused once on each of three datasets, a block before their awards, round "+string(rune('1'+round)))
		for id := uint64(1); id <= 3; id++ { // the awards land: the downloads go through
			fx.chain.award(id, provider.addr(), 1, job+id)
		}
		ahead(2 * time.Second) // past the cached refusals
		for _, path := range paths {
			if status, body := get(t, fx.signed(t, provider, fx.url, path+"?version=1")); status != http.StatusOK {
				t.Fatalf("round %d: the awarded provider's %s: %d %s", round+1, path, status, body)
			}
		}
		for id := uint64(1); id <= 3; id++ { // the jobs end
			fx.chain.award(id, provider.addr(), 1, 0)
		}
		ahead(20 * time.Minute) // the next block of wins, well within strikeFor
	}
}

package keeper_test

import (
	"errors"
	"testing"

	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackGenesisDuplicateCommitmentLocksProviderForever: a genesis may
// list one provider's commitment on a job twice, with the provider's
// obligations and lock counted for both (so validateObligations agrees).
// InitGenesis stores one commitment (same key), so the provider keeps an
// obligation and a deposit's lock that no job will ever release: when the
// auction ends, one commitment is released and the provider still cannot
// unbond, its bond stuck for good, and the module's books are broken from
// the import. Validate refuses a commitment or a bid listed twice under
// its (job, provider) key.
func TestAttackGenesisDuplicateCommitmentLocksProviderForever(t *testing.T) {
	s := newSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, 1_000_000)
	id := s.create(req, 1_000)
	s.commit(prov, id, 500)
	gs := s.exportValid()
	// A bid listed twice is refused too (one validates).
	bid := types.Bid{JobId: id, Provider: prov.String(), Price: coin(500)}
	once, twice := *gs, *gs
	once.Bids, twice.Bids = []types.Bid{bid}, []types.Bid{bid, bid}
	if err := once.Validate(); err != nil {
		t.Fatalf("set-up: one bid: %v", err)
	}
	if err := twice.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Errorf("a bid listed twice: Validate returned %v, want ErrInvalidGenesis", err)
	}
	held := s.ta.BankKeeper.GetAllBalances(s.ta.Ctx, moduleAddr())

	forged := *gs
	forged.BidCommits = append(append([]types.BidCommit{}, gs.BidCommits...), gs.BidCommits[0])
	forged.Providers = append([]types.Provider{}, gs.Providers...)
	for i, p := range forged.Providers {
		if p.Address == prov.String() {
			forged.Providers[i].Obligations = 2 * p.Obligations
			forged.Providers[i].Locked = p.Locked.Add(p.Locked)
		}
	}
	fresh := newSuite(t)
	err := fresh.k.InitGenesis(fresh.ta.Ctx, &forged)
	if errors.Is(err, types.ErrInvalidGenesis) {
		return // refused
	}
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	// The escrow the export's module account held (a whole chain's bank
	// genesis would carry it): the auction can end and refund.
	must(t, fresh.ta.BankKeeper.MintCoins(fresh.ta.Ctx, minttypes.ModuleName, held))
	must(t, fresh.ta.BankKeeper.SendCoinsFromModuleToModule(fresh.ta.Ctx, minttypes.ModuleName, types.ModuleName, held))
	broken := fresh.k.CheckInvariants(fresh.ta.Ctx)
	for end := fresh.job(id).RevealEnd; fresh.height() <= end+1; {
		fresh.ta.NextBlock()
	}
	p := fresh.provider(prov)
	_, unbondErr := fresh.ms.UnbondProvider(fresh.ta.Ctx, &types.MsgUnbondProvider{Operator: prov.String()})
	t.Fatalf("a genesis listing one commitment twice imported (invariants: %v); after job %d ended (%s) the provider "+
		"keeps %d obligation(s) and %s locked of %s, and cannot unbond: %v",
		broken, id, fresh.job(id).State, p.Obligations, p.Locked, p.Bond, unbondErr)
}

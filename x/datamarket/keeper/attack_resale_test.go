package keeper_test

import (
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/types"
)

// setupWithAttacker is setup with a fourth account, the attacker.
func setupWithAttacker(t *testing.T) (*suite, apptesting.Account) {
	t.Helper()
	ta := apptesting.Setup(t, 4)
	k := ta.DataMarketKeeper
	return &suite{
		t: t, ta: ta, k: k, ms: keeper.NewMsgServerImpl(k), q: keeper.NewQueryServerImpl(k),
		owner: ta.Accounts[0], buyer: ta.Accounts[1], other: ta.Accounts[2],
		pool: authtypes.NewModuleAddress(common.RewardPoolName),
	}, ta.Accounts[3]
}

// publishVersion publishes a new version of dataset id (empty uri: kept).
func (s *suite) publishVersion(id uint64, file string) {
	s.t.Helper()
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: s.owner.String(), DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16,
		ContentRoot: rootOf(file), Sha256: shaOf(file), RowsSha256: rowsOf(shaOf(file)),
	}); err != nil {
		s.t.Fatalf("update dataset: %v", err)
	}
}

// accessTo reports whether addr may read version of dataset id.
func (s *suite) accessTo(id uint64, addr string, version uint64) bool {
	s.t.Helper()
	res, err := s.q.HasAccess(s.ta.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: addr, Version: version})
	if err != nil {
		s.t.Fatalf("has access: %v", err)
	}
	return res.HasAccess
}

// TestAttackOldVersionLicenceBarsResaleForever: an honest buyer (carol)
// bought a non-transferable PERPETUAL licence of version 1 for 100. The
// owner publishes version 2. A reseller (bob) buys a transferable PERPETUAL
// licence of version 2 for 100 and sells it to carol, who has no access to
// version 2 and could buy exactly that licence from the owner. A transfer
// used to be refused to a recipient holding a running licence of the kind
// of ANY version (ErrAlreadyLicensed): carol's perpetual v1 licence runs
// for ever and cannot be given away, so no PERPETUAL licence of the dataset
// could ever reach her on the secondary market. Now only the cap of running
// licences (maxTransferredLive) refuses a transfer: it goes through, moves
// no coin, and carol reads version 2.
func TestAttackOldVersionLicenceBarsResaleForever(t *testing.T) {
	s := setup(t)
	owner, bob, carol := s.owner.String(), s.buyer.String(), s.other.String()
	id := s.list(listMsg(owner, perpetual(100, false), perpetual(100, true)))
	l := s.ledger(s.buyer.Address, s.other.Address, s.owner.Address, s.pool)
	s.buy(carol, id, 0) // version 1, not transferable
	s.publishVersion(id, "resale-v2")
	res := s.buy(bob, id, 1) // version 2, transferable
	l.expect("bob and carol bought a perpetual licence at 100 each (2.5% to the pool, floor 2 each)", -100, -100, 196, 4)
	if s.accessTo(id, carol, 2) {
		t.Fatal("carol's v1 licence should not cover version 2")
	}
	l = s.ledger(s.buyer.Address, s.other.Address, s.owner.Address, s.pool)
	_, err := s.ms.TransferLicense(s.ta.Ctx, &types.MsgTransferLicense{Licensee: bob, LicenseId: res.LicenseId, Recipient: carol})
	if err != nil {
		t.Fatalf("the reseller cannot deliver a version-2 PERPETUAL licence to a holder of a version-1 one (%v): "+
			"she lacks version 2, could buy it from the owner, but holds a running PERPETUAL licence she cannot shed, so no transfer of this kind can ever reach her", err)
	}
	l.expect("a transfer moves no coin", 0, 0, 0, 0)
	if !s.accessTo(id, carol, 2) || s.accessTo(id, bob, 2) {
		t.Fatalf("after the transfer carol reads version 2: %t, bob: %t", s.accessTo(id, carol, 2), s.accessTo(id, bob, 2))
	}
}

// TestAttackFreeTrialGiftBlocksPaidTransfer: a reseller (bob) sells his
// paid 1,000-block RENTAL (50uaic) to a victim (carol). The attacker takes
// the dataset's free, transferable 5-block trial and gifts it to carol
// ahead of bob's transfer, at no cost but fees. A transfer used to be
// refused to a recipient holding a running licence of the kind
// (ErrAlreadyLicensed): carol got 5 blocks of access instead of 1,000, and
// the attacker could repeat it each time the trial ran out. Now the gift
// and the paid rental both reach carol, who reads the dataset once the
// trial has run out.
func TestAttackFreeTrialGiftBlocksPaidTransfer(t *testing.T) {
	s, attacker := setupWithAttacker(t)
	owner, bob, carol, mallory := s.owner.String(), s.buyer.String(), s.other.String(), attacker.String()
	paid, trial := rental(1000, 50), rental(5, 0)
	paid.Transferable, trial.Transferable = true, true
	id := s.list(listMsg(owner, paid, trial))
	l := s.ledger(s.buyer.Address, attacker.Address, s.other.Address, s.owner.Address, s.pool)
	res := s.buy(bob, id, 0)
	gift := s.buy(mallory, id, 1)
	if _, err := s.ms.TransferLicense(s.ta.Ctx, &types.MsgTransferLicense{Licensee: mallory, LicenseId: gift.LicenseId, Recipient: carol}); err != nil {
		t.Fatal(err)
	}
	l.expect("bob paid 50 (2.5% to the pool, floor 1), the gift nothing", -50, 0, 0, 49, 1)
	l = s.ledger(s.buyer.Address, attacker.Address, s.other.Address, s.owner.Address, s.pool)
	if _, err := s.ms.TransferLicense(s.ta.Ctx, &types.MsgTransferLicense{Licensee: bob, LicenseId: res.LicenseId, Recipient: carol}); err != nil {
		t.Fatalf("a free 5-block trial gifted for 0uaic blocks delivery of a 1,000-block rental carol bought (bob paid 50): %v", err)
	}
	l.expect("a transfer moves no coin", 0, 0, 0, 0, 0)
	for range 6 {
		s.ta.NextBlock()
	}
	if a := s.access(id, carol); !a.HasAccess || a.LicenseId != res.LicenseId {
		t.Fatalf("carol's access once the trial has run out: %+v, want licence %d", a, res.LicenseId)
	}
}

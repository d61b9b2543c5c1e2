package keeper_test

import (
	"bytes"
	"testing"

	"cosmossdk.io/math"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackWeakCommitment (issue 14, attack 7). A reveal with a 0-byte salt
// was accepted (and the README's example used 3 bytes): a competitor that
// reads a commitment in the mempool can grind its price (here a 1-byte salt
// and prices up to 2000: at most 512,000 hashes) and undercut it. Now a
// reveal needs a salt of 16 to 64 bytes (ValidateBasic), make-commitment
// draws 32 random bytes, and a short-salt reveal is refused without moving
// anything; the 16-byte bid is opened and wins.
func TestAttackWeakCommitment(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov := s.acc(0), s.acc(1)
	const bond = 1_000_000
	s.register(prov, bond)
	l := s.ledger(req, prov)
	id := s.create(req, 2_000)
	weak := []byte{0x2a}
	_, err := s.ms.CommitBid(s.ta.Ctx, &types.MsgCommitBid{Provider: prov.String(), JobId: id,
		Commitment: types.BidCommitment(id, prov.String(), coin(1_234), weak)})
	if err != nil {
		t.Fatal(err)
	}
	s.inv()
	// The grind: a one-byte salt gives the price away.
	c, err := s.k.BidCommits.Get(s.ta.Ctx, collectionsKey(id, prov.String()))
	if err != nil {
		t.Fatal(err)
	}
	found := int64(0)
	for price := int64(1); price <= 2_000 && found == 0; price++ {
		for b := 0; b < 256; b++ {
			if bytes.Equal(types.BidCommitment(id, prov.String(), coin(price), []byte{byte(b)}), c.Commitment) {
				found = price
				break
			}
		}
	}
	if found != 1_234 {
		t.Fatalf("the grind found %d", found)
	}
	for s.height() <= s.job(id).CommitEnd {
		s.next(1)
	}
	before := s.snap(req, prov)
	_, err = s.ms.RevealBid(s.ta.Ctx, &types.MsgRevealBid{Provider: prov.String(), JobId: id, Price: coin(1_234), Salt: weak})
	wantErr(t, err, types.ErrBadCommitment)
	s.unchanged(before, req, prov)

	// A 16-byte salt: the bid opens and wins.
	id2 := s.create(req, 2_000)
	s.win(prov, id2, 1_500)
	if j := s.job(id2); j.Winner != prov.String() {
		t.Fatalf("winner %q", j.Winner)
	}
	// The requester paid two creation fees and escrows the live job; the
	// weak job's escrow came back when it closed without a valid reveal. The
	// provider that committed with a weak salt forfeited bid_deposit on it.
	l.delta("requester", req, -2*creationFee-2_000)
	s.bondOf(prov, bond-1_000, 4_000, 1)
}

// TestAttackWashingARecord (issue 14, attack 8). The sample rate counted
// jobs, not value: after a fraud on a large job, a provider could run
// self-dealt jobs of 1 uaic (its accomplice requesting) until the failure
// was diluted away, and cheat again at the floor rate. Now the record is
// weighted by value: the fraud on a job of max_price 100,000 weighs 300,000;
// twenty 1-uaic jobs add 20 to completed_value and leave the rate where it
// was, while costing the pair twenty creation fees (the 1-uaic payments go
// from one to the other, and the protocol fee on them rounds to 0).
func TestAttackWashingARecord(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000     // the fraud is sampled; the floor is 20% from then on
	p.RecentSlashWindowMultiplier = 0 // no 100% window: the record alone sets the rate
	p.SlashFractionFraud = 0          // the slash is the job's collateral
	s.setParams(p)
	victim, cheat, accomplice := s.acc(0), s.acc(1), s.acc(2)
	s.register(cheat, 1_000_000)
	id := s.create(victim, 100_000)
	s.win(cheat, id, 100_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: cheat.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2) // the sampling draw: VERIFYING
	s.verdicts(id, types.Verdict_VERDICT_INVALID, 'a', 11)
	s.wantState(id, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_FRAUD)
	p.SampleRateFloorBps = 2_000
	s.setParams(p)
	s.next(int(p.JailBlocks) + 1)
	if _, err := s.ms.UpdateProvider(s.ta.Ctx, &types.MsgUpdateProvider{Operator: cheat.String(), Moniker: "m",
		Endpoint: "http://127.0.0.1:8090", Hardware: gpuHW(), AddBond: ptr(coin(200_000))}); err != nil {
		t.Fatalf("unjail: %v", err)
	}
	rate := func() uint32 { return keeper.SampleRateBps(s.provider(cheat), s.params(), s.height()) }
	before := rate()
	if want := uint32(2_000 + 8_000*300_000/300_001); before != want {
		t.Fatalf("rate after the fraud %d, want %d", before, want)
	}

	l := s.ledger(cheat, accomplice)
	const washes = 20
	for i := 0; i < washes; i++ {
		w := s.create(accomplice, 1)
		s.win(cheat, w, 1)
		if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: cheat.String(), JobId: w, OutputRoot: root32, ChunkCount: 4}); err != nil {
			t.Fatal(err)
		}
		// A sampled wash job needs a quorum of VALID to be paid: an
		// inconclusive one pays nothing (issue 15).
		for n := 0; s.job(w).State != types.JobState_JOB_STATE_SETTLED; n++ {
			if n > 50 {
				t.Fatalf("wash job %d never settled: %s", w, s.job(w).State)
			}
			if s.job(w).State == types.JobState_JOB_STATE_VERIFYING {
				s.verdicts(w, types.Verdict_VERDICT_VALID, 'a', 20)
				continue
			}
			s.next(1)
		}
	}
	pr := s.provider(cheat)
	if pr.Stats.Completed != washes || !pr.Stats.CompletedValue.Equal(math.NewInt(washes)) {
		t.Fatalf("record after washing: %+v", pr.Stats)
	}
	// Counted by jobs, 20 completions against 1 failure and 1 slash would
	// have brought the rate down to 3000; weighted by value it stays put.
	if after := rate(); after != before {
		t.Fatalf("rate %d after washing, %d before: washed", after, before)
	}
	l.delta("cheat and accomplice together", cheat, washes) // the 20 payments of 1
	l.delta("accomplice", accomplice, -washes*(creationFee+1))
}

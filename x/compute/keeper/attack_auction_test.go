package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackRevealWindowWipeout (issue 14, attack 4). All queues shared one
// per-block budget and RevealBid required the stored REVEAL state: an
// attacker creating more than budget × (reveal_blocks + 1) jobs with the
// same commit end (refunded in full at NO_BIDS: only gas) held other jobs in
// OPEN past their reveal_end, and every bidder on them forfeited. Now the
// phases are by height (a reveal is valid when commit_end < h ≤ reveal_end,
// whatever the stored state), each queue has its own budget, and every job
// pays a non-refundable creation fee: the honest bidder reveals in its
// window and wins with its bond whole; the attacker pays 12 creation fees.
func TestAttackRevealWindowWipeout(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.MaxQueueItemsPerBlock = 2
	s.setParams(p)
	attacker, victim, prov := s.acc(0), s.acc(1), s.acc(2)
	const bond, spam = 1_000_000, 12
	s.register(prov, bond)
	l := s.ledger(attacker, victim, prov)

	for i := 0; i < spam; i++ { // one block: all commit ends at h + 2, ahead of the victim's job
		s.create(attacker, 1_000)
	}
	id := s.create(victim, 10_000)
	s.commit(prov, id, 7_000)
	job := s.job(id)
	for s.height() <= job.CommitEnd {
		s.next(1)
	}
	// Past commit_end the victim's job is still OPEN: its commit-end entry
	// waits behind the spam (2 entries per block). The reveal is in its window.
	if st := s.job(id).State; st != types.JobState_JOB_STATE_OPEN {
		t.Fatalf("victim's job is %s: the backlog did not hold it (the test needs it held)", st)
	}
	if err := s.reveal(prov, id, 7_000); err != nil {
		t.Fatalf("reveal in the window, with the job still OPEN: %v", err)
	}
	s.inv()
	for i := 0; i < 20 && s.job(id).State != types.JobState_JOB_STATE_ASSIGNED; i++ {
		s.next(1)
	}
	if j := s.job(id); j.State != types.JobState_JOB_STATE_ASSIGNED || j.Winner != prov.String() || !j.ClearingPrice.IsEqual(coin(10_000)) {
		t.Fatalf("victim's job: %s, winner %s at %s", j.State, j.Winner, j.ClearingPrice)
	}
	// The honest bidder forfeited nothing: its collateral is locked for the job it won.
	s.bondOf(prov, bond, 20_000, 1)
	l.delta("bidder's account", prov, 0)
	// The spam expired without bids: escrows refunded, creation fees kept.
	l.delta("attacker", attacker, -spam*creationFee)
	l.delta("victim (creation fee, escrow of a live job)", victim, -creationFee-10_000)
	l.delta("reward pool", poolAddr(), (spam+1)*creationFee)
}

// TestAttackForfeitOutOfProportion (issue 14, attack 5). An unrevealed
// commitment forfeited its whole collateral (collateral_ratio × max_price:
// here 2,000,000 on a job of max_price 1,000,000), not the bid_deposit the
// design names. Now it forfeits bid_deposit (1,000) to the reward pool, the
// rest of its collateral is released, and the requester is refunded.
func TestAttackForfeitOutOfProportion(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov := s.acc(0), s.acc(1)
	const bond = 3_000_000
	s.register(prov, bond)
	l := s.ledger(req, prov)
	id := s.create(req, 1_000_000)
	s.commit(prov, id, 900_000)
	s.bondOf(prov, bond, 2_000_000, 1)
	s.next(6) // commit and reveal windows pass without a reveal
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_VALID_REVEAL)
	s.bondOf(prov, bond-1_000, 0, 0)
	l.delta("provider's account", prov, 0)
	l.delta("requester", req, -creationFee)
	l.delta("reward pool", poolAddr(), creationFee+1_000)
	l.delta("module account", moduleAddr(), -1_000)
}

// TestAttackCancelAfterPricesPublic (issue 14, attack 6). A requester could
// cancel during REVEAL, once the bids were being opened and every bidder had
// locked collateral for two windows. Now a job can be cancelled only in its
// commit phase (OPEN, at most commit_end), and never for free: the creation
// fee stays paid. After commit_end the cancel is refused and moves nothing;
// the auction goes on and the bidders are released or awarded as usual.
func TestAttackCancelAfterPricesPublic(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	const bond = 1_000_000
	s.register(p1, bond)
	s.register(p2, bond)
	l := s.ledger(req, p1, p2)

	// In the commit phase: cancelled, escrow refunded, the fee kept,
	// the bidder released whole.
	early := s.create(req, 10_000)
	s.commit(p1, early, 5_000)
	if _, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: early}); err != nil {
		t.Fatal(err)
	}
	s.inv()
	s.bondOf(p1, bond, 0, 0)
	l.delta("requester after an early cancel", req, -creationFee)

	// After the commit phase (p1's price is public once revealed): refused.
	id := s.create(req, 10_000)
	s.commit(p1, id, 5_000)
	s.commit(p2, id, 6_000)
	for s.height() <= s.job(id).CommitEnd {
		s.next(1)
	}
	if err := s.reveal(p1, id, 5_000); err != nil {
		t.Fatal(err)
	}
	before := s.snap(req, p1, p2)
	_, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: id})
	wantErr(t, err, types.ErrWrongState)
	s.unchanged(before, req, p1, p2)
	if err := s.reveal(p2, id, 6_000); err != nil {
		t.Fatal(err)
	}
	for s.job(id).State != types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
	// p1 won at p2's price; p2, the loser, is released whole.
	s.bondOf(p1, bond, 20_000, 1)
	s.bondOf(p2, bond, 0, 0)
	l.delta("p1's account", p1, 0)
	l.delta("p2's account", p2, 0)
	l.delta("requester", req, -2*creationFee-10_000)
}

// TestAttackSybilsFillTheAuction. A job took at most max_bids_per_job
// commitments, first come first served. A provider watching for new jobs
// filled every slot with sybil providers in the block that created the job,
// before honest agents saw it, and revealed them all at max_price: every
// honest commitment was refused (ErrTooManyBids), and a sybil won alone at
// max_price, which the requester paid where two honest bids would have
// cleared at the second of them. Its cost was only the collateral locked for
// the auction's windows, all returned. Now a job takes any number of
// commitments, each locking its own collateral, and the close goes through
// them close_batch_size (here 3) per block: the honest bids get in, the
// lower wins at the other's price, and the sybils get back exactly what they
// put up.
func TestAttackSybilsFillTheAuction(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req := s.acc(0)
	sybils := []sdk.AccAddress{s.acc(1), s.acc(2), s.acc(3)} // the old cap of these params
	honest, runnerUp := s.acc(4), s.acc(5)
	const bond, maxPrice = 1_000_000, 10_000
	for _, a := range append([]sdk.AccAddress{honest, runnerUp}, sybils...) {
		s.register(a, bond)
	}
	l := s.ledger(append([]sdk.AccAddress{req, honest, runnerUp, poolAddr()}, sybils...)...)

	id := s.create(req, maxPrice)
	for _, a := range sybils { // the same block as the job
		s.commit(a, id, maxPrice)
	}
	s.commit(honest, id, 5_000)
	s.commit(runnerUp, id, 6_000)
	for s.height() <= s.job(id).CommitEnd {
		s.next(1)
	}
	reveals := map[string]int64{honest.String(): 5_000, runnerUp.String(): 6_000}
	for _, a := range append([]sdk.AccAddress{honest, runnerUp}, sybils...) {
		price, ok := reveals[a.String()]
		if !ok {
			price = maxPrice
		}
		if err := s.reveal(a, id, price); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 10 && s.job(id).State != types.JobState_JOB_STATE_ASSIGNED; i++ {
		s.next(1)
	}
	j := s.job(id)
	if j.State != types.JobState_JOB_STATE_ASSIGNED || j.Winner != honest.String() || !j.ClearingPrice.IsEqual(coin(6_000)) {
		t.Fatalf("job %s: winner %s at %s; want %s at 6000", j.State, j.Winner, j.ClearingPrice, honest)
	}
	for _, a := range append([]sdk.AccAddress{runnerUp}, sybils...) {
		s.bondOf(a, bond, 0, 0)
	}
	s.bondOf(honest, bond, 2*maxPrice, 1)
	s.settleGemm(honest, id)

	fee := int64(600) // protocol_fee_bps 1000 of the clearing price
	l.delta("requester (creation fee and the second price)", req, -creationFee-6_000)
	l.delta("winner", honest, 6_000-fee)
	l.delta("reward pool", poolAddr(), creationFee+fee)
	l.delta("runner-up", runnerUp, 0)
	for _, a := range sybils {
		l.delta("sybil", a, 0)
		s.bondOf(a, bond, 0, 0)
	}
	s.bondOf(honest, bond, 0, 0)
}

// TestShillRevealIsBoundedByTheWinnersBid measures a limit of the
// commit-reveal second-price auction, not a defence (x/compute README,
// "What the second price does not stop"). Reveals are public transactions
// across the reveal window, and a commitment left unrevealed costs only
// bid_deposit: a requester whose sybil providers committed a grid of prices
// reveals, once the honest bids are out, only the one just above the lowest
// honest bid. Honest H1 bids 2,000 and H2 5,000 (max_price 10,000); the
// sybils committed 2,100 and 4,000, S1 reveals 2,100 and S2 stays silent.
// H1 wins at 2,100 instead of 5,000: the requester pays 2,900 less for a
// 1,000 forfeit. What holds: the winner is never paid below its own bid,
// and the requester's saving is the honest spread less its grid's spacing
// and forfeits.
func TestShillRevealIsBoundedByTheWinnersBid(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, h1, h2, s1, s2 := s.acc(0), s.acc(1), s.acc(2), s.acc(3), s.acc(4)
	for _, p := range []sdk.AccAddress{h1, h2, s1, s2} {
		s.register(p, verifyBond)
	}
	l := s.ledger(req, h1, h2, s1, s2)
	id := s.create(req, 10_000)
	s.commit(h1, id, 2_000)
	s.commit(h2, id, 5_000)
	s.commit(s1, id, 2_100) // the requester's grid
	s.commit(s2, id, 4_000)
	for s.height() <= s.job(id).CommitEnd {
		s.next(1)
	}
	must(t, s.reveal(h1, id, 2_000))
	must(t, s.reveal(h2, id, 5_000))
	s.next(1) // the honest reveals are on chain; the window is still open
	if s.height() > s.job(id).RevealEnd {
		t.Fatal("reveal window closed")
	}
	must(t, s.reveal(s1, id, 2_100)) // just above the lowest honest bid
	for s.job(id).State != types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
	if j := s.job(id); j.Winner != h1.String() || j.ClearingPrice.Amount.Int64() != 2_100 {
		t.Fatalf("winner %s at %s, want H1 at 2100", j.Winner, j.ClearingPrice)
	}
	s.settleGemm(h1, id)
	if b := s.provider(s2).Bond; !b.IsEqual(coin(verifyBond - 1_000)) {
		t.Fatalf("the silent sybil's bond %s, want bid_deposit forfeited", b)
	}
	fee := 2_100 * int64(attackParams().ProtocolFeeBps) / 10_000
	l.delta("requester: creation fee and the shill's 2,100", req, -creationFee-2_100)
	l.delta("honest winner H1: the shill's price less the protocol fee, above its bid less the fee", h1, 2_100-fee)
	l.delta("H2 released", h2, 0)
}

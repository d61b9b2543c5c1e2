package keeper_test

import (
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	ibctransfertypes "github.com/cosmos/ibc-go/v10/modules/apps/transfer/types"

	"github.com/aichain/aichain/x/compute/types"
)

// Helpers for jobs priced in a denom other than the bond denom (issue 19):
// an IBC voucher as ibc-go names it, minted by the transfer module as a
// relayed transfer would.

// ibcDenom is the voucher of "transfer/channel-0/ustake" on this chain.
var ibcDenom = ibctransfertypes.NewDenom("ustake", ibctransfertypes.NewHop(ibctransfertypes.PortID, "channel-0")).IBCDenom()

func icoin(n int64) sdk.Coin { return sdk.NewCoin(ibcDenom, math.NewInt(n)) }

// ibal is a's balance of the voucher.
func (s *suite) ibal(a sdk.AccAddress) math.Int { return s.ta.Balance(a, ibcDenom) }

// allowIBC adds the voucher to allowed_denoms through MsgUpdateParams.
func (s *suite) allowIBC() {
	s.t.Helper()
	p := s.params()
	p.AllowedDenoms = []string{denom, ibcDenom}
	s.setParams(p)
}

// fundIBC mints n vouchers to each account through the transfer module.
func (s *suite) fundIBC(n int64, accs ...sdk.AccAddress) {
	s.t.Helper()
	for _, a := range accs {
		if err := s.ta.BankKeeper.MintCoins(s.ta.Ctx, ibctransfertypes.ModuleName, sdk.NewCoins(icoin(n))); err != nil {
			s.t.Fatal(err)
		}
		if err := s.ta.BankKeeper.SendCoinsFromModuleToAccount(s.ta.Ctx, ibctransfertypes.ModuleName, a, sdk.NewCoins(icoin(n))); err != nil {
			s.t.Fatal(err)
		}
	}
}

// createIn creates req's gemm job priced at maxPrice (any denom).
func (s *suite) createIn(req sdk.AccAddress, maxPrice sdk.Coin) (uint64, error) {
	m := s.createMsg(req, 0)
	m.MaxPrice = maxPrice
	res, err := s.ms.CreateJob(s.ta.Ctx, m)
	if err != nil {
		return 0, err
	}
	s.inv()
	return res.JobId, nil
}

// commitIn has p commit to price (any denom) on job id.
func (s *suite) commitIn(p sdk.AccAddress, id uint64, price sdk.Coin) error {
	_, err := s.ms.CommitBid(s.ta.Ctx, &types.MsgCommitBid{
		Provider: p.String(), JobId: id, Commitment: types.BidCommitment(id, p.String(), price, salt(p)),
	})
	if err == nil {
		s.inv()
	}
	return err
}

func (s *suite) revealIn(p sdk.AccAddress, id uint64, price sdk.Coin) error {
	_, err := s.ms.RevealBid(s.ta.Ctx, &types.MsgRevealBid{Provider: p.String(), JobId: id, Price: price, Salt: salt(p)})
	return err
}

// ibcAuction runs an auction on a voucher job of maxPrice: p1 commits and
// reveals price1, p2 price2, p3 (if any) commits and never reveals; it
// returns the job once ASSIGNED to p1 at p2's price.
func (s *suite) ibcAuction(req, p1, p2, p3 sdk.AccAddress, price1, price2, maxPrice int64) uint64 {
	s.t.Helper()
	id, err := s.createIn(req, icoin(maxPrice))
	if err != nil {
		s.t.Fatal(err)
	}
	bidders := []sdk.AccAddress{p1, p2}
	if p3 != nil {
		bidders = append(bidders, p3)
	}
	for i, b := range bidders {
		if err := s.commitIn(b, id, icoin([]int64{price1, price2, price1}[i])); err != nil {
			s.t.Fatal(err)
		}
	}
	s.next(3)
	for i, b := range bidders[:2] {
		if err := s.revealIn(b, id, icoin([]int64{price1, price2}[i])); err != nil {
			s.t.Fatal(err)
		}
	}
	s.next(2)
	s.wantState(id, types.JobState_JOB_STATE_ASSIGNED, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	return id
}

// iledger is ledger for the voucher: balances to the coin.
type iledger struct {
	s      *suite
	before map[string]math.Int
}

func (s *suite) iledger(accs ...sdk.AccAddress) iledger {
	l := iledger{s: s, before: map[string]math.Int{}}
	for _, a := range append(accs, moduleAddr(), poolAddr()) {
		l.before[a.String()] = s.ibal(a)
	}
	return l
}

func (l iledger) delta(what string, a sdk.AccAddress, want int64) {
	l.s.t.Helper()
	if got := l.s.ibal(a).Sub(l.before[a.String()]); !got.Equal(math.NewInt(want)) {
		l.s.t.Fatalf("%s: voucher balance changed by %s, want %d", what, got, want)
	}
}

// settleGemm is settleHonestly for a gemm job of the test workload (4 chunks).
func (s *suite) settleGemm(prov sdk.AccAddress, id uint64) {
	s.t.Helper()
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		s.t.Fatal(err)
	}
	s.inv()
	for i := 0; i < 1000 && s.job(id).State != types.JobState_JOB_STATE_SETTLED; i++ {
		s.next(1)
	}
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
}

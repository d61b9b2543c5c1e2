package keeper_test

import (
	"bytes"
	"errors"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestLegacyLongShareHoldersStayPayable: a dataset whose owner set a share
// holder of a 40-byte address before common.MaxShareAddressBytes (the SDK
// takes up to 255; a chain upgraded to this release keeps the list). The
// chain must go on as before for it: its export validates and imports (a
// chain that cannot restart from its own export is stuck), and a purchase
// pays the long holder its part, to the coin (a refusal at payout would take
// the owner's revenue). Only a new list with such an address is refused,
// with ErrInvalidShares, and changes nothing.
func TestLegacyLongShareHoldersStayPayable(t *testing.T) {
	s := setup(t)
	ctx := s.ta.Ctx
	long := sdk.AccAddress(bytes.Repeat([]byte{0x4c}, 40))
	const price = 1_000_003
	id := s.list(listMsg(s.owner.String(), perpetual(price, false)))
	d, err := s.k.GetDataset(ctx, id)
	mustOK(t, err)
	d.Shares = []common.Share{{Address: s.owner.String(), Weight: 1}, {Address: long.String(), Weight: 3}}
	mustOK(t, s.k.Datasets.Set(ctx, id, d)) // as a list set before the rule is stored

	gs, err := s.k.ExportGenesis(ctx)
	mustOK(t, err)
	if err := gs.Validate(); err != nil {
		t.Fatalf("the chain's own export is refused: %v", err)
	}
	fresh := setup(t)
	if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); err != nil {
		t.Fatalf("the chain's own export does not import: %v", err)
	}

	buyer := s.ta.NewAccount(coins(price))
	ownerBefore := s.ta.Balance(s.owner.Address, denom)
	s.buy(buyer.String(), id, 0)
	net := math.NewInt(price).Sub(common.FeePart(coins(price), types.DefaultMarketFeeBps).AmountOf(denom))
	parts, err := common.SplitAmount(net, d.Shares)
	mustOK(t, err)
	if got := s.ta.Balance(long, denom); !got.Equal(parts[1]) {
		t.Errorf("the long holder received %s, want its part %s of %s", got, parts[1], net)
	}
	if got := s.ta.Balance(s.owner.Address, denom).Sub(ownerBefore); !got.Equal(parts[0]) {
		t.Errorf("the owner received %s, want its part %s of %s", got, parts[0], net)
	}

	msg := &types.MsgUpdateDatasetShares{Owner: s.owner.String(), DatasetId: id, Shares: d.Shares}
	if err := msg.ValidateBasic(); !errors.Is(err, types.ErrInvalidShares) {
		t.Errorf("a new list naming a 40-byte holder: %v, want ErrInvalidShares", err)
	}
	d.Shares = []common.Share{{Address: s.owner.String(), Weight: 1}}
	mustOK(t, s.k.Datasets.Set(ctx, id, d))
	before := s.snap(s.owner.Address)
	s.expectFail("update to a 40-byte holder", types.ErrInvalidShares, func() error {
		return s.k.UpdateDatasetShares(ctx, s.owner.Address, id, msg.Shares)
	})
	s.unchanged(before, "refused update", s.owner.Address)
	if got, _ := s.k.GetDataset(ctx, id); len(got.Shares) != 1 {
		t.Errorf("a refused update changed the shares: %v", got.Shares)
	}
}

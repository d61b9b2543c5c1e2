package keeper_test

import (
	"fmt"
	"math"
	"math/big"
	"testing"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

// reimport exports the module's state, lets edit change it (a doctored or
// broken export) and imports it again, as a chain restarted from it would.
func (s *suite) reimport(edit func(*types.GenesisState)) {
	s.t.Helper()
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	edit(gs)
	if err := s.k.InitGenesis(s.ta.Ctx, gs); err != nil {
		s.t.Fatalf("import: %v", err)
	}
}

// deliver runs a Msg as a transaction does: on a branch of the state,
// written only if it succeeds.
func (s *suite) deliver(msg func(ctx sdk.Context) error) error {
	ctx, write := s.ta.Ctx.CacheContext()
	err := msg(ctx)
	if err == nil {
		write()
	}
	return err
}

// An attacker runs a chain of its own and sends aichain, over IBC, a
// voucher of 2^255 units. As dataset owner it sets a PER_JOB price in it;
// as requester it escrows that fee in a job that an honest provider wins.
// When the job closed, ChargeJobDatasetFee's market fee (amount × bps)
// passed the 256 bits of an Int and panicked: x/compute's settlement queue
// retried the job at every block for ever, the provider never paid nor its
// collateral freed. The split no longer overflows (common.FeePart), and a price past
// common.MaxAmountBits, which the sums after it could not hold, is refused at
// listing and update, and a fee passed in by x/compute is refused as an
// error that moves nothing (x/compute then pays the reward pool, goes on).
func TestAttackHugePerJobFeePanicsSettlement(t *testing.T) {
	s := setup(t)
	owner := s.owner.String()
	const voucher = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
	huge := sdk.NewCoins(sdk.NewCoin(voucher, sdkmath.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 255))))
	hugeOffer := types.LicenseOffer{Kind: types.LICENSE_KIND_PER_JOB, Price: huge}
	id := s.list(listMsg(owner, perJob(10)))
	escrow := govtypes.ModuleName // stands in for x/compute's account
	if err := s.ta.BankKeeper.MintCoins(s.ta.Ctx, "mint", huge); err != nil {
		t.Fatal(err)
	}
	if err := s.ta.BankKeeper.SendCoinsFromModuleToModule(s.ta.Ctx, "mint", escrow, huge); err != nil {
		t.Fatal(err)
	}
	if err := s.k.GrantJobAccessVersion(s.ta.Ctx, id, 1, 0, s.other.String()); err != nil {
		t.Fatal(err)
	}
	before := []sdkmath.Int{s.ta.Balance(authtypes.NewModuleAddress(escrow), voucher), s.ta.Balance(s.pool, voucher), s.ta.Balance(s.owner.Address, voucher)}
	s.expectFail("charging a 2^255 fee at settlement", types.ErrInvalidFee, func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return s.k.ChargeJobDatasetFee(s.ta.Ctx, id, 1, escrow, huge, []common.Share{{Address: owner, Weight: 1}})
	})
	for i, a := range []sdk.AccAddress{authtypes.NewModuleAddress(escrow), s.pool, s.owner.Address} {
		if got := s.ta.Balance(a, voucher); !got.Equal(before[i]) {
			t.Fatalf("the refused charge moved %s's voucher: %s -> %s", a, before[i], got)
		}
	}
	s.expectFail("listing a 2^255 price", types.ErrInvalidOffer, func() error {
		_, err := s.ms.ListDataset(s.ta.Ctx, listMsg(owner, hugeOffer))
		return err
	})
	s.expectFail("updating to a 2^255 price", types.ErrInvalidOffer, func() error {
		_, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
			Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: rootOf("huge"), Sha256: shaOf("huge"), RowsSha256: rowsOf(shaOf("huge")),
			Offers: []types.LicenseOffer{hugeOffer},
		})
		return err
	})
}

// A genesis (a chain restarted from a doctored export) starts the dataset
// and licence id sequences at 2^64-1. The attacker lists two datasets and
// buys two licences: each sequence wrapped past 2^64-1 to 0 and gave id 1
// again, so that the attacker's second dataset overwrote the owner's
// dataset 1 (taking it over, with its buyers' licences) and its second
// licence overwrote the buyer's licence 1 (the buyer's paid access gone).
// Ids never wrap: the listings and purchases are refused (ErrIDsExhausted)
// and cost nothing; dataset 1 and licence 1 stay as they were.
func TestAttackGenesisIDWrapOverwritesDatasetAndLicence(t *testing.T) {
	s := setup(t)
	owner, buyer, attacker := s.owner.String(), s.buyer.String(), s.other.String()
	id := s.list(listMsg(owner, perpetual(100, false), rental(10, 50)))
	lic := s.buy(buyer, id, 0)
	victim := s.list(listMsg(owner, perpetual(100, false), rental(10, 50)))
	s.reimport(func(gs *types.GenesisState) { gs.NextDatasetId, gs.NextLicenseId = math.MaxUint64, math.MaxUint64 })
	l := s.ledger(s.owner.Address, s.buyer.Address, s.other.Address, s.pool)
	for i := 0; i < 2; i++ {
		if err := s.deliver(func(ctx sdk.Context) error {
			_, err := s.ms.ListDataset(ctx, listMsg(attacker, perpetual(1, false)))
			return err
		}); err != nil && !types.ErrIDsExhausted.Is(err) {
			t.Fatalf("listing %d: %v", i, err)
		}
		if err := s.deliver(func(ctx sdk.Context) error {
			_, err := s.ms.PurchaseLicense(ctx, &types.MsgPurchaseLicense{Buyer: attacker, DatasetId: victim, OfferIndex: uint32(i), MaxPrice: ample})
			return err
		}); err != nil && !types.ErrIDsExhausted.Is(err) {
			t.Fatalf("purchase %d: %v", i, err)
		}
	}
	if d := listedDataset(t, s, id); d.Owner != owner {
		t.Fatalf("dataset %d after the wrap: owner %s, want %s", id, d.Owner, owner)
	}
	if got, err := s.k.GetLicense(s.ta.Ctx, lic.LicenseId); err != nil || got.Licensee != buyer || got.DatasetId != id {
		t.Fatalf("licence %d after the wrap: %+v, %v; want the buyer's of dataset %d", lic.LicenseId, got, err, id)
	}
	if a := s.access(id, buyer); !a.HasAccess || a.LicenseId != lic.LicenseId {
		t.Fatalf("the buyer's access after the wrap: %+v", a)
	}
	l.expect("refused listings and purchases", 0, 0, 0, 0)
	s.expectFail("a listing past the last id", types.ErrIDsExhausted, func() error {
		_, err := s.ms.ListDataset(s.ta.Ctx, listMsg(attacker, perpetual(1, false)))
		return err
	})
	s.expectFail("a purchase past the last id", types.ErrIDsExhausted, func() error {
		return s.deliver(func(ctx sdk.Context) error {
			_, err := s.ms.PurchaseLicense(ctx, &types.MsgPurchaseLicense{Buyer: attacker, DatasetId: victim, MaxPrice: ample})
			return err
		})
	})
}

// A licence imported with an expiry near the int64 maximum (a doctored or
// broken export; a renter's licence that in effect never ends). Its owner
// renews it (a wallet that renews what it holds): one term past that expiry
// overflowed int64 to a negative height, which passed the max_term check,
// so the renewal was sold and the licence then ended at once — the renter
// paid the price and lost the access it held. The renewal is refused
// (ErrRenewalTooEarly), costs nothing, and the access stays.
func TestAttackGenesisFarExpiryRenewalOverflows(t *testing.T) {
	s := setup(t)
	buyer := s.buyer.String()
	id := s.list(listMsg(s.owner.String(), rental(10, 100)))
	lic := s.buy(buyer, id, 0)
	s.reimport(func(gs *types.GenesisState) { gs.Licenses[0].ExpiresHeight = math.MaxInt64 - 5 })
	l := s.ledger(s.buyer.Address, s.owner.Address, s.pool)
	s.expectFail("renewing past int64", types.ErrRenewalTooEarly, func() error {
		_, err := s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{Licensee: buyer, LicenseId: lic.LicenseId, MaxPrice: s.priceCap(id, 0)})
		return err
	})
	l.expect("the refused renewal", 0, 0, 0)
	if a := s.access(id, buyer); !a.HasAccess || a.ExpiresHeight != math.MaxInt64-5 {
		t.Fatalf("the renter's access after the renewal: %+v", a)
	}
}

package types

import (
	"encoding/hex"
	"strings"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload/merkle"
)

var (
	_ sdk.Msg = &MsgCommitContent{}
	_ sdk.Msg = &MsgListDataset{}
	_ sdk.Msg = &MsgUpdateDataset{}
	_ sdk.Msg = &MsgDelistDataset{}
	_ sdk.Msg = &MsgPurchaseLicense{}
	_ sdk.Msg = &MsgRenewLicense{}
	_ sdk.Msg = &MsgTransferLicense{}
	_ sdk.Msg = &MsgUpdateDatasetShares{}
	_ sdk.Msg = &MsgTransferDataset{}
	_ sdk.Msg = &MsgAcceptDataset{}
	_ sdk.Msg = &MsgCancelDatasetTransfer{}
	_ sdk.Msg = &MsgUpdateParams{}
)

// Short returns the kind's name without its prefix ("PERPETUAL", "RENTAL", ...).
func (k LicenseKind) Short() string {
	return strings.TrimPrefix(k.String(), "LICENSE_KIND_")
}

// Term returns the offer's term in blocks: RENTAL's duration, SUBSCRIPTION's
// period, 0 otherwise.
func (o LicenseOffer) Term() uint64 {
	switch o.Kind {
	case LICENSE_KIND_RENTAL:
		return o.DurationBlocks
	case LICENSE_KIND_SUBSCRIPTION:
		return o.PeriodBlocks
	default:
		return 0
	}
}

// RenewalOffer is the offer a licence renews under: the dataset's current
// offer of the licence's kind — the one at the licence's offer index if it
// is still of that kind, else the first of that kind. Price and term are
// today's, never the licence's old snapshot. ErrNotRenewable when the
// dataset no longer offers the kind.
func RenewalOffer(d Dataset, l License) (uint32, LicenseOffer, error) {
	if int(l.OfferIndex) < len(d.Offers) && d.Offers[l.OfferIndex].Kind == l.Kind {
		return l.OfferIndex, d.Offers[l.OfferIndex], nil
	}
	for i, o := range d.Offers {
		if o.Kind == l.Kind {
			return uint32(i), o, nil
		}
	}
	return 0, LicenseOffer{}, errorsmod.Wrapf(ErrNotRenewable, "dataset %d no longer offers %s licences", d.Id, l.Kind.Short())
}

// Validate checks an offer statelessly.
func (o LicenseOffer) Validate() error {
	switch o.Kind {
	case LICENSE_KIND_PERPETUAL, LICENSE_KIND_PER_JOB:
		if o.DurationBlocks != 0 || o.PeriodBlocks != 0 {
			return errorsmod.Wrapf(ErrInvalidOffer, "a %s offer takes no duration or period", o.Kind.Short())
		}
	case LICENSE_KIND_RENTAL:
		if o.DurationBlocks == 0 || o.PeriodBlocks != 0 {
			return errorsmod.Wrap(ErrInvalidOffer, "a RENTAL offer needs duration_blocks > 0 and no period_blocks")
		}
	case LICENSE_KIND_SUBSCRIPTION:
		if o.PeriodBlocks == 0 || o.DurationBlocks != 0 {
			return errorsmod.Wrap(ErrInvalidOffer, "a SUBSCRIPTION offer needs period_blocks > 0 and no duration_blocks")
		}
	default:
		return errorsmod.Wrapf(ErrInvalidOffer, "unknown kind %d", o.Kind)
	}
	if err := o.Price.Validate(); err != nil {
		return errorsmod.Wrapf(ErrInvalidOffer, "price %s: %v", o.Price, err)
	}
	if len(o.Price) > 1 {
		// A buyer caps a purchase with one max_price coin: a price of several
		// denoms could never be bought.
		return errorsmod.Wrapf(ErrInvalidOffer, "price %s: one denom at most", o.Price)
	}
	// A voucher that large can come over IBC from a chain the owner runs,
	// and the sums a payment adds it to would overflow.
	if err := common.CheckAmountBits("price", o.Price...); err != nil {
		return errorsmod.Wrap(ErrInvalidOffer, err.Error())
	}
	if o.Kind == LICENSE_KIND_PER_JOB && o.Transferable {
		return errorsmod.Wrap(ErrInvalidOffer, "a PER_JOB offer cannot be transferable")
	}
	return nil
}

// ValidateOffers checks an offer list: 1 or more valid offers, at most one PER_JOB.
func ValidateOffers(offers []LicenseOffer) error {
	if len(offers) == 0 {
		return errorsmod.Wrap(ErrInvalidOffer, "at least one offer is required")
	}
	perJob := 0
	for i, o := range offers {
		if err := o.Validate(); err != nil {
			return errorsmod.Wrapf(err, "offer %d", i)
		}
		if o.Kind == LICENSE_KIND_PER_JOB {
			perJob++
		}
	}
	if perJob > 1 {
		return errorsmod.Wrap(ErrInvalidOffer, "at most one PER_JOB offer")
	}
	return nil
}

// ValidateContent checks a dataset version's content fields statelessly:
// a stored version's (genesis) as a published one's, which the messages
// also hold to ValidateChunking (validateNewContent).
func ValidateContent(rows, cols, rowsPerChunk uint64, contentRoot []byte, sha string) error {
	if rows == 0 || cols == 0 {
		return errorsmod.Wrapf(ErrInvalidDataset, "rows and cols must be positive (got %d×%d)", rows, cols)
	}
	if rows > 1<<40 || cols > 1<<20 {
		return errorsmod.Wrapf(ErrInvalidDataset, "shape %d×%d is too large", rows, cols)
	}
	if rowsPerChunk == 0 || rowsPerChunk > rows {
		return errorsmod.Wrapf(ErrInvalidDataset, "rows_per_chunk must be in 1..rows (%d), got %d", rows, rowsPerChunk)
	}
	if len(contentRoot) != merkle.HashSize {
		return errorsmod.Wrapf(ErrInvalidDataset, "content_root must be %d bytes, got %d", merkle.HashSize, len(contentRoot))
	}
	if err := ValidateSHA256(sha); err != nil {
		return err
	}
	return nil
}

// ValidateRowsSHA256 checks a listing's rows_sha256: the lowercase hex
// SHA-256 of the file's rows alone, required of every new version.
func ValidateRowsSHA256(rowsSha string) error {
	if err := ValidateSHA256(rowsSha); err != nil {
		return errorsmod.Wrapf(ErrInvalidDataset, "rows_sha256 (the sha256 of the file's rows, without the .npy header) must be 64 lowercase hex digits, got %q", rowsSha)
	}
	return nil
}

// ValidateSHA256 checks a lowercase hex SHA-256 digest.
func ValidateSHA256(sha string) error {
	if len(sha) != 64 || strings.ToLower(sha) != sha {
		return errorsmod.Wrapf(ErrInvalidDataset, "sha256 must be 64 lowercase hex digits, got %q", sha)
	}
	if _, err := hex.DecodeString(sha); err != nil {
		return errorsmod.Wrapf(ErrInvalidDataset, "sha256 %q: %v", sha, err)
	}
	return nil
}

// ValidateURI checks a dataset's uri, the base URL of the dataset server
// that providers and buyers fetch its versions from with signed requests:
// common.CheckFetchURL, at most HardMaxURILen bytes. Anything else cannot
// be fetched, and a control character in it would reach every provider's
// logs and requests (TestAttackDatamarketListsUnfetchableURI); a
// right-to-left override would show a provider or a buyer another address
// than the one fetched (TestAttackListsURIWithoutHostOrWithBidiOverride).
func ValidateURI(uri string) error {
	if err := common.CheckFetchURL(uri, int(HardMaxURILen)); err != nil {
		return errorsmod.Wrap(ErrInvalidDataset, err.Error())
	}
	return nil
}

func validateAddress(field, addr string) error {
	if _, err := sdk.AccAddressFromBech32(addr); err != nil {
		return errorsmod.Wrapf(ErrInvalidRequest, "%s %q: %v", field, addr, err)
	}
	return nil
}

// ValidateBasic checks the message statelessly.
func (m *MsgListDataset) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if strings.TrimSpace(m.Name) == "" {
		return errorsmod.Wrap(ErrInvalidDataset, "name is required")
	}
	if !ValidFormat(m.Format) {
		return errorsmod.Wrapf(ErrInvalidDataset, "format must be %q or %q, got %q", FormatNpyF32, FormatNpyI32, m.Format)
	}
	if err := validateNewContent(m.Rows, m.Cols, m.RowsPerChunk, m.ContentRoot, m.Sha256); err != nil {
		return err
	}
	if err := ValidateRowsSHA256(m.RowsSha256); err != nil {
		return err
	}
	if err := ValidateURI(m.Uri); err != nil {
		return err
	}
	if err := ValidateOffers(m.Offers); err != nil {
		return err
	}
	if len(m.Shares) > 0 {
		if err := common.ValidateNewShares(m.Shares); err != nil {
			return errorsmod.Wrap(ErrInvalidShares, err.Error())
		}
	}
	return nil
}

// ValidateBasic checks the message statelessly.
func (m *MsgUpdateDataset) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.DatasetId == 0 {
		return errorsmod.Wrap(ErrInvalidRequest, "dataset_id is required")
	}
	if err := validateNewContent(m.Rows, m.Cols, m.RowsPerChunk, m.ContentRoot, m.Sha256); err != nil {
		return err
	}
	if err := ValidateRowsSHA256(m.RowsSha256); err != nil {
		return err
	}
	// Empty keeps the current uri (UpdateDataset).
	if m.Uri != "" {
		if err := ValidateURI(m.Uri); err != nil {
			return err
		}
	}
	if len(m.Offers) > 0 {
		if err := ValidateOffers(m.Offers); err != nil {
			return err
		}
	}
	return nil
}

// ValidateBasic checks the message statelessly.
func (m *MsgDelistDataset) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.DatasetId == 0 {
		return errorsmod.Wrap(ErrInvalidRequest, "dataset_id is required")
	}
	return nil
}

// ValidateMaxPrice checks a purchase's or renewal's max_price: it is
// required (a valid denom; the amount may be zero, which buys only a free
// offer), so that no wallet signs a purchase without a cap.
func ValidateMaxPrice(max sdk.Coin) error {
	if max.Denom == "" || max.Amount.IsNil() {
		return errorsmod.Wrap(ErrInvalidRequest, "max_price is required (e.g. 1000uaic; 0uaic buys only a free offer)")
	}
	if err := sdk.ValidateDenom(max.Denom); err != nil {
		return errorsmod.Wrapf(ErrInvalidRequest, "max_price denom %q: %v", max.Denom, err)
	}
	if max.Amount.IsNegative() {
		return errorsmod.Wrapf(ErrInvalidRequest, "max_price %s is negative", max)
	}
	return nil
}

// CheckMaxPrice refuses a price above max: a coin of another denom, or more
// of max's denom. A free price passes any max.
func CheckMaxPrice(price sdk.Coins, max sdk.Coin) error {
	for _, c := range price {
		if c.Denom != max.Denom || c.Amount.GT(max.Amount) {
			return errorsmod.Wrapf(ErrPriceAboveMax, "the price is %s, max_price %s", price, max)
		}
	}
	return nil
}

// CheckExpectedOffer refuses an offer whose kind, term or transferability
// differ from expected, the offer a buyer saw (nil: the buyer set none).
// The price is not compared: max_price caps it.
func CheckExpectedOffer(offer LicenseOffer, expected *LicenseOffer) error {
	if expected == nil {
		return nil
	}
	if offer.Kind != expected.Kind || offer.Term() != expected.Term() || offer.Transferable != expected.Transferable {
		return errorsmod.Wrapf(ErrOfferChanged, "the offer is a %s of %d blocks (transferable %t); the buyer expected a %s of %d blocks (transferable %t)",
			offer.Kind.Short(), offer.Term(), offer.Transferable, expected.Kind.Short(), expected.Term(), expected.Transferable)
	}
	return nil
}

// CheckRenewalTerms refuses a renewal under offer whose term is below
// m.MinTermBlocks, the shortest the licensee pays for (0: none set), or
// that is not transferable where m.RequireTransferable asks it to be (the
// renewed licence takes the offer's transferability).
func CheckRenewalTerms(offer LicenseOffer, m *MsgRenewLicense) error {
	if offer.Term() < m.MinTermBlocks {
		return errorsmod.Wrapf(ErrOfferChanged, "the renewal's term is %d blocks; the licensee asked for at least %d", offer.Term(), m.MinTermBlocks)
	}
	if m.RequireTransferable && !offer.Transferable {
		return errorsmod.Wrap(ErrOfferChanged, "the renewal's offer is not transferable; the licensee asked for a transferable licence")
	}
	return nil
}

// ValidateBasic checks the message statelessly.
func (m *MsgPurchaseLicense) ValidateBasic() error {
	if err := validateAddress("buyer", m.Buyer); err != nil {
		return err
	}
	if m.DatasetId == 0 {
		return errorsmod.Wrap(ErrInvalidRequest, "dataset_id is required")
	}
	return ValidateMaxPrice(m.MaxPrice)
}

// ValidateBasic checks the message statelessly.
func (m *MsgRenewLicense) ValidateBasic() error {
	if err := validateAddress("licensee", m.Licensee); err != nil {
		return err
	}
	if m.LicenseId == 0 {
		return errorsmod.Wrap(ErrInvalidRequest, "license_id is required")
	}
	return ValidateMaxPrice(m.MaxPrice)
}

// ValidateBasic checks the message statelessly.
func (m *MsgUpdateDatasetShares) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.DatasetId == 0 {
		return errorsmod.Wrap(ErrInvalidRequest, "dataset_id is required")
	}
	if err := common.ValidateNewShares(m.Shares); err != nil {
		return errorsmod.Wrap(ErrInvalidShares, err.Error())
	}
	return nil
}

// ValidateBasic checks the message statelessly.
func (m *MsgTransferDataset) ValidateBasic() error {
	owner, err := sdk.AccAddressFromBech32(m.Owner)
	if err != nil {
		return errorsmod.Wrapf(ErrInvalidRequest, "owner %q: %v", m.Owner, err)
	}
	newOwner, err := sdk.AccAddressFromBech32(m.NewOwner)
	if err != nil {
		return errorsmod.Wrapf(ErrInvalidRequest, "new_owner %q: %v", m.NewOwner, err)
	}
	if m.DatasetId == 0 {
		return errorsmod.Wrap(ErrInvalidRequest, "dataset_id is required")
	}
	if owner.Equals(newOwner) {
		return errorsmod.Wrap(ErrInvalidOwner, "new_owner is the owner")
	}
	return nil
}

// ValidateBasic checks the message statelessly.
func (m *MsgTransferLicense) ValidateBasic() error {
	if err := validateAddress("licensee", m.Licensee); err != nil {
		return err
	}
	if err := validateAddress("recipient", m.Recipient); err != nil {
		return err
	}
	if m.LicenseId == 0 {
		return errorsmod.Wrap(ErrInvalidRequest, "license_id is required")
	}
	if m.Licensee == m.Recipient {
		return errorsmod.Wrap(ErrInvalidRequest, "recipient is the licensee")
	}
	return nil
}

// ValidateBasic checks the message statelessly.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validateAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

// ValidateBasic checks the message statelessly.
func (m *MsgAcceptDataset) ValidateBasic() error {
	if err := validateAddress("new_owner", m.NewOwner); err != nil {
		return err
	}
	if m.DatasetId == 0 {
		return errorsmod.Wrap(ErrInvalidRequest, "dataset_id is required")
	}
	return nil
}

// ValidateBasic checks the message statelessly.
func (m *MsgCancelDatasetTransfer) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.DatasetId == 0 {
		return errorsmod.Wrap(ErrInvalidRequest, "dataset_id is required")
	}
	return nil
}

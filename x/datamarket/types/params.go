package types

import (
	errorsmod "cosmossdk.io/errors"

	"github.com/aichain/aichain/types/common"
)

// Default parameter values.
const (
	DefaultMarketFeeBps        uint32 = 250 // 2.5% of every sale to the reward pool
	DefaultMaxOffers           uint32 = 8
	DefaultMaxNameLen          uint32 = 128
	DefaultMaxDescriptionLen   uint32 = 2048
	DefaultMaxURILen           uint32 = 512
	DefaultMaxTermBlocks       uint64 = 10_000_000 // ~1 year of 3 s blocks
	DefaultMaxExpiriesPerBlock uint32 = 200
)

// DefaultParams returns the default params.
func DefaultParams() Params {
	return Params{
		MarketFeeBps:        DefaultMarketFeeBps,
		MaxOffers:           DefaultMaxOffers,
		MaxNameLen:          DefaultMaxNameLen,
		MaxDescriptionLen:   DefaultMaxDescriptionLen,
		MaxUriLen:           DefaultMaxURILen,
		MaxTermBlocks:       DefaultMaxTermBlocks,
		MaxExpiriesPerBlock: DefaultMaxExpiriesPerBlock,
	}
}

// Validate checks the params.
func (p Params) Validate() error {
	if p.MarketFeeBps > common.BasisPoints {
		return errorsmod.Wrapf(ErrInvalidParams, "market_fee_bps %d exceeds %d", p.MarketFeeBps, common.BasisPoints)
	}
	if p.MaxOffers == 0 || p.MaxOffers > 64 {
		return errorsmod.Wrapf(ErrInvalidParams, "max_offers must be in 1..64, got %d", p.MaxOffers)
	}
	if p.MaxNameLen == 0 {
		return errorsmod.Wrap(ErrInvalidParams, "max_name_len must be positive")
	}
	if p.MaxUriLen == 0 {
		return errorsmod.Wrap(ErrInvalidParams, "max_uri_len must be positive")
	}
	if p.MaxTermBlocks == 0 {
		return errorsmod.Wrap(ErrInvalidParams, "max_term_blocks must be positive")
	}
	if p.MaxExpiriesPerBlock == 0 {
		return errorsmod.Wrap(ErrInvalidParams, "max_expiries_per_block must be positive")
	}
	return nil
}

// CheckLimits checks a dataset's strings and offers against the params.
func (p Params) CheckLimits(name, description, uri string, offers []LicenseOffer) error {
	if uint32(len(name)) > p.MaxNameLen {
		return errorsmod.Wrapf(ErrInvalidDataset, "name is %d bytes, at most %d", len(name), p.MaxNameLen)
	}
	if uint32(len(description)) > p.MaxDescriptionLen {
		return errorsmod.Wrapf(ErrInvalidDataset, "description is %d bytes, at most %d", len(description), p.MaxDescriptionLen)
	}
	if uint32(len(uri)) > p.MaxUriLen {
		return errorsmod.Wrapf(ErrInvalidDataset, "uri is %d bytes, at most %d", len(uri), p.MaxUriLen)
	}
	if uint32(len(offers)) > p.MaxOffers {
		return errorsmod.Wrapf(ErrInvalidOffer, "%d offers, at most %d", len(offers), p.MaxOffers)
	}
	for i, o := range offers {
		if o.Term() > p.MaxTermBlocks {
			return errorsmod.Wrapf(ErrInvalidOffer, "offer %d: term %d blocks exceeds max_term_blocks %d", i, o.Term(), p.MaxTermBlocks)
		}
	}
	return nil
}

package types

import (
	"fmt"

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
		return fmt.Errorf("%w: market_fee_bps %d exceeds %d", ErrInvalidParams, p.MarketFeeBps, common.BasisPoints)
	}
	if p.MaxOffers == 0 || p.MaxOffers > 64 {
		return fmt.Errorf("%w: max_offers must be in 1..64, got %d", ErrInvalidParams, p.MaxOffers)
	}
	if p.MaxNameLen == 0 {
		return fmt.Errorf("%w: max_name_len must be positive", ErrInvalidParams)
	}
	if p.MaxUriLen == 0 {
		return fmt.Errorf("%w: max_uri_len must be positive", ErrInvalidParams)
	}
	if p.MaxTermBlocks == 0 {
		return fmt.Errorf("%w: max_term_blocks must be positive", ErrInvalidParams)
	}
	if p.MaxExpiriesPerBlock == 0 {
		return fmt.Errorf("%w: max_expiries_per_block must be positive", ErrInvalidParams)
	}
	return nil
}

// CheckLimits checks a dataset's strings and offers against the params.
func (p Params) CheckLimits(name, description, uri string, offers []LicenseOffer) error {
	if uint32(len(name)) > p.MaxNameLen {
		return fmt.Errorf("%w: name is %d bytes, at most %d", ErrInvalidDataset, len(name), p.MaxNameLen)
	}
	if uint32(len(description)) > p.MaxDescriptionLen {
		return fmt.Errorf("%w: description is %d bytes, at most %d", ErrInvalidDataset, len(description), p.MaxDescriptionLen)
	}
	if uint32(len(uri)) > p.MaxUriLen {
		return fmt.Errorf("%w: uri is %d bytes, at most %d", ErrInvalidDataset, len(uri), p.MaxUriLen)
	}
	if uint32(len(offers)) > p.MaxOffers {
		return fmt.Errorf("%w: %d offers, at most %d", ErrInvalidOffer, len(offers), p.MaxOffers)
	}
	for i, o := range offers {
		if o.Term() > p.MaxTermBlocks {
			return fmt.Errorf("%w: offer %d: term %d blocks exceeds max_term_blocks %d", ErrInvalidOffer, i, o.Term(), p.MaxTermBlocks)
		}
	}
	return nil
}

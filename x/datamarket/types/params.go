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
	// DefaultContentCommitDelayBlocks: a copier must have every proposer
	// of 10 blocks (30 s) leave the owner's listing out.
	DefaultContentCommitDelayBlocks uint64 = 10
	// DefaultContentCommitTTLBlocks: a commitment lists its file for about
	// a day of 3 s blocks.
	DefaultContentCommitTTLBlocks uint64 = 28_800
)

// Upper bounds of the params: governance cannot set a value above them.
const (
	HardMaxOffers           uint32 = 64
	HardMaxNameLen          uint32 = 1024
	HardMaxDescriptionLen   uint32 = 64 * 1024
	HardMaxURILen           uint32 = 4096
	HardMaxExpiriesPerBlock uint32 = 10_000
	// HardMaxTermBlocks (~95 years of 3 s blocks) keeps every expiry height,
	// a height plus at most this many blocks, far inside int64.
	HardMaxTermBlocks uint64 = 1_000_000_000
	// HardMaxContentCommitBlocks bounds the commitments' delay and ttl
	// (about a year of 3 s blocks).
	HardMaxContentCommitBlocks uint64 = 10_000_000
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

		ContentCommitDelayBlocks: DefaultContentCommitDelayBlocks,
		ContentCommitTtlBlocks:   DefaultContentCommitTTLBlocks,
	}
}

// Validate checks the params: each within its bounds.
func (p Params) Validate() error {
	if p.MarketFeeBps > common.BasisPoints {
		return errorsmod.Wrapf(ErrInvalidParams, "market_fee_bps %d exceeds %d", p.MarketFeeBps, common.BasisPoints)
	}
	for _, b := range []struct {
		name          string
		v, min, limit uint64
	}{
		{"max_offers", uint64(p.MaxOffers), 1, uint64(HardMaxOffers)},
		{"max_name_len", uint64(p.MaxNameLen), 1, uint64(HardMaxNameLen)},
		{"max_description_len", uint64(p.MaxDescriptionLen), 0, uint64(HardMaxDescriptionLen)},
		{"max_uri_len", uint64(p.MaxUriLen), 1, uint64(HardMaxURILen)},
		{"max_term_blocks", p.MaxTermBlocks, 1, HardMaxTermBlocks},
		{"max_expiries_per_block", uint64(p.MaxExpiriesPerBlock), 1, uint64(HardMaxExpiriesPerBlock)},
		{"content_commit_delay_blocks", p.ContentCommitDelayBlocks, 0, HardMaxContentCommitBlocks},
		// A commitment must outlive its delay, or it never lists its file.
		{"content_commit_ttl_blocks", p.ContentCommitTtlBlocks, p.ContentCommitDelayBlocks + 1, HardMaxContentCommitBlocks},
	} {
		if b.v < b.min || b.v > b.limit {
			return errorsmod.Wrapf(ErrInvalidParams, "%s must be in %d..%d, got %d", b.name, b.min, b.limit, b.v)
		}
	}
	return nil
}

// CheckLimits checks a new dataset's strings and offers against the params.
func (p Params) CheckLimits(name, description, uri string, offers []LicenseOffer) error {
	if uint32(len(name)) > p.MaxNameLen {
		return errorsmod.Wrapf(ErrInvalidDataset, "name is %d bytes, at most %d", len(name), p.MaxNameLen)
	}
	if uint32(len(description)) > p.MaxDescriptionLen {
		return errorsmod.Wrapf(ErrInvalidDataset, "description is %d bytes, at most %d", len(description), p.MaxDescriptionLen)
	}
	return p.CheckVersionLimits(uri, offers)
}

// CheckVersionLimits checks what a new version sets, its uri and offers,
// against the params. Not the name or the description, which no version
// changes: checked against limits that governance lowered since the
// listing, they would lock the owner out of every new version
// (TestAttackDatamarketParamCutLocksOwnerOutOfNewVersions).
func (p Params) CheckVersionLimits(uri string, offers []LicenseOffer) error {
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

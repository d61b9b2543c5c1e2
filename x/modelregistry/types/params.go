package types

import (
	"fmt"

	errorsmod "cosmossdk.io/errors"

	"github.com/aichain/aichain/types/common"
)

// Default params.
const (
	// DefaultPlatformFeeBps: 5% of every model fee goes to the reward pool.
	DefaultPlatformFeeBps uint32 = 500
	// DefaultMaxNameLength bounds model names.
	DefaultMaxNameLength uint32 = 64
	// DefaultMaxVersionLength bounds version strings.
	DefaultMaxVersionLength uint32 = 32
	// DefaultMaxURILength bounds weights uris.
	DefaultMaxURILength uint32 = 512
	// DefaultMaxLicenseLength bounds license ids or texts.
	DefaultMaxLicenseLength uint32 = 1024
	// DefaultWeightsCommitDelayBlocks: a copier must have every proposer
	// of 10 blocks leave the creator's registration out.
	DefaultWeightsCommitDelayBlocks uint64 = 10
	// DefaultWeightsCommitTTLBlocks: a commitment registers its weights for
	// about a day of 3 s blocks.
	DefaultWeightsCommitTTLBlocks uint64 = 28_800
	// HardMaxWeightsCommitBlocks bounds the commitments' delay and ttl.
	HardMaxWeightsCommitBlocks uint64 = 10_000_000
)

// Hard caps that governance cannot raise the length limits above: they bound
// the size of a model record in state.
const (
	HardMaxNameLength    = 128
	HardMaxVersionLength = 64
	HardMaxURILength     = 4096
	HardMaxLicenseLength = 16384
)

// DefaultParams returns the default module params.
func DefaultParams() Params {
	return Params{
		PlatformFeeBps:   DefaultPlatformFeeBps,
		MaxNameLength:    DefaultMaxNameLength,
		MaxVersionLength: DefaultMaxVersionLength,
		MaxUriLength:     DefaultMaxURILength,
		MaxLicenseLength: DefaultMaxLicenseLength,

		WeightsCommitDelayBlocks: DefaultWeightsCommitDelayBlocks,
		WeightsCommitTtlBlocks:   DefaultWeightsCommitTTLBlocks,
	}
}

// Validate checks the params.
func (p Params) Validate() error {
	if p.PlatformFeeBps > common.BasisPoints {
		return errorsmod.Wrapf(ErrInvalidParams, "platform_fee_bps %d exceeds %d", p.PlatformFeeBps, common.BasisPoints)
	}
	for _, l := range []struct {
		name     string
		val, max uint32
	}{
		{"max_name_length", p.MaxNameLength, HardMaxNameLength},
		{"max_version_length", p.MaxVersionLength, HardMaxVersionLength},
		{"max_uri_length", p.MaxUriLength, HardMaxURILength},
		{"max_license_length", p.MaxLicenseLength, HardMaxLicenseLength},
	} {
		if l.val == 0 || l.val > l.max {
			return errorsmod.Wrapf(ErrInvalidParams, "%s %d must be in [1, %d]", l.name, l.val, l.max)
		}
	}
	if p.WeightsCommitDelayBlocks > HardMaxWeightsCommitBlocks {
		return errorsmod.Wrapf(ErrInvalidParams, "weights_commit_delay_blocks %d must be at most %d", p.WeightsCommitDelayBlocks, HardMaxWeightsCommitBlocks)
	}
	// A commitment must outlive its delay, or it never registers anything.
	if p.WeightsCommitTtlBlocks <= p.WeightsCommitDelayBlocks || p.WeightsCommitTtlBlocks > HardMaxWeightsCommitBlocks {
		return errorsmod.Wrapf(ErrInvalidParams, "weights_commit_ttl_blocks %d must be in [%d, %d]",
			p.WeightsCommitTtlBlocks, p.WeightsCommitDelayBlocks+1, HardMaxWeightsCommitBlocks)
	}
	return nil
}

// CheckLengths checks a model's strings against the length limits.
func (p Params) CheckLengths(name, version, uri, license string) error {
	for _, l := range []struct {
		field string
		val   string
		max   uint32
	}{
		{"name", name, p.MaxNameLength},
		{"version", version, p.MaxVersionLength},
		{"uri", uri, p.MaxUriLength},
		{"license", license, p.MaxLicenseLength},
	} {
		if err := checkLength(l.field, l.val, l.max); err != nil {
			return err
		}
	}
	return nil
}

// CheckURI checks a model's uri against max_uri_length (MsgUpdateUri; a
// new version's goes through CheckLengths).
func (p Params) CheckURI(uri string) error { return checkLength("uri", uri, p.MaxUriLength) }

func checkLength(field, val string, max uint32) error {
	if uint64(len(val)) > uint64(max) {
		return errorsmod.Wrap(ErrInvalidModel, fmt.Sprintf("%s is %d bytes, at most %d", field, len(val), max))
	}
	return nil
}

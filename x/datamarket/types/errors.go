package types

import "cosmossdk.io/errors"

// Registered errors of the datamarket module (codes start at 2: 1 is reserved).
var (
	ErrInvalidRequest    = errors.Register(ModuleName, 2, "invalid request")
	ErrInvalidDataset    = errors.Register(ModuleName, 3, "invalid dataset")
	ErrInvalidOffer      = errors.Register(ModuleName, 4, "invalid license offer")
	ErrDatasetNotFound   = errors.Register(ModuleName, 5, "dataset not found")
	ErrDatasetInactive   = errors.Register(ModuleName, 6, "dataset is delisted")
	ErrLicenseNotFound   = errors.Register(ModuleName, 7, "license not found")
	ErrUnauthorized      = errors.Register(ModuleName, 8, "unauthorized")
	ErrNotTransferable   = errors.Register(ModuleName, 9, "license is not transferable")
	ErrNotRenewable      = errors.Register(ModuleName, 10, "license is not renewable")
	ErrLicenseExpired    = errors.Register(ModuleName, 11, "license has expired")
	ErrAlreadyLicensed   = errors.Register(ModuleName, 12, "already licensed")
	ErrInsufficientFunds = errors.Register(ModuleName, 13, "insufficient funds")
	ErrNoLicense         = errors.Register(ModuleName, 14, "no license and no per-job offer")
	ErrInvalidParams     = errors.Register(ModuleName, 15, "invalid params")
	ErrInvalidGenesis    = errors.Register(ModuleName, 16, "invalid genesis")
	ErrInvalidShares     = errors.Register(ModuleName, 17, "invalid shares")
	ErrJobAccessNotFound = errors.Register(ModuleName, 18, "job access not found")
	ErrVersionNotFound   = errors.Register(ModuleName, 19, "dataset version not found")
	ErrInvalidFee        = errors.Register(ModuleName, 20, "invalid fee")
	ErrContentTaken      = errors.Register(ModuleName, 21, "content already listed")
	ErrPriceAboveMax     = errors.Register(ModuleName, 22, "price above max_price")
	ErrRenewalTooEarly   = errors.Register(ModuleName, 23, "renewal would run past max_term_blocks")
	ErrInvalidOwner      = errors.Register(ModuleName, 24, "invalid owner")
	ErrIDsExhausted      = errors.Register(ModuleName, 25, "ids exhausted")
	ErrOfferChanged      = errors.Register(ModuleName, 26, "offer differs from the one the buyer expected")
	ErrTooManyLicenses   = errors.Register(ModuleName, 27, "recipient holds too many running licenses of the dataset")
	ErrNoTransferOffer   = errors.Register(ModuleName, 28, "no transfer of the dataset is offered to this account")
	ErrOfferPending      = errors.Register(ModuleName, 29, "the dataset is on offer to a new owner: withdraw the offer first")
	ErrNoCommitment      = errors.Register(ModuleName, 30, "no commitment to this content by its owner: commit first (MsgCommitContent)")
	ErrCommitTooRecent   = errors.Register(ModuleName, 31, "the commitment to this content is too recent to list it")
	ErrOlderCommitment   = errors.Register(ModuleName, 32, "another owner committed to this content first")
	ErrChunksTooSmall    = errors.Register(ModuleName, 33, "dataset chunks smaller than their index")

	// ErrInvalidSigner is the authority error (MsgUpdateParams signed by
	// anyone but the gov account): the registered ErrUnauthorized, code 8.
	ErrInvalidSigner = ErrUnauthorized
)

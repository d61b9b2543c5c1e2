package types

import "cosmossdk.io/errors"

// Registered errors of the modelregistry module (codes start at 2: 1 is the
// SDK's internal error).
var (
	ErrInvalidModel     = errors.Register(ModuleName, 2, "invalid model")
	ErrModelNotFound    = errors.Register(ModuleName, 3, "model not found")
	ErrDuplicateVersion = errors.Register(ModuleName, 4, "model name and version already registered")
	ErrNameTaken        = errors.Register(ModuleName, 5, "model name already registered")
	ErrNameNotFound     = errors.Register(ModuleName, 6, "model name not found")
	ErrNotOwner         = errors.Register(ModuleName, 7, "signer is not the model's owner")
	ErrDeprecated       = errors.Register(ModuleName, 8, "model is deprecated")
	ErrInvalidFees      = errors.Register(ModuleName, 9, "invalid fees")
	ErrInvalidShares    = errors.Register(ModuleName, 10, "invalid shares")
	ErrInvalidParams    = errors.Register(ModuleName, 11, "invalid params")
	ErrInvalidSigner    = errors.Register(ModuleName, 12, "invalid authority")
	ErrUnsupportedArch  = errors.Register(ModuleName, 13, "unsupported model architecture")
	ErrInvalidAddress   = errors.Register(ModuleName, 14, "invalid address")
	ErrFeePayment       = errors.Register(ModuleName, 15, "model fee payment failed")
	ErrInvalidGenesis   = errors.Register(ModuleName, 16, "invalid genesis")
	ErrInvalidOwner     = errors.Register(ModuleName, 17, "invalid owner")
	ErrIDsExhausted     = errors.Register(ModuleName, 18, "model ids exhausted")
	ErrWeightsTaken     = errors.Register(ModuleName, 19, "the weights belong to another model name")
	ErrNoTransferOffer  = errors.Register(ModuleName, 20, "no transfer of the model is offered to this account")
	ErrOfferChanged     = errors.Register(ModuleName, 21, "the model's offer is not the one accepted")
	ErrOfferPending     = errors.Register(ModuleName, 22, "the model is on offer: withdraw the offer first")
	ErrNoCommitment     = errors.Register(ModuleName, 23, "no commitment to this name and weights by their creator: commit first (MsgCommitWeights)")
	ErrCommitTooRecent  = errors.Register(ModuleName, 24, "the commitment to this name and weights is too recent to register them")
	ErrOlderCommitment  = errors.Register(ModuleName, 25, "another creator committed to these weights first")
)

package app

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"
)

// HandlerOptions are what the ante handler needs: the SDK's options, kept as
// a struct of its own so that aichain's decorators can add to it.
type HandlerOptions struct {
	ante.HandlerOptions
}

// NewAnteHandler returns the ante handler: the SDK's standard chain of
// decorators (fees, signatures, sequences, gas).
func NewAnteHandler(options HandlerOptions) (sdk.AnteHandler, error) {
	if options.AccountKeeper == nil {
		return nil, errorsmod.Wrap(sdkerrors.ErrLogic, "account keeper is required for the ante handler")
	}
	if options.BankKeeper == nil {
		return nil, errorsmod.Wrap(sdkerrors.ErrLogic, "bank keeper is required for the ante handler")
	}
	if options.SignModeHandler == nil {
		return nil, errorsmod.Wrap(sdkerrors.ErrLogic, "sign mode handler is required for the ante handler")
	}
	return ante.NewAnteHandler(options.HandlerOptions)
}

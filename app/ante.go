package app

import (
	errorsmod "cosmossdk.io/errors"
	storetypes "cosmossdk.io/store/types"
	ibcante "github.com/cosmos/ibc-go/v10/modules/core/ante"
	ibckeeper "github.com/cosmos/ibc-go/v10/modules/core/keeper"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"

	"github.com/aichain/aichain/app/ve"
)

// HandlerOptions are what the ante handler needs: the SDK's options, kept as
// a struct of its own so that aichain's decorators can add to it.
type HandlerOptions struct {
	ante.HandlerOptions
	// IBCKeeper lets the redundant-relay decorator refuse IBC packets and
	// updates that are already on chain (relayers racing each other).
	IBCKeeper *ibckeeper.Keeper
	// Precheck holds the memo of verified signatures and learns the signers
	// CheckTx passes; the tx service's broadcasts verify into it (see
	// sigPrecheck). Without it the handler keeps a memo of its own.
	Precheck *sigPrecheck
}

// NewAnteHandler returns the ante handler: the SDK's standard chain of
// decorators (fees, signatures, sequences, gas; the signature check with
// this node's memo of verified signatures, see memoSigVerifyDecorator) and
// ibc-go's redundant-relay decorator, behind one gate for the proposer's
// injected transaction (see injectionGate).
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
	if options.IBCKeeper == nil {
		return nil, errorsmod.Wrap(sdkerrors.ErrLogic, "IBC keeper is required for the ante handler")
	}
	pre := options.Precheck
	if pre == nil {
		pre = &sigPrecheck{memo: newSigMemo(sigMemoSize)}
	}
	std := standardAnte(options.HandlerOptions, pre)
	relay := ibcante.NewRedundantRelayDecorator(options.IBCKeeper)
	done := func(ctx sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return ctx, nil }
	withRelay := func(ctx sdk.Context, tx sdk.Tx, simulate bool) (sdk.Context, error) {
		ctx, err := std(ctx, tx, simulate)
		if err != nil {
			return ctx, err
		}
		if ctx, err = relay.AnteHandle(ctx, tx, simulate, done); err == nil {
			learnPassed(ctx, pre)
		}
		return ctx, err
	}
	return injectionGate(withRelay), nil
}

// standardAnte is the SDK's ante.NewAnteHandler chain, decorator for
// decorator, with fees in the bond denom only (feeDenomDecorator) and the
// signature verification consulting pre's memo first.
func standardAnte(o ante.HandlerOptions, pre *sigPrecheck) sdk.AnteHandler {
	return sdk.ChainAnteDecorators(
		ante.NewSetUpContextDecorator(), // first: it sets the gas meter
		simulateGasCap{},                // a simulation's meter: capped, not infinite
		ante.NewExtensionOptionsDecorator(o.ExtensionOptionChecker),
		ante.NewValidateBasicDecorator(),
		ante.NewTxTimeoutHeightDecorator(),
		ante.NewValidateMemoDecorator(o.AccountKeeper),
		ante.NewConsumeGasForTxSizeDecorator(o.AccountKeeper),
		feeDenomDecorator{}, // fees in the bond denom only: see denom_guard.go
		ante.NewDeductFeeDecorator(o.AccountKeeper, o.BankKeeper, o.FeegrantKeeper, o.TxFeeChecker),
		ante.NewSetPubKeyDecorator(o.AccountKeeper), // before every signature check
		ante.NewValidateSigCountDecorator(o.AccountKeeper),
		ante.NewSigGasConsumeDecorator(o.AccountKeeper, o.SigGasConsumer),
		memoSigVerifyDecorator{
			verify: ante.NewSigVerificationDecorator(o.AccountKeeper, o.SignModeHandler, o.SigVerifyOptions...),
			ak:     o.AccountKeeper, handler: o.SignModeHandler, memo: pre.memo, pre: pre,
		},
		ante.NewIncrementSequenceDecorator(o.AccountKeeper),
	)
}

// maxSimulateGas is the most gas a simulation may use (the block's max gas
// where that is lower): over a thousand times a job's creation (86,000).
// A simulation is free (no fee, no valid signature needed) and the SDK runs
// it with an infinite gas meter: a 2.7 MB transaction of 20,000 sends with
// a gas limit of 1 used 400,849,191 gas, 661 ms of CPU, per call
// (TestAttackSimulateUnmeteredGasApp). Past the cap it fails out of gas; a
// sender whose transaction needs more sets its gas limit itself.
const maxSimulateGas = 100_000_000

// simulateGasCap gives a simulation a gas meter of maxSimulateGas, or of the
// block's max gas where that is lower (a transaction above it can never be
// in a block), in place of the infinite one SetUpContextDecorator gave it.
// Only simulations: a transaction's gas in CheckTx and in blocks is the
// SDK's.
type simulateGasCap struct{}

func (simulateGasCap) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	if !simulate {
		return next(ctx, tx, simulate)
	}
	limit := uint64(maxSimulateGas)
	if cp := ctx.ConsensusParams(); cp.Block != nil && cp.Block.MaxGas > 0 && uint64(cp.Block.MaxGas) < limit {
		limit = uint64(cp.Block.MaxGas)
	}
	return next(ctx.WithGasMeter(storetypes.NewGasMeter(limit)), tx, simulate)
}

// injectionGate lets the block proposer's unsigned MsgInjectVerdicts
// transaction through only when a block is finalized: ProcessProposal has
// then checked that it is transaction 0 and that the commit it carries is
// signed by 2/3 of the power. Everywhere else — CheckTx and ReCheckTx (the
// mempool), simulation, and proposal preparation — a transaction holding
// the message is refused, so no account can send one, and one that shares a
// transaction with other messages is refused always. Every other transaction
// goes through the standard chain.
func injectionGate(next sdk.AnteHandler) sdk.AnteHandler {
	return func(ctx sdk.Context, tx sdk.Tx, simulate bool) (sdk.Context, error) {
		if !ve.HoldsInjection(tx) {
			return next(ctx, tx, simulate)
		}
		if len(tx.GetMsgs()) != 1 {
			return ctx, errorsmod.Wrap(sdkerrors.ErrInvalidRequest, "MsgInjectVerdicts must be alone in its transaction")
		}
		if simulate || ctx.ExecMode() != sdk.ExecModeFinalize {
			return ctx, errorsmod.Wrap(sdkerrors.ErrInvalidRequest,
				"MsgInjectVerdicts is put in a block by its proposer; it cannot be sent or simulated")
		}
		return ctx, nil
	}
}
